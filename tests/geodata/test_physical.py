"""The physical context: reproducible build, both names on labelled features, the region's rivers and lakes where
they belong, ordered disjoint relief bands, a placed shaded relief image, guideline corridors along their rivers."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import shapely
from PIL import Image

from geodata import GeodataError, build_physical, load_physical, relief_shade
from geodata.physical import INPUTS_DIR, PHYSICAL_DIR, PHYSICAL_LAYERS, check_bands, check_names, physical_path
from geodata.river_links import RIVER_LINKS, corridor_fit, link_for

# Places (WGS84 lon, lat of the city centre or summit) used to check where things lie.
ZHENGZHOU = (113.65, 34.76)  # Yellow River plain, about 100 m
NANCHANG = (115.86, 28.68)  # Poyang lowland, about 25 m
WUTAI_SHAN = (113.565, 39.079)  # the highest summit of north China, 3,061 m


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("physical")
    build_physical.build(out_dir=out)
    return out


@pytest.fixture(scope="module", params=["light", "detail"])
def physical(request: pytest.FixtureRequest):
    return load_physical(resolution=request.param)


def test_build_regenerates_the_committed_files_byte_for_byte(rebuilt: Path) -> None:
    committed = sorted(p.name for p in PHYSICAL_DIR.iterdir() if p.is_file())
    assert sorted(p.name for p in rebuilt.iterdir()) == committed
    for name in committed:
        assert (rebuilt / name).read_bytes() == (PHYSICAL_DIR / name).read_bytes(), name


def test_every_layer_loads_valid_in_wgs84(physical) -> None:
    for layer in PHYSICAL_LAYERS:
        frame = getattr(physical, layer)
        assert frame.crs.to_epsg() == 4326
        assert len(frame) and frame.geometry.is_valid.all() and not frame.geometry.is_empty.any()


def test_labelled_features_carry_both_names(physical) -> None:
    for frame in (physical.rivers, physical.lakes):
        labelled = frame[frame["label_rank"].notna()]
        assert len(labelled) >= 20
        assert labelled["name_en"].str.len().gt(0).all() and labelled["name_zh"].str.len().gt(0).all()
        assert labelled["name_zh"].str.contains(r"[\u4e00-\u9fff]").all()
        assert not labelled["name_en"].str.contains(r"[\u4e00-\u9fff]").any()


def test_a_labelled_feature_without_its_chinese_name_fails_the_load(physical) -> None:
    broken = physical.lakes.copy()
    broken.loc[broken.index[0], "name_zh"] = None
    with pytest.raises(GeodataError, match=broken["id"].iloc[0]):
        check_names(broken, label="lakes")


@pytest.mark.parametrize(
    ("river", "provinces"),
    [
        ("长江", ["420000", "360000", "340000"]),
        ("黄河", ["140000", "410000"]),
        ("汉江", ["420000"]),
        ("湘江", ["430000"]),
        ("赣江", ["360000"]),
        ("淮河", ["410000", "340000"]),
        ("汾河", ["140000"]),
        ("沅江", ["430000"]),
        ("资水", ["430000"]),
    ],
)
def test_the_main_rivers_run_through_their_provinces(river: str, provinces: list[str], physical, atlas) -> None:
    course = physical.rivers[physical.rivers["name_zh"] == river]
    assert len(course) and course["label_rank"].notna().any(), river
    line = shapely.union_all(course.geometry.to_numpy())
    for code in provinces:
        province = atlas.provinces.set_index("adcode").geometry[code]
        assert shapely.intersection(line, province).length > 0.5, (river, code)  # degrees of river, ~50 km


@pytest.mark.parametrize(
    ("lake", "province"),
    [("鄱阳湖", "360000"), ("洞庭湖", "430000"), ("巢湖", "340000"), ("洪湖", "420000"), ("梁子湖", "420000")],
)
def test_the_main_lakes_lie_in_their_province(lake: str, province: str, physical, atlas) -> None:
    water = physical.lakes[physical.lakes["name_zh"] == lake]
    assert len(water) == 1 and water["label_rank"].notna().all(), lake
    polygon = atlas.provinces.set_index("adcode").geometry[province]
    assert water.geometry.iloc[0].intersection(polygon).area > 0.95 * water.geometry.iloc[0].area


def test_danjiangkou_reservoir_is_shared_by_henan_and_hubei(physical, atlas) -> None:
    water = physical.lakes[physical.lakes["name_zh"] == "丹江口水库"]
    assert list(water["kind"]) == ["reservoir"]
    provinces = atlas.provinces.set_index("adcode").geometry
    assert all(water.geometry.iloc[0].intersects(provinces[code]) for code in ("410000", "420000"))


def test_labels_rank_the_guideline_rivers_first() -> None:
    rivers = load_physical().rivers
    top = set(rivers.loc[rivers["label_rank"] == 1, "name_zh"])
    assert top == {"长江", "黄河"}
    fen = rivers[(rivers["name_zh"] == "汾河")]
    assert fen["label_rank"].iloc[0] == 2  # Natural Earth ranks the Fen 9 of 10; the guideline names it


def test_light_files_are_smaller_than_detail() -> None:
    for layer in PHYSICAL_LAYERS:
        light, detail = (physical_path(layer=layer, resolution=r) for r in ("light", "detail"))
        assert light.stat().st_size < detail.stat().st_size, layer
        vertices = [shapely.get_num_coordinates(getattr(load_physical(resolution=r), layer).geometry).sum()
                    for r in ("light", "detail")]  # fmt: skip
        assert vertices[0] < vertices[1], layer
    assert physical_path(layer="relief", resolution="light").stat().st_size < 100_000


def test_relief_bands_are_ordered_and_do_not_overlap(physical) -> None:
    bands = physical.relief
    assert list(bands["min_m"]) == sorted(bands["min_m"])
    assert list(bands["max_m"].iloc[:-1]) == list(bands["min_m"].iloc[1:])
    for a, b in itertools.combinations(bands.geometry, 2):
        assert a.intersection(b).area < 1e-6 * min(a.area, b.area)


def test_relief_bands_put_mountains_high_and_plains_low() -> None:
    bands = load_physical().relief

    def band_at(lonlat: tuple[float, float]) -> list[int]:
        return list(bands.loc[bands.geometry.contains(shapely.Point(lonlat)), "min_m"])

    assert band_at(ZHENGZHOU) == [] and band_at(NANCHANG) == []
    assert band_at(WUTAI_SHAN) and band_at(WUTAI_SHAN)[0] >= 1000


def test_bands_out_of_order_fail_the_load() -> None:
    bands = load_physical().relief.iloc[::-1]
    with pytest.raises(GeodataError, match="not contiguous"):
        check_bands(bands, label="relief")


def test_the_shaded_relief_is_placed_and_transparent_over_the_sea(atlas) -> None:
    shade = relief_shade()
    west, south, east, north = shade.bounds
    with Image.open(shade.path) as im:
        assert im.size == shade.size_px and im.mode == "LA"
        alpha = np.asarray(im)[..., 1]
    assert shade.crs == "EPSG:4326"
    six = atlas.provinces[atlas.provinces["is_central"]].total_bounds
    assert west < six[0] and south < six[1] and east > six[2] and north > six[3]

    def pixel(lon: float, lat: float) -> int:
        col = int((lon - west) / (east - west) * alpha.shape[1])
        row = int((north - lat) / (north - south) * alpha.shape[0])
        return int(alpha[row, col])

    assert pixel(121.0, 34.5) == 0  # Yellow Sea
    taihang = alpha[int((north - 37.5) / (north - south) * alpha.shape[0]) - 15 :][:30, :]
    assert taihang.max() > 40 and 0 < alpha.mean() < 60


def test_an_altered_input_fails_the_build_with_one_line(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    shutil.copytree(INPUTS_DIR, inputs)
    (inputs / "lakes.extract.geojson").write_text('{"type":"FeatureCollection","features":[]}', encoding="utf-8")
    with pytest.raises(build_physical.PhysicalBuildError, match=r"lakes\.extract\.geojson differs"):
        build_physical.pinned_inputs(inputs_dir=inputs)


def test_unknown_resolution_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown resolution"):
        load_physical(resolution="poster")


def test_the_zi_shui_keeps_its_lgpl_licence_and_text() -> None:
    rivers = load_physical(resolution="detail").rivers
    zi = rivers[rivers["name_zh"] == "资水"]
    assert list(zi["licence"]) == ["LGPL-3.0-or-later"]
    assert set(rivers.loc[rivers["name_zh"] != "资水", "licence"]) == {"public domain"}
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in (INPUTS_DIR / "LGPL-3.0.txt").read_text(encoding="utf-8")


def test_every_river_corridor_has_a_river(atlas) -> None:
    corridors = atlas.layers["river_corridors"]["feature_id"]
    assert len(corridors) == 4
    for feature_id in corridors:
        assert link_for(feature_id).relation == "corridor"


@pytest.mark.parametrize("link", RIVER_LINKS, ids=lambda link: link.feature_id)
def test_each_linked_feature_lies_along_its_river(link, atlas) -> None:
    feature = atlas.features.set_index("feature_id", drop=False).loc[link.feature_id]
    fit = corridor_fit(feature, rivers=load_physical().rivers, atlas=atlas)
    assert fit.river_km > 50
    assert fit.on_river, fit


def test_a_corridor_moved_off_its_river_is_reported(atlas) -> None:
    feature = atlas.features.set_index("feature_id", drop=False).loc["rc-fenhe"].copy()
    feature["geometry"] = shapely.affinity.translate(feature["geometry"], xoff=1.0)
    fit = corridor_fit(feature, rivers=load_physical().rivers, atlas=atlas)
    assert not fit.on_river and fit.share_near < 0.9


def test_a_corridor_missing_a_riparian_prefecture_is_reported(atlas) -> None:
    feature = atlas.features.set_index("feature_id", drop=False).loc["rc-xiangjiang"].copy()
    feature["members"] = [code for code in feature["members"] if code != "430400"]  # without Hengyang
    fit = corridor_fit(feature, rivers=load_physical().rivers, atlas=atlas)
    assert fit.units_missed == ("430400",)


def test_build_log_records_each_file() -> None:
    log = json.loads((PHYSICAL_DIR / "build-log.json").read_text(encoding="utf-8"))
    assert {entry["file"] for entry in log["files"]} == {p.name for p in PHYSICAL_DIR.glob("*.geojson")} | {
        "relief.shade.png"
    }
