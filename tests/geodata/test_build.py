"""The boundary build: reproducible bytes, complete levels, topology kept through simplification."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely

from geodata import build
from geodata._paths import BOUNDARIES_DIR, CENTRAL_PROVINCES
from geodata.load import read_boundaries


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("boundaries")
    build.build(out_dir=out)
    return out


@pytest.fixture(scope="module")
def raw() -> dict:
    return build.raw_boundaries()


def test_build_regenerates_the_committed_files_byte_for_byte(rebuilt: Path) -> None:
    committed = sorted(p.name for p in BOUNDARIES_DIR.iterdir())
    assert sorted(p.name for p in rebuilt.iterdir()) == committed
    for name in committed:
        assert (rebuilt / name).read_bytes() == (BOUNDARIES_DIR / name).read_bytes(), name


def test_every_level_is_complete(atlas) -> None:
    assert len(atlas.provinces) == 34
    assert set(atlas.provinces.loc[atlas.provinces["is_central"], "adcode"]) == set(CENTRAL_PROVINCES)
    central_prefectures = atlas.prefectures[atlas.prefectures["is_central"]]
    assert len(central_prefectures) == 87
    assert {"419001", "429004", "429005", "429006", "429021"} <= set(central_prefectures["adcode"])
    assert len(atlas.counties[atlas.counties["is_central"]]) == 703
    assert set(atlas.counties["province_adcode"]) == set(CENTRAL_PROVINCES)
    weinan = atlas.prefectures[atlas.prefectures["adcode"] == "610500"]
    assert len(weinan) == 1 and not weinan["is_central"].iloc[0]


def test_counties_nest_in_their_prefectures(atlas) -> None:
    prefectures = atlas.prefectures.set_index("adcode")
    for county in atlas.counties.itertuples():
        parent = prefectures.loc[county.prefecture_adcode]
        assert parent.province_adcode == county.province_adcode
        share = county.geometry.intersection(parent.geometry).area / county.geometry.area
        assert share > 0.9, county.adcode


@pytest.mark.parametrize("level", ["province", "prefecture", "county"])
@pytest.mark.parametrize("resolution", ["light", "detail"])
def test_simplified_units_still_tile_without_gaps_or_overlaps(level: str, resolution: str, raw: dict) -> None:
    frame = read_boundaries(level=level, resolution=resolution)
    geoms = frame.geometry.to_numpy()
    assert shapely.coverage_is_valid(geoms, gap_width=0.0)
    total = shapely.area(geoms).sum()
    union = shapely.coverage_union_all(geoms)
    assert total - union.area < 1e-9 * total  # no overlaps
    raw_union = shapely.coverage_union_all(raw[level][1])
    holes = lambda g: sum(len(p.interiors) for p in shapely.get_parts(g))  # noqa: E731
    assert holes(union) <= holes(raw_union)  # simplification opened no gap between neighbours
    assert abs(union.area - raw_union.area) < 0.002 * raw_union.area


def _neighbour_pairs(geoms: np.ndarray) -> set[tuple[int, int]]:
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    shared = shapely.length(shapely.intersection(geoms[left], geoms[right]))
    return {(int(a), int(b)) for a, b, length in zip(left, right, shared, strict=True) if length > 0}


@pytest.mark.parametrize("level", ["prefecture", "county"])
def test_neighbours_keep_one_shared_border(level: str, raw: dict) -> None:
    frame = read_boundaries(level=level, resolution="light")
    assert list(frame["adcode"]) == [row["adcode"] for row in raw[level][0]]
    assert _neighbour_pairs(frame.geometry.to_numpy()) == _neighbour_pairs(raw[level][1])


def test_simplification_shrinks_every_level() -> None:
    log = build.json.loads(build.BUILD_LOG.read_text())
    for level, entry in log["levels"].items():
        assert entry["light"]["vertices"] < entry["detail"]["vertices"] < entry["raw"]["vertices"], level
        assert entry["light"]["bytes"] < entry["raw"]["bytes"] / 5, level


def test_invalid_geometry_fails_the_build_naming_the_unit() -> None:
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    with pytest.raises(build.BuildError, match="420100 武汉市"):
        build.check_coverage(np.array([bowtie]), [{"adcode": "420100", "name_zh": "武汉市"}], label="test")


def test_overlapping_units_fail_the_coverage_check() -> None:
    squares = np.array([shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3)])
    rows = [{"adcode": "1", "name_zh": "a"}, {"adcode": "2", "name_zh": "b"}]
    with pytest.raises(build.BuildError, match="clean coverage"):
        build.check_coverage(squares, rows, label="test")


def test_drop_small_parts_keeps_the_mainland() -> None:
    islands = shapely.MultiPolygon([shapely.box(0, 0, 0.01, 0.01), shapely.box(5, 5, 10, 10)])
    kept = build.drop_small_parts(islands, min_area=0.5)
    assert kept.area == 25
