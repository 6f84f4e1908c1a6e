"""The screen LOD boundaries: every unit kept, neighbours still tile, drawn zoomed out; joins and print keep detail."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from dashboard.figures import screen as figures
from dashboard.view.scene import resolve
from dashboard.view.state import ViewState
from geodata import load_atlas, screen_lod
from geodata._paths import BOUNDARIES_DIR, LEVELS


@pytest.fixture(scope="module", params=LEVELS)
def level(request) -> str:
    return request.param


def lod_units(level: str):
    return screen_lod.read_level(level).geometry


def test_no_unit_disappears(atlas, level: str) -> None:
    lod = lod_units(level)
    light = atlas.units(level)
    assert sorted(lod.index) == sorted(light["adcode"])
    geoms = lod.to_numpy()
    assert not shapely.is_empty(geoms).any() and shapely.is_valid(geoms).all()
    assert (shapely.area(geoms) > 0).all()


LIGHT_TOLERANCE = {"province": 0.02, "prefecture": 0.01, "county": 0.01}  # geodata.build.RESOLUTIONS


def test_neighbours_share_borders_exactly(level: str) -> None:
    assert shapely.coverage_is_valid(lod_units(level).to_numpy())  # no overlaps, shared edges match vertex for vertex


def test_neighbours_stay_neighbours(atlas, level: str) -> None:
    lod = lod_units(level)
    light = atlas.units(level).set_index("adcode").geometry
    tree = shapely.STRtree(light.to_numpy())
    pairs = tree.query(light.to_numpy(), predicate="touches")
    lost = []
    for i, j in zip(*pairs, strict=True):
        if i >= j:
            continue
        shared = shapely.length(shapely.intersection(light.iloc[i], light.iloc[j]))
        if shared > 4 * screen_lod.SCREEN_TOLERANCE:
            a, b = lod.loc[light.index[i]], lod.loc[light.index[j]]
            if shapely.length(shapely.intersection(a, b)) == 0:
                lost.append((light.index[i], light.index[j]))
    assert lost == []


def central(atlas, level: str):
    units = atlas.units(level)
    return units[units["is_central"]].set_index("adcode").geometry  # what the screen draws (context: overview)


def test_no_gap_wider_than_the_allowed_deviation_opens(atlas, level: str) -> None:
    light = central(atlas, level)
    lod = shapely.union_all(lod_units(level).loc[light.index].to_numpy())
    light = shapely.union_all(light.to_numpy())
    reach = screen_lod.MAX_DEVIATION_DEG
    assert shapely.area(shapely.difference(light, shapely.buffer(lod, reach))) < 1e-9
    assert shapely.area(shapely.difference(lod, shapely.buffer(light, reach))) < 1e-9


def test_each_unit_stays_within_the_allowed_deviation_of_its_light_shape(atlas, level: str) -> None:
    light = central(atlas, level)
    distances = shapely.hausdorff_distance(lod_units(level).loc[light.index].to_numpy(), light.to_numpy())
    assert np.max(distances) <= screen_lod.MAX_DEVIATION_DEG, light.index[int(np.argmax(distances))]


def test_the_log_records_method_and_tolerance(level: str) -> None:
    log = json.loads((BOUNDARIES_DIR / screen_lod.LOG_NAME).read_text(encoding="utf-8"))
    entry = log["levels"][level]
    assert entry["tolerance_deg"] == screen_lod.SCREEN_TOLERANCE
    assert "coverage_simplify" in entry["method"]
    assert entry["vertices"] == int(shapely.get_num_coordinates(lod_units(level).to_numpy()).sum())
    assert entry["vertices"] < entry["raw_vertices"]


def test_lod_zones_are_dissolved_from_lod_units(atlas) -> None:
    screen = screen_lod.screen_atlas(atlas)
    units = {code: geom for level in LEVELS for code, geom in lod_units(level).items()}
    zones = screen.features[screen.features["kind"] == "zone"]
    assert len(zones)
    for members, geom in zip(zones["members"], zones.geometry, strict=True):
        expected = shapely.union_all([units[code] for code in members])  # a code on two levels: either shape
        assert shapely.area(shapely.symmetric_difference(geom, expected)) < 1e-3 * shapely.area(expected)


def test_joins_and_names_are_the_atlas_own(atlas) -> None:
    drawn_before = atlas.counties.geometry.copy()
    screen = screen_lod.screen_atlas(atlas)
    columns = [c for c in atlas.features.columns if c != "geometry"]
    left = atlas.features[columns].astype(str)
    right = screen.features[columns].astype(str)
    assert left.equals(right)
    assert screen.counties.drop(columns="geometry").equals(atlas.counties.drop(columns="geometry"))
    assert atlas.counties.geometry.geom_equals(drawn_before).all()  # the shared atlas is not changed by drawing
    assert not atlas.counties.geometry.geom_equals(screen.counties.geometry).all()


def vertices(fig: dict, role: str) -> int:
    trace = next(t for t in fig["data"] if t["meta"]["role"] == role)
    return sum(
        len(shapely.get_coordinates(shapely.geometry.shape(f["geometry"]))) for f in trace["geojson"]["features"]
    )


def test_the_screen_draws_the_lod_zoomed_out_and_the_light_files_zoomed_in(atlas) -> None:
    light = central(atlas, "county")
    lod_count = int(shapely.get_num_coordinates(lod_units("county").loc[light.index].to_numpy()).sum())
    light_count = int(shapely.get_num_coordinates(light.to_numpy()).sum())
    assert lod_count < 0.6 * light_count
    out = figures.map_figure_data(atlas, resolve(ViewState(level="county")))
    zoomed = figures.map_figure_data(atlas, resolve(ViewState(level="county", center=(113.0, 30.5), scale=3.0)))
    assert vertices(out, "units") == lod_count
    assert vertices(zoomed, "units") == light_count


def test_print_never_draws_the_lod() -> None:
    detail = load_atlas(resolution="detail")
    assert figures.drawn_atlas(detail, ViewState()) is detail
