"""Dask workers get the county grid built and write their CSV text into the output themselves: the same file."""

from __future__ import annotations

import csv
import pickle
from pathlib import Path

import numpy as np
import pytest
import shapely

from geodata.join import engines
from geodata.join.errors import JoinInputError
from geodata.join.grid import CountyGrid
from geodata.join.output import WrittenElsewhere
from geodata.join.run import join_file
from geodata.join.units import Units, atlas_units, unit_columns


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


def random_points_file(path: Path, units: Units, *, count: int, bad_row: int | None = None) -> Path:
    rng = np.random.default_rng(9)
    x0, y0, x1, y1 = units.counties.total_bounds
    rows = [
        [i, x, y] for i, (x, y) in enumerate(zip(rng.uniform(x0, x1, count), rng.uniform(y0, y1, count), strict=True))
    ]
    if bad_row is not None:
        rows[bad_row][1] = "east"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "lon", "lat"])
        writer.writerows(rows)
    return path


def test_local_workers_write_their_chunks_in_place_and_the_file_is_the_same(
    tmp_path: Path, units: Units, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = random_points_file(tmp_path / "points.csv", units, count=500)
    seen: list[object] = []
    finish = engines.finished

    def watching(*args: object, **kwargs: object) -> engines.ChunkResult:
        result = finish(*args, **kwargs)
        seen.append(result.payload)
        return result

    monkeypatch.setattr(engines, "finished", watching)
    local, dask = tmp_path / "geopandas.csv", tmp_path / "dask.csv"
    local_counts, dask_counts = tmp_path / "geopandas-counts.csv", tmp_path / "dask-counts.csv"
    join_file(source, output=local, counts=local_counts, chunk_rows=97)
    join_file(source, output=dask, counts=dask_counts, engine="dask", workers=2, chunk_rows=7)
    assert dask.read_bytes() == local.read_bytes()
    assert dask_counts.read_bytes() == local_counts.read_bytes()
    assert len(seen) > 2
    assert all(isinstance(payload, WrittenElsewhere) for payload in seen)  # no chunk's text came to this process
    assert sum(payload.size for payload in seen) == dask.stat().st_size - len(b"id,lon,lat,") - len(
        ",".join(unit_columns("county")) + "\n"
    )


def test_a_bad_row_leaves_no_output_though_the_workers_hold_text(tmp_path: Path, units: Units) -> None:
    source = random_points_file(tmp_path / "points.csv", units, count=300, bad_row=250)
    output = tmp_path / "out.csv"
    with pytest.raises(JoinInputError, match="line 252"):
        join_file(source, output=output, engine="dask", workers=2, chunk_rows=20)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["points.csv"]
