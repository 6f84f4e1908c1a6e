"""The big-file join: both engines agree (borders, outside, random), columns, CRSs, bad input, order, counts."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyproj
import pytest
import shapely

from geodata.crs import wgs84_to_gcj02
from geodata.join import locate_points
from geodata.join.__main__ import main
from geodata.join.inputs import inspect_input
from geodata.join.run import join_file
from geodata.join.units import Units, atlas_units, unit_columns

REPO = Path(__file__).resolve().parents[3]
OUTSIDE_POINTS = [(116.40, 39.90), (121.47, 31.23), (113.26, 23.13), (0.0, 0.0), (-70.0, -33.0)]  # Beijing ... Chile


@pytest.fixture(scope="module")
def units() -> Units:
    return atlas_units()


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A small in-process Dask cluster, as --scheduler would name a running one."""
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def shared_vertices(counties: gpd.GeoDataFrame, *, count: int) -> list[tuple[float, float]]:
    """Vertices on borders of two or more counties, three-county corners first."""
    owners: dict[tuple[float, float], set[str]] = {}
    for adcode, geometry in zip(counties["adcode"], counties.geometry, strict=True):
        for x, y in shapely.get_coordinates(geometry.boundary):
            owners.setdefault((x, y), set()).add(adcode)
    shared = sorted((point for point, codes in owners.items() if len(codes) > 1), key=lambda p: -len(owners[p]))
    rng = np.random.default_rng(7)
    corners = [point for point in shared if len(owners[point]) > 2][: count // 4]
    picks = rng.choice(len(shared), size=count - len(corners), replace=False)
    return corners + [shared[i] for i in picks]


def random_points(counties: gpd.GeoDataFrame, *, count: int) -> list[tuple[float, float]]:
    rng = np.random.default_rng(11)
    x0, y0, x1, y1 = counties.total_bounds
    return list(zip(rng.uniform(x0, x1, count).tolist(), rng.uniform(y0, y1, count).tolist(), strict=True))


def write_points(path: Path, points: list[tuple[float, float]], *, header: tuple[str, str] = ("lon", "lat")) -> Path:
    """A CSV of points with an id and a padding column (so small files still split into many partitions)."""
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", *header, "note"])
        for i, (x, y) in enumerate(points):
            writer.writerow([f"p{i:04d}", repr(float(x)), repr(float(y)), f"row {i}, " + "x" * 60])
    return path


def read_text(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def expected_county(counties: gpd.GeoDataFrame, x: float, y: float) -> str:
    """The border rule, checked independently: the smallest adcode of the counties the point touches."""
    touching = counties[shapely.intersects(counties.geometry.to_numpy(), shapely.Point(x, y))]
    return min(touching["adcode"], default="")


def run_cli(capsys: pytest.CaptureFixture, *args: object) -> tuple[int, str, str]:
    code = main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_both_engines_agree_on_borders_outside_and_random_points(tmp_path: Path, units: Units, scheduler: str) -> None:
    counties = units.counties
    border = shared_vertices(counties, count=60)
    points = border + OUTSIDE_POINTS + random_points(counties, count=300)
    order = np.random.default_rng(3).permutation(len(points))
    source = write_points(tmp_path / "points.csv", [points[i] for i in order])
    local, dask = tmp_path / "geopandas.csv", tmp_path / "dask.csv"
    join_file(source, output=local, chunk_rows=97)
    join_file(source, output=dask, engine="dask", scheduler=scheduler, chunk_rows=40)
    assert local.read_bytes() == dask.read_bytes()

    result = read_text(local).set_index("id")
    for i, (x, y) in enumerate(points):
        row = result.loc[f"p{int(np.flatnonzero(order == i)[0]):04d}"]
        if i < len(border) + len(OUTSIDE_POINTS):
            assert row["county_adcode"] == expected_county(counties, x, y), (x, y)
    assert (result["county_adcode"] != "").sum() > 100
    located = result[result["county_adcode"] != ""]
    geometry = counties.set_index("adcode").geometry.loc[located["county_adcode"]].to_numpy()
    lon, lat = located["lon"].astype(float).to_numpy(), located["lat"].astype(float).to_numpy()
    assert shapely.covers(geometry, shapely.points(lon, lat)).all()
    unlocated = result[result["county_adcode"] == ""]
    unlocated_points = shapely.points(unlocated["lon"].astype(float), unlocated["lat"].astype(float))
    hits = counties.sindex.query(unlocated_points, predicate="intersects")
    assert hits.size == 0


def test_border_points_follow_the_smallest_adcode_even_when_split_across_chunks(tmp_path: Path, units: Units) -> None:
    border = shared_vertices(units.counties, count=20)
    source = write_points(tmp_path / "border.csv", border)
    output = tmp_path / "out.csv"
    join_file(source, output=output, chunk_rows=3)
    expected = [expected_county(units.counties, x, y) for x, y in border]
    touching = [shapely.intersects(units.counties.geometry.to_numpy(), shapely.Point(p)).sum() for p in border]
    assert min(touching) >= 2  # every point is a tie the border rule must break
    assert read_text(output)["county_adcode"].tolist() == expected
    assert all(expected)


def test_geo_files_join_by_representative_point_on_both_engines(tmp_path: Path, units: Units, scheduler: str) -> None:
    counties = units.counties.iloc[::50]
    shapes = [*shapely.buffer(counties.geometry.to_numpy(), -0.01), shapely.LineString([(0, 0), (1, 1)]), None]
    frame = gpd.GeoDataFrame({"name": [*counties["adcode"], "line", "none"]}, geometry=shapes, crs="EPSG:4326")
    source = tmp_path / "shapes.gpkg"
    frame.to_crs(3857).to_file(source)
    local, dask = tmp_path / "geopandas.parquet", tmp_path / "dask.parquet"
    join_file(source, output=local, chunk_rows=4)
    join_file(source, output=dask, engine="dask", scheduler=scheduler, chunk_rows=3)
    result = gpd.read_parquet(local)
    pd.testing.assert_frame_equal(result, gpd.read_parquet(dask))
    assert result.crs.to_epsg() == 3857
    assert result["county_adcode"].fillna("").tolist() == [*counties["adcode"], "", ""]
    assert list(result.columns) == ["name", "geometry", *unit_columns("county")]


@pytest.mark.parametrize(
    "header",
    [("lng", "lat"), ("经度", "纬度"), (" Longitude", "LATITUDE"), ("X", "y"), ("longitude", "Y")],
)
def test_coordinate_columns_are_found_by_common_names(tmp_path: Path, header: tuple[str, str]) -> None:
    source = write_points(tmp_path / "points.csv", [(114.3, 30.6)], header=header)
    found = inspect_input(source)
    assert (found.lon, found.lat) == header


def test_chinese_column_names_join_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    source = write_points(tmp_path / "点.csv", [(114.3, 30.6)], header=("经度", "纬度"))
    code, out, _ = run_cli(capsys, source, "-o", tmp_path / "out.csv")
    assert code == 0
    assert "1 rows, 1 in the six provinces" in out
    assert read_text(tmp_path / "out.csv").loc[0, "prefecture_name_zh"] == "武汉市"


@pytest.mark.parametrize(
    ("header", "options", "message"),
    [
        (("lon", "x"), (), "several longitude columns (lon, x): name it with --lon"),
        (("a", "b"), (), "no longitude column: name it with --lon (columns: id, a, b, note)"),
        (("a", "b"), ("--lon", "a"), "no latitude column: name it with --lat"),
        (("lon", "lat"), ("--lon", "lng"), "no column 'lng' for the longitude"),
    ],
)
def test_missing_or_ambiguous_columns_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture, header: tuple, options: tuple, message: str
) -> None:
    source = write_points(tmp_path / "points.csv", [(114.3, 30.6)], header=header)
    code, _, err = run_cli(capsys, source, "-o", tmp_path / "out.csv", *options)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1


def test_explicit_columns_and_the_order_of_rows_and_columns_are_kept(tmp_path: Path) -> None:
    source = tmp_path / "shops.csv"
    source.write_text(
        "编号,name,from_lng,from_lat,code,note\n"
        '1,"Shop, Wuhan",114.3,30.6,00420,"quoted ""note"""\n'
        "2,空,,,007,blank coordinates: no unit\n"
        "3,Beijing,116.4,39.9,0001,\n"
        "4,Changsha,112.94,28.23,,长沙\n",
        encoding="utf-8-sig",  # with a byte order mark, as spreadsheets write it
    )
    output = tmp_path / "out.csv"
    join_file(source, output=output, lon="from_lng", lat="from_lat", chunk_rows=2)
    with source.open(encoding="utf-8-sig", newline="") as f, output.open(encoding="utf-8", newline="") as g:
        before, after = list(csv.reader(f)), list(csv.reader(g))
    assert [row[:6] for row in after] == before
    assert after[0][6:] == unit_columns("county")
    assert [row[6] for row in after[1:]] == ["420000", "", "", "430000"]


def test_reprojected_coordinates_land_where_wgs84_ones_do(tmp_path: Path, units: Units) -> None:
    inside = shapely.get_coordinates(units.counties.geometry.iloc[::40].representative_point())
    transformer = pyproj.Transformer.from_crs(4326, 3857, always_xy=True)
    mercator = np.column_stack(transformer.transform(inside[:, 0], inside[:, 1]))
    gcj = np.column_stack(wgs84_to_gcj02(inside[:, 0], inside[:, 1]))
    outputs = {}
    for name, xy, crs in (("wgs84", inside, None), ("mercator", mercator, "3857"), ("gcj", gcj, "GCJ-02")):
        source = write_points(tmp_path / f"{name}.csv", [tuple(row) for row in xy], header=("x", "y"))
        output = tmp_path / f"{name}-out.csv"
        join_file(source, output=output, crs=crs)
        outputs[name] = read_text(output)["county_adcode"].tolist()
    assert outputs["wgs84"] == list(units.counties["adcode"].iloc[::40])
    assert outputs["mercator"] == outputs["wgs84"]
    assert outputs["gcj"] == outputs["wgs84"]


def test_non_numeric_coordinates_name_the_first_lines_and_the_count(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    rows = ["lon,lat"] + [f"{x},30.5" for x in ("114.1", "abc", "114.2", '"1,5"', "") + ("x",) * 6]
    source = tmp_path / "bad.csv"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    output = tmp_path / "out.csv"
    code, _, err = run_cli(capsys, source, "-o", output, "--chunk-rows", "3")
    assert code == 2
    assert err == (
        f"python -m geodata.join: error: {source}: 8 rows have coordinates that are not numbers in 'lon'/'lat', "
        "at lines 3, 5, 7, 8, 9 and 3 more\n"
    )
    assert not output.exists()
    assert list(tmp_path.iterdir()) == [source]


def test_one_non_numeric_coordinate_in_a_parquet_file_names_its_row(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    source = tmp_path / "bad.parquet"
    pd.DataFrame({"lon": ["114.3", "114.3", "east"], "lat": ["30.6", "", "30.6"]}).to_parquet(source)
    code, _, err = run_cli(capsys, source, "-o", tmp_path / "out.csv")
    assert code == 2
    assert err.endswith(": 1 row has coordinates that are not numbers in 'lon'/'lat', at row 3\n")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "missing.csv: no such file"),
        ("points.xlsx", b"PK\x03\x04", "unknown file type '.xlsx'"),
        ("points.parquet", b"lon,lat\n1,2\n", "not a readable Parquet file"),
        ("points.geojson", b"{not json", "not a readable GeoJSON or GeoPackage file"),
        ("latin1.csv", "lon,lat,name\n114.3,30.6,caf\xe9\n".encode("latin-1"), "latin1.csv: not UTF-8 text"),
        ("ragged.csv", b"lon,lat\n114.3,30.6\n114.3,30.6,1,2\n", "ragged.csv: cannot be read (Error tokenizing data"),
        ("empty.csv", b"", "empty.csv: cannot be read (No columns to parse from file)"),
    ],
)
def test_unreadable_inputs_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture, name: str, content: bytes | None, message: str
) -> None:
    source = tmp_path / name
    if content is not None:
        source.write_bytes(content)
    code, _, err = run_cli(capsys, source, "-o", tmp_path / "out.csv")
    assert code == 2
    assert message in err
    assert err.count("\n") == 1
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("-o", "out.txt"), "write .csv or .parquet"),
        (("-o", "out.csv", "--crs", "EPSG:99999999"), "--crs 'EPSG:99999999' is not a coordinate reference system"),
        (("-o", "out.csv", "--workers", "2"), "--scheduler and --workers need --engine dask"),
        (("-o", "out.csv", "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9", "--workers", "2"), "leave it out"),
    ],
)
def test_bad_options_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture, options: tuple, message: str) -> None:
    source = write_points(tmp_path / "points.csv", [(114.3, 30.6)])
    args = [str(tmp_path / option) if option.startswith("out.") else option for option in options]
    code, _, err = run_cli(capsys, source, *args)
    assert code == 2
    assert message in err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--crs", "4326"), "the file declares its CRS (WGS 84 / Pseudo-Mercator); leave out --crs"),
        (("--lon", "x"), "the file has geometries; --lon/--lat apply to CSV and plain Parquet only"),
    ],
)
def test_geo_files_keep_their_own_crs_and_geometries(
    tmp_path: Path, capsys: pytest.CaptureFixture, options: tuple, message: str
) -> None:
    source = tmp_path / "points.gpkg"
    gpd.GeoDataFrame(geometry=[shapely.Point(114.3, 30.6)], crs=4326).to_crs(3857).to_file(source)
    code, _, err = run_cli(capsys, source, "-o", tmp_path / "out.csv", *options)
    assert code == 2
    assert message in err


