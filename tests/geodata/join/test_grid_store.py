"""The build's stored county grid: used only for exactly its counties, identical to one built afresh."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely

from geodata._paths import BOUNDARIES_DIR, GRID_NAME
from geodata.join.grid import CountyGrid
from geodata.join.grid_store import read_grid, write_grid
from geodata.join.units import Units, atlas_units


@pytest.fixture(scope="module")
def units() -> Units:
    return atlas_units()


def test_the_bundled_grid_is_current_and_equals_a_fresh_build(units: Units) -> None:
    geometries = units.counties.geometry.to_numpy()
    stored = read_grid(geometries)
    assert stored is not None, f"{GRID_NAME} is stale or missing: run `python -m geodata.build`"
    fresh = CountyGrid(geometries)
    for name in ("cells", "start", "candidates"):
        np.testing.assert_array_equal(getattr(stored, name), getattr(fresh, name))
    assert (stored.x0, stored.y0, stored.nx, stored.ny, stored.step) == (
        fresh.x0,
        fresh.y0,
        fresh.nx,
        fresh.ny,
        fresh.step,
    )
    rng = np.random.default_rng(3)
    x0, y0, x1, y1 = units.counties.total_bounds
    x, y = rng.uniform(x0, x1, 50_000), rng.uniform(y0, y1, 50_000)
    np.testing.assert_array_equal(stored.locate(x, y), fresh.locate(x, y))


def test_other_counties_get_no_stored_grid(units: Units, tmp_path: Path) -> None:
    geometries = units.counties.geometry.to_numpy()
    moved = geometries.copy()
    moved[0] = shapely.affinity.translate(moved[0], xoff=1e-9)
    assert read_grid(moved) is None
    assert read_grid(geometries[::-1]) is None  # the same counties in another order: other positions
    assert read_grid(geometries, step=0.05) is None
    assert read_grid(geometries, folder=tmp_path) is None  # none stored there


def test_a_damaged_grid_file_is_ignored(units: Units, tmp_path: Path) -> None:
    geometries = units.counties.geometry.to_numpy()[:40]
    path = write_grid(geometries, folder=tmp_path)
    assert read_grid(geometries, folder=tmp_path) is not None
    path.write_bytes(path.read_bytes()[:1000])
    assert read_grid(geometries, folder=tmp_path) is None


def test_units_take_the_stored_grid_instead_of_building_one(units: Units, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("built a grid though the stored one is current")

    monkeypatch.setattr(CountyGrid, "__init__", refuse)
    fresh = Units(counties=units.counties, names=units.names)
    assert isinstance(fresh.grid, CountyGrid)
    assert (BOUNDARIES_DIR / GRID_NAME).exists()
