"""The border rule: every point lands in one county or none, a point on a shared border in the smallest adcode."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.join import locate_points


def _tiny_units() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "adcode": ["100101", "100102"],
            "prefecture_adcode": ["100100", "100100"],
            "province_adcode": ["100000", "100000"],
        },
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
        crs="EPSG:4326",
    )


def _point(feature_id: str, x: float, y: float) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"feature_id": [feature_id]}, geometry=[shapely.Point(x, y)], crs="EPSG:4326")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(108, 120), st.floats(24, 41)), min_size=1, max_size=40))
def test_locating_points_never_duplicates_or_misplaces_one(atlas, coords: list[tuple[float, float]]) -> None:
    points = gpd.GeoDataFrame(geometry=[shapely.Point(x, y) for x, y in coords], crs="EPSG:4326")
    located = locate_points(points, counties=atlas.counties)
    assert list(located.index) == list(points.index)
    geometry = atlas.counties.set_index("adcode").geometry
    for point, code in zip(points.geometry, located["county_adcode"], strict=True):
        if isinstance(code, str):
            assert geometry[code].covers(point)
        else:
            assert not atlas.counties.geometry.contains(point).any()


@pytest.mark.parametrize("order", [[0, 1], [1, 0]], ids=["smallest first", "smallest last"])
@pytest.mark.parametrize(("x", "y"), [(1.0, 0.5), (1.0, 1.0), (1.0, 0.0)])
def test_point_on_a_shared_border_goes_to_the_smallest_adcode(x: float, y: float, order: list[int]) -> None:
    counties = _tiny_units().iloc[order]
    located = locate_points(_point("edge", x, y), counties=counties)
    assert list(located["county_adcode"]) == ["100101"]
    assert list(located["prefecture_adcode"]) == ["100100"]


def test_real_shared_borders_go_to_the_smallest_adcode_whatever_the_counties_order(atlas) -> None:
    counties = atlas.counties
    border = shared_vertices(counties, count=40)
    points = gpd.GeoDataFrame(geometry=shapely.points(border), crs="EPSG:4326")
    touching = [counties["adcode"][shapely.intersects(counties.geometry.to_numpy(), p)] for p in points.geometry]
    assert min(len(codes) for codes in touching) >= 2  # every point is a tie for the rule to break
    expected = [min(codes) for codes in touching]
    for frame in (counties, counties.iloc[::-1], counties.sample(frac=1, random_state=5)):
        assert locate_points(points, counties=frame)["county_adcode"].tolist() == expected


def test_point_on_an_outer_border_still_lands() -> None:
    located = locate_points(_point("edge", 2.0, 0.5), counties=_tiny_units())
    assert list(located["county_adcode"]) == ["100102"]


def shared_vertices(counties: gpd.GeoDataFrame, *, count: int) -> list[tuple[float, float]]:
    """Vertices on the borders of two or more counties, three-county corners first."""
    owners: dict[tuple[float, float], set[str]] = {}
    for adcode, geometry in zip(counties["adcode"], counties.geometry, strict=True):
        for x, y in shapely.get_coordinates(geometry.boundary):
            owners.setdefault((x, y), set()).add(adcode)
    shared = sorted((point for point, codes in owners.items() if len(codes) > 1), key=lambda p: -len(owners[p]))
    corners = [point for point in shared if len(owners[point]) > 2][: count // 4]
    picks = np.random.default_rng(7).choice(len(shared), size=count - len(corners), replace=False)
    return corners + [shared[i] for i in picks]