def test_input_columns_named_like_the_added_ones_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    source = tmp_path / "joined.csv"
    source.write_text("lon,lat,county_adcode\n114.3,30.6,1\n", encoding="utf-8")
    code, _, err = run_cli(capsys, source, "-o", tmp_path / "out.csv")
    assert code == 2
    assert "already has the columns county_adcode" in err


def test_counts_table_lists_every_unit_and_the_rows_outside(tmp_path: Path, units: Units) -> None:
    points = random_points(units.counties, count=400) + OUTSIDE_POINTS
    source = write_points(tmp_path / "points.csv", points)
    output, counts = tmp_path / "out.csv", tmp_path / "counts.csv"
    summary = join_file(source, output=output, counts=counts, chunk_rows=150)
    table, result = read_text(counts), read_text(output)
    assert list(table.columns) == ["adcode", "name_en", "name_zh", "count"]
    assert len(table) == len(units.counties) + 1
    assert table["count"].astype(int).sum() == len(points) == summary.rows
    observed = result["county_adcode"].value_counts()
    assert dict(zip(table["adcode"], table["count"].astype(int), strict=True)) == {
        code: int(observed.get(code, 0)) for code in table["adcode"]
    }
    assert table.iloc[-1]["adcode"] == "" and int(table.iloc[-1]["count"]) == summary.outside
    assert table.loc[table["adcode"] == "420102", "name_zh"].item() == "江岸区"


