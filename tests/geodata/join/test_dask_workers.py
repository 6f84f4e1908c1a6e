"""Dask workers get the county grid built and leave their CSV text on this machine, with the same output file."""

from __future__ import annotations

import csv
import pickle
from pathlib import Path

import numpy as np
import pytest
import shapely

from geodata.join import engines
from geodata.join.grid import CountyGrid
from geodata.join.run import join_file
from geodata.join.units import Units, atlas_units


@pytest.fixture(scope="module")
def units() -> Units:
    return atlas_units()


def sample_points(units: Units, *, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Random points over the counties' box, plus the vertices of the first counties (points on borders)."""
    rng = np.random.default_rng(5)
    x0, y0, x1, y1 = units.counties.total_bounds
    vertices = shapely.get_coordinates(shapely.boundary(units.counties.geometry.to_numpy()[:3]))
    return np.concatenate([rng.uniform(x0, x1, count), vertices[:, 0]]), np.concatenate(
        [rng.uniform(y0, y1, count), vertices[:, 1]]
    )


def test_a_pickled_units_arrives_with_its_grid_built(units: Units, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = Units(counties=units.counties, names=units.names)
    expected = fresh.locate(*sample_points(units, count=20_000))  # builds the grid here, as the client does
    data = pickle.dumps(fresh)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the grid was built again after unpickling")

    monkeypatch.setattr(CountyGrid, "__init__", refuse)
    arrived = pickle.loads(data)
    np.testing.assert_array_equal(arrived.locate(*sample_points(units, count=20_000)), expected)


def test_a_units_without_a_grid_still_travels_and_builds_it_on_use(units: Units) -> None:
    arrived = pickle.loads(pickle.dumps(Units(counties=units.counties, names=units.names)))
    assert "grid" not in arrived.__dict__
    x, y = sample_points(units, count=2_000)
    np.testing.assert_array_equal(arrived.locate(x, y), units.locate(x, y))


def test_local_workers_spool_their_chunks_and_write_the_same_file(
    tmp_path: Path, units: Units, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(9)
    x0, y0, x1, y1 = units.counties.total_bounds
    source = tmp_path / "points.csv"
    with source.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "lon", "lat"])
        writer.writerows(zip(range(500), rng.uniform(x0, x1, 500), rng.uniform(y0, y1, 500), strict=True))
    shared = tmp_path / "shm"
    shared.mkdir()
    monkeypatch.setattr(engines, "SHARED_MEMORY", str(shared))
    seen: list[object] = []
    unspool = engines.unspooled

    def counting(result: engines.ChunkResult) -> engines.ChunkResult:
        seen.append(result.payload)
        return unspool(result)

    monkeypatch.setattr(engines, "unspooled", counting)
    local, dask = tmp_path / "geopandas.csv", tmp_path / "dask.csv"
    join_file(source, output=local, chunk_rows=97)
    join_file(source, output=dask, engine="dask", workers=2, chunk_rows=60)
    assert dask.read_bytes() == local.read_bytes()
    assert len(seen) > 2
    assert all(isinstance(payload, engines.Spooled) for payload in seen)  # no chunk's text came over the network
    assert list(shared.iterdir()) == []  # the spool folder is gone with its files
