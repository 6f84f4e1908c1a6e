"""Planners' files: every kind of bad file gets its own message; good files in each format join correctly."""

from __future__ import annotations

import io
import zipfile

import geopandas as gpd
import pytest
import shapely

from geodata.userdata import MAX_BYTES, UserDataError, read_user_file, unit_values

WUHAN = (114.30, 30.60)  # well inside Wuhan (420100)
ZHENGZHOU = (113.62, 34.75)  # well inside Zhengzhou (410100)
SHANGHAI = (121.47, 31.23)  # outside the six provinces


def csv(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


GOOD = (
    f"name,lng,lat,jobs\nA,{WUHAN[0]},{WUHAN[1]},10\n"
    f"B,{ZHENGZHOU[0]},{ZHENGZHOU[1]},5\nC,{SHANGHAI[0]},{SHANGHAI[1]},2\n"
)


def test_a_good_csv_is_joined_to_its_units(atlas) -> None:
    layer = read_user_file(csv(GOOD), filename="parks.csv", atlas=atlas)
    frame = layer.frame
    assert list(frame["name"]) == ["A", "B", "C"]
    assert list(frame["prefecture_adcode"][:2]) == ["420100", "410100"]
    assert list(frame["outside_central"]) == [False, False, True]
    assert layer.numeric_columns == ["jobs"]
    assert any("1 features lie outside the six provinces (line 4)" in w for w in layer.warnings)


def test_counts_sums_and_means_per_unit(atlas) -> None:
    text = GOOD + f"D,{WUHAN[0] + 0.01},{WUHAN[1]},30\n"
    layer = read_user_file(csv(text), filename="parks.csv", atlas=atlas)
    assert unit_values(layer, level="prefecture", measure="count").to_dict() == {"410100": 1.0, "420100": 2.0}
    assert unit_values(layer, level="prefecture", measure="sum", column="jobs")["420100"] == 40
    assert unit_values(layer, level="province", measure="mean", column="jobs")["420000"] == 20
    with pytest.raises(UserDataError, match="not a numeric column"):
        unit_values(layer, level="county", measure="sum", column="name")


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"", "x.csv", "the file is empty"),
        (b"name,lng,lat\n", "x.csv", "header but no rows"),
        (csv("name,a,b\nA,1,2\n"), "x.csv", "no longitude column found"),
        (csv("x,lon,longitude,lat\n1,2,3,4\n"), "x.csv", "several columns could be the longitude: x, lon, longitude"),
        (b"\xff\xfe\x00n\x00a\x00m\x00e", "x.csv", "neither UTF-8 nor GB18030"),
        (csv("lng,lat\nfoo,bar\nbaz,1\n"), "x.csv", "no row has usable coordinates"),
        (b"{not json", "x.geojson", "cannot be read as geojson"),
        (b"PK\x03\x04broken", "x.zip", "damaged or not a zip"),
        (b"a,b", "x.xlsx", "unsupported file type .xlsx"),
        (b"0" * (MAX_BYTES + 1), "x.csv", "the limit is 20 MB"),
    ],
)
def test_each_bad_file_gets_its_message(atlas, content: bytes, filename: str, message: str) -> None:
    with pytest.raises(UserDataError, match=message):
        read_user_file(content, filename=filename, atlas=atlas)


def test_bad_rows_are_reported_with_line_numbers_and_kept_out_of_the_map(atlas) -> None:
    rows = "".join(f"P{i},{'x' if i % 2 else WUHAN[0]},{WUHAN[1]}\n" for i in range(12))
    layer = read_user_file(csv("name,lon,lat\n" + rows + "Q,400,95\n"), filename="p.csv", atlas=atlas)
    assert "6 rows have no numeric coordinates (lines 3, 5, 7, 9, 11 (and 1 more)); not drawn" in layer.warnings
    assert "1 rows have coordinates out of range (line 14); not drawn" in layer.warnings
    assert len(layer.frame) == 13 and layer.frame.geometry.notna().sum() == 6


def test_chosen_columns_gb18030_text_and_another_crs(atlas) -> None:
    from pyproj import Transformer

    x, y = Transformer.from_crs(4326, 3857, always_xy=True).transform(*WUHAN)
    text = f"名称,东,北\n武汉,{x},{y}\n"
    layer = read_user_file(csv(text, "gb18030"), filename="w.csv", atlas=atlas, lon="东", lat="北", crs="EPSG:3857")
    assert layer.frame["prefecture_adcode"].iloc[0] == "420100"
    assert any("reprojected from EPSG:3857" in w for w in layer.warnings)


def _polygon_frame() -> gpd.GeoDataFrame:
    bowtie = shapely.Polygon([(114.2, 30.5), (114.4, 30.7), (114.4, 30.5), (114.2, 30.7), (114.2, 30.5)])
    return gpd.GeoDataFrame({"park": ["Bowtie", "Zheng"]}, geometry=[bowtie, shapely.Point(*ZHENGZHOU)], crs=4326)


def test_geojson_and_geopackage_read_repair_and_join(atlas, tmp_path) -> None:
    for driver, name in (("GeoJSON", "parks.geojson"), ("GPKG", "parks.gpkg")):
        path = tmp_path / name
        _polygon_frame().to_file(path, driver=driver)
        layer = read_user_file(path.read_bytes(), filename=name, atlas=atlas)
        assert list(layer.frame["prefecture_adcode"]) == ["420100", "410100"], name
        assert layer.frame.geometry.is_valid.all()
        assert any("1 invalid geometries were repaired (line 2)" in w for w in layer.warnings), name


def test_zipped_shapefile_in_another_crs(atlas, tmp_path) -> None:
    _polygon_frame().iloc[[1]].to_crs(3857).to_file(tmp_path / "parks.shp")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for part in tmp_path.glob("parks.*"):
            bundle.write(part, f"nested/{part.name}")
    layer = read_user_file(buffer.getvalue(), filename="parks.zip", atlas=atlas)
    assert list(layer.frame["prefecture_adcode"]) == ["410100"]
    assert any("reprojected" in w for w in layer.warnings)


def test_gcj02_coordinates_are_moved_to_wgs84(atlas) -> None:
    from geodata.crs import wgs84_to_gcj02

    lon, lat = wgs84_to_gcj02([WUHAN[0]], [WUHAN[1]])
    layer = read_user_file(f"lng,lat\n{lon[0]},{lat[0]}\n".encode(), filename="amap.csv", atlas=atlas, crs="GCJ-02")
    point = layer.frame.geometry.iloc[0]
    assert abs(point.x - WUHAN[0]) < 1e-7 and abs(point.y - WUHAN[1]) < 1e-7
    assert "converted from GCJ-02 to WGS84" in layer.warnings