def test_prefecture_level_adds_two_levels_and_counts_prefectures(tmp_path: Path, units: Units) -> None:
    source = write_points(tmp_path / "points.csv", [(114.3, 30.6), (0.0, 0.0)])
    output, counts = tmp_path / "out.csv", tmp_path / "counts.parquet"
    join_file(source, output=output, counts=counts, level="prefecture")
    result = read_text(output)
    assert list(result.columns)[4:] == unit_columns("prefecture")
    assert "county_adcode" not in result
    assert result["prefecture_name_en"].tolist() == ["Wuhan", ""]
    table = pd.read_parquet(counts)
    assert len(table) == len(units.names["prefecture"]) + 1 == 88
    assert table.loc[table["adcode"] == "420100", "count"].item() == 1


def test_plain_parquet_in_parquet_out_keeps_column_types(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"k": pd.array([1, None, 3], dtype="Int64"), "Lat": [30.6, 2.0, 28.23], "LNG": [114.3, 1.0, 112.94]}
    )
    source, output = tmp_path / "in.parquet", tmp_path / "out.parquet"
    frame.to_parquet(source, index=False)
    join_file(source, output=output, level="province", chunk_rows=2)
    result = pq.read_table(output)
    assert result.select(["k", "Lat", "LNG"]).equals(pq.read_table(source).replace_schema_metadata(None))
    assert result.column("province_adcode").to_pylist() == ["420000", None, "430000"]


