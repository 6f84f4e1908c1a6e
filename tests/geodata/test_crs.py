"""The GCJ-02 to WGS84 conversion applied to the Amap boundaries."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from geodata import crs


def test_published_check_value_beijing_railway_station() -> None:
    # WGS84 (39.90105 N, 116.42079 E) -> GCJ-02 (39.90245 N, 116.42703 E), as published for the formula.
    lon, lat = crs.wgs84_to_gcj02(np.array([116.42079]), np.array([39.90105]))
    assert lon[0] == pytest.approx(116.42703, abs=2e-5)
    assert lat[0] == pytest.approx(39.90245, abs=2e-5)


@given(st.floats(73.0, 135.0), st.floats(18.0, 53.0))
def test_inverse_undoes_the_offset(lon: float, lat: float) -> None:
    gcj = crs.wgs84_to_gcj02(np.array([lon]), np.array([lat]))
    back = crs.gcj02_to_wgs84(*gcj)
    assert back[0][0] == pytest.approx(lon, abs=1e-8)
    assert back[1][0] == pytest.approx(lat, abs=1e-8)


def test_offset_in_the_central_region_is_a_few_hundred_metres_south_west_of_the_source() -> None:
    wuhan = crs.to_wgs84(shapely.Point(114.305, 30.593))
    dx = (wuhan.x - 114.305) * 111_320 * np.cos(np.radians(30.593))
    dy = (wuhan.y - 30.593) * 110_540
    assert 300 < np.hypot(dx, dy) < 800
    assert dx < 0


def test_outside_china_nothing_moves() -> None:
    assert crs.to_wgs84(shapely.Point(2.35, 48.85)).equals(shapely.Point(2.35, 48.85))


def test_shared_vertices_stay_shared() -> None:
    left = shapely.box(113.0, 30.0, 113.5, 30.5)
    right = shapely.box(113.5, 30.0, 114.0, 30.5)
    moved = np.array([crs.to_wgs84(left), crs.to_wgs84(right)])
    assert shapely.coverage_is_valid(moved)
    assert moved[0].intersection(moved[1]).length > 0.4
