"""The fast locator of the file join gives exactly the border rule's answers: on borders, corners, edges, anywhere."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.join import locate_points
from geodata.join.chunk import text_numbers
from geodata.join.grid import CountyGrid
from geodata.join.units import Units, atlas_units
from geodata.parse import parse_numbers


@pytest.fixture(scope="module")
def units() -> Units:
    return atlas_units()


def border_corpus(counties: gpd.GeoDataFrame, *, count: int) -> np.ndarray:
    """Shared vertices (every three-county corner and a sample of the rest) and midpoints of shared edges."""
    owners: dict[tuple[float, float], set[str]] = {}
    for adcode, geometry in zip(counties["adcode"], counties.geometry, strict=True):
        for x, y in shapely.get_coordinates(geometry.boundary):
            owners.setdefault((x, y), set()).add(adcode)
    shared = np.array([point for point, codes in owners.items() if len(codes) > 1])
    corners = np.array([point for point, codes in owners.items() if len(codes) > 2])
    rng = np.random.default_rng(23)
    sample = shared[rng.choice(len(shared), size=count, replace=False)]
    lines = shapely.get_coordinates(shapely.boundary(counties.geometry.to_numpy()))
    edges = rng.choice(len(lines) - 1, size=count, replace=False)
    midpoints = (lines[edges] + lines[edges + 1]) / 2
    return np.concatenate([corners, sample, midpoints])


def positions_to_codes(units: Units, positions: np.ndarray) -> list[str]:
    return [code or "" for code in units.codes["county"][positions]]


def rule(units: Units, xy: np.ndarray) -> list[str]:
    points = gpd.GeoDataFrame(geometry=shapely.points(xy), crs="EPSG:4326")
    return locate_points(points, counties=units.counties)["county_adcode"].fillna("").tolist()


def test_border_corpus_lands_where_the_border_rule_puts_it(units: Units) -> None:
    xy = border_corpus(units.counties, count=3000)
    expected = rule(units, xy)
    touching = units.counties.sindex.query(shapely.points(xy), predicate="intersects")
    assert np.bincount(touching[0], minlength=len(xy))[: len(xy) - 3000].min() >= 2  # corners and shared vertices tie
    assert positions_to_codes(units, units.locate(xy[:, 0], xy[:, 1])) == expected


def test_random_points_land_where_the_border_rule_puts_them(units: Units) -> None:
    rng = np.random.default_rng(29)
    x0, y0, x1, y1 = units.counties.total_bounds
    xy = np.column_stack([rng.uniform(x0 - 1, x1 + 1, 40_000), rng.uniform(y0 - 1, y1 + 1, 40_000)])
    located = positions_to_codes(units, units.locate(xy[:, 0], xy[:, 1]))
    assert located == rule(units, xy)
    assert 0.3 < np.mean([bool(code) for code in located]) < 0.9


def test_missing_and_infinite_coordinates_land_nowhere(units: Units) -> None:
    x = np.array([np.nan, 114.3, np.inf, -np.inf, 114.3])
    y = np.array([30.6, np.nan, 30.6, 30.6, 30.6])
    assert positions_to_codes(units, units.locate(x, y)) == ["", "", "", "", "420102"]


def test_a_grid_coarser_than_the_counties_still_follows_the_rule() -> None:
    """Two squares of a 3x1 strip sharing a border inside one cell, listed largest adcode first."""
    geometries = np.array([shapely.box(0.35, 0, 1, 1), shapely.box(0, 0, 0.35, 1)])
    grid = CountyGrid(geometries, step=0.5)
    x = np.array([0.35, 0.2, 0.6, 1.0, 1.01, 0.35])
    y = np.array([0.5, 0.5, 0.5, 1.0, 0.5, 1.0])
    assert grid.locate(x, y).tolist() == [0, 1, 0, 0, -1, 0]


NUMBERISH = st.text(alphabet="0123456789.-+eE ,nafiNAIxX_", max_size=12) | st.floats(allow_nan=True).map(repr)


@settings(max_examples=300, deadline=None)
@given(st.lists(NUMBERISH, min_size=1, max_size=20))
def test_arrow_numbers_are_pandas_numbers_or_refused(cells: list[str]) -> None:
    numbers = text_numbers(pa.chunked_array([pa.array(cells, pa.string())]))
    expected, bad = parse_numbers(pd.Series(cells, dtype=object))
    if numbers is not None:
        assert not bad.any()
        np.testing.assert_array_equal(numbers, expected)