def test_progress_is_shown_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    source = write_points(tmp_path / "points.csv", [(114.3, 30.6)] * 10)
    code, _, err = run_cli(capsys, source, "-o", tmp_path / "out.csv", "--progress", "--chunk-rows", "4")
    assert code == 0
    assert "joined 10 / 10 rows (100%)" in err


def test_python_m_geodata_join_on_a_local_dask_cluster(tmp_path: Path) -> None:
    source = write_points(tmp_path / "points.csv", [(114.3, 30.6), (0.0, 0.0)])
    output = tmp_path / "out.csv"
    command = [sys.executable, "-m", "geodata.join", source, "-o", output, "--engine", "dask", "--workers", "1"]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"wrote {output}: 2 rows, 1 in the six provinces, 1 outside" in result.stdout
    assert "joined" not in result.stderr  # no progress when stderr is not a terminal
    assert read_text(output)["county_name_en"].tolist() == ["Jiang'an District", ""]


@pytest.fixture(scope="module")
def shifted_points(units: Units) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """WGS84 points whose GCJ-02 coordinates, read as WGS84, would land in another county; and their counties."""
    rng = np.random.default_rng(17)
    x0, y0, x1, y1 = units.counties[units.counties["province_adcode"] == "420000"].total_bounds
    wgs = np.column_stack([rng.uniform(x0, x1, 4000), rng.uniform(y0, y1, 4000)])
    gcj = np.column_stack(wgs84_to_gcj02(wgs[:, 0], wgs[:, 1]))
    true = locate_points(gpd.GeoDataFrame(geometry=shapely.points(wgs), crs=4326), counties=units.counties)[
        "county_adcode"
    ]
    naive = locate_points(gpd.GeoDataFrame(geometry=shapely.points(gcj), crs=4326), counties=units.counties)[
        "county_adcode"
    ]
    moved = (true.notna() & naive.notna() & (true != naive)).to_numpy()
    assert moved.sum() >= 10
    return wgs[moved], gcj[moved], true[moved].tolist()


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
def test_gcj02_geo_files_are_converted_before_the_join(
    tmp_path: Path, shifted_points: tuple, suffix: str, capsys: pytest.CaptureFixture
) -> None:
    _, gcj, expected = shifted_points
    source = tmp_path / f"amap{suffix}"
    gpd.GeoDataFrame({"n": range(len(gcj))}, geometry=shapely.points(gcj), crs=4326).to_file(source)
    code, _, err = run_cli(capsys, source, "-o", tmp_path / "out.csv", "--crs", "GCJ-02")
    assert code == 0, err
    assert read_text(tmp_path / "out.csv")["county_adcode"].tolist() == expected
    run_cli(capsys, source, "-o", tmp_path / "as-wgs84.csv")  # the same file without --crs: other counties
    assert read_text(tmp_path / "as-wgs84.csv")["county_adcode"].tolist() != expected


