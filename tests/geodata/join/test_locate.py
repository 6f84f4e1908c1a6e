"""The border rule: every point lands in one county or none, a point on a shared border in the smallest adcode."""

from __future__ import annotations

import geopandas as gpd
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


@pytest.mark.parametrize(("x", "y"), [(1.0, 0.5), (1.0, 1.0), (1.0, 0.0)])
def test_point_on_a_shared_border_goes_to_the_smallest_adcode(x: float, y: float) -> None:
    located = locate_points(_point("edge", x, y), counties=_tiny_units())
    assert list(located["county_adcode"]) == ["100101"]


def test_point_on_an_outer_border_still_lands() -> None:
    located = locate_points(_point("edge", 2.0, 0.5), counties=_tiny_units())
    assert list(located["county_adcode"]) == ["100102"]
