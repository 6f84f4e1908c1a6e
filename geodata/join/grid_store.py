"""The county grid built by `geodata.build` and stored beside the boundaries: read back while the counties are the same.

Building the grid takes most of a second; the file join needs it before its first point, and a
Dask client builds it while its workers start, on the cores they start on. Read back, it takes
milliseconds. The stored grid is keyed by the counties' exact geometries (in position order),
the cell size and VERSION, so a grid of other counties is never used: they get one built.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np
import shapely

from geodata._paths import BOUNDARIES_DIR, GRID_NAME
from geodata.join.grid import STEP, CountyGrid

#: Bump when CountyGrid's arrays change meaning.
VERSION = 1
ARRAYS = ("cells", "start", "candidates")
NUMBERS = ("x0", "y0", "nx", "ny", "step")
FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def grid_key(geometries: np.ndarray, *, step: float = STEP) -> str:
    """sha256 of what a grid depends on: the geometries as WKB in their order, the cell size, VERSION."""
    digest = hashlib.sha256(f"{VERSION} {step!r}".encode())
    for wkb in shapely.to_wkb(np.asarray(geometries, dtype=object)):
        digest.update(len(wkb).to_bytes(8, "little") + wkb)
    return digest.hexdigest()


def write_grid(geometries: np.ndarray, *, folder: Path = BOUNDARIES_DIR) -> Path:
    """Build the grid of `geometries` and store it in `folder`."""
    grid = CountyGrid(geometries)
    path = folder / GRID_NAME
    entries = {"key": np.array(grid_key(geometries, step=grid.step))}
    entries |= {name: np.array(getattr(grid, name)) for name in NUMBERS}
    entries |= {name: getattr(grid, name) for name in ARRAYS}
    with zipfile.ZipFile(path, "w") as archive:
        for name, array in entries.items():  # as np.savez_compressed, but with fixed dates: the same bytes each build
            info = zipfile.ZipInfo(f"{name}.npy", date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w") as entry:
                np.lib.format.write_array(entry, array, allow_pickle=False)
    return path


def read_grid(geometries: np.ndarray, *, folder: Path = BOUNDARIES_DIR, step: float = STEP) -> CountyGrid | None:
    """The stored grid of exactly these geometries, or None when there is none, it is stale or unreadable."""
    path = folder / GRID_NAME
    try:
        with np.load(path, allow_pickle=False) as stored:
            if str(stored["key"]) != grid_key(geometries, step=step):
                return None
            state = {name: stored[name].item() for name in NUMBERS} | {name: stored[name] for name in ARRAYS}
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        return None
    return CountyGrid.restored(geometries, **state)