def pandas_only(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make the join read CSV with pandas and write it with pandas, as it did before the Arrow text path."""
    from geodata.join import inputs

    refused: list[str] = []

    def refuse(source: inputs.Source, **_: object) -> Iterator[object]:
        refused.append(source.path)
        raise inputs.TextFallback(source.path)
        yield

    monkeypatch.setattr(inputs, "text_chunks", refuse)
    return refused


@pytest.mark.parametrize(
    "text",
    [
        "id,lon,lat,note\n" + "".join(f"{i},{114 + i / 997!r},{30 + i / 1009!r},n{i}\n" for i in range(800)),
        '\ufeffid,lon,lat,note\r\n1,114.3,30.6,"a, b"\r\n2,,,"say ""hi"""\r\n3,113.6,34.7,\r\n\r\n4, 114.3 ,30.6,x\r\n',
        "lon,lat,名称\n114.3,30.6,武汉\nNA,NA,空\n116.4,39.9,北京\n112.94,28.23,\n",
        "lon,lat,a,a\n114.3,30.6,1,2\n114.3,30.6,3,4\n",
    ],
    ids=["plain", "quotes-crlf-bom-blank-spaces", "na-and-chinese", "duplicate-names"],
)
def test_the_arrow_text_path_writes_the_bytes_pandas_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scheduler: str, text: str
) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes(text.encode("utf-8"))
    fast, dask = tmp_path / "fast.csv", tmp_path / "dask.csv"
    join_file(source, output=fast, chunk_rows=97, counts=tmp_path / "fast-counts.csv")
    join_file(source, output=dask, engine="dask", scheduler=scheduler, chunk_rows=150)
    with monkeypatch.context() as patch:
        refused = pandas_only(patch)
        join_file(source, output=tmp_path / "pandas.csv", chunk_rows=97, counts=tmp_path / "pandas-counts.csv")
    assert refused == [str(source)]
    assert fast.read_bytes() == (tmp_path / "pandas.csv").read_bytes()
    assert (tmp_path / "fast-counts.csv").read_bytes() == (tmp_path / "pandas-counts.csv").read_bytes()
    if "\r" not in text:  # dask splits the file at line breaks, as it always did
        assert dask.read_bytes() == fast.read_bytes()
