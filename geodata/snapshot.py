"""Snapshots between processes: what the package loads, pickled in a private cache folder, read back at start-up."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from geodata._paths import PACKAGE_DIR

T = TypeVar("T")
#: GEODATA_SNAPSHOT_DIR: where loaded data is kept between processes; "off" keeps none.
SNAPSHOT_ENV = "GEODATA_SNAPSHOT_DIR"
SNAPSHOT_OFF = "off"
#: Snapshots kept per name (several checkouts may share the folder); older ones are removed on a write.
SNAPSHOTS_KEPT = 6


def snapshot_dir(*, environ: dict[str, str] | None = None) -> Path | None:
    """GEODATA_SNAPSHOT_DIR, else $XDG_CACHE_HOME (or ~/.cache)/central-region-atlas; None when "off"."""
    env = os.environ if environ is None else environ
    chosen = env.get(SNAPSHOT_ENV, "").strip()
    if chosen == SNAPSHOT_OFF:
        return None
    if chosen:
        return Path(chosen)
    return Path(env.get("XDG_CACHE_HOME", "").strip() or Path.home() / ".cache") / "central-region-atlas"


@functools.cache
def package_stamp(*, root: Path = PACKAGE_DIR) -> str:
    """A digest of the Python and library versions and of the name, size and modification time of every file of
    the package (code and data): any change to what a snapshot was made from gives a new stamp."""
    import geopandas
    import pandas
    import shapely

    versions = f"{sys.version}|{pandas.__version__}|{geopandas.__version__}|{shapely.__version__}"
    digest = hashlib.sha256(versions.encode())
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        info = path.stat()
        digest.update(f"{path.relative_to(root).as_posix()}|{info.st_size}|{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:20]


def snapshot_path(name: str) -> Path | None:
    """The snapshot file of `name` for this package as it is now, or None when snapshots are off."""
    folder = snapshot_dir()
    return None if folder is None else folder / f"{name}-{package_stamp()}.pickle"


def cached(name: str, *, build: Callable[[], T]) -> T:
    """The value stored under `name` for this package as it is now, else `build()` (stored for the next process)."""
    path = snapshot_path(name)
    if path is not None:
        found = read_snapshot(path)
        if found is not None:
            return found  # type: ignore[return-value]  # what build() returned for this very name and stamp
    value = build()
    if path is not None:
        write_snapshot(value, path=path, name=name)
    return value


def _private(folder: Path) -> bool:
    """Whether the folder is ours and closed to others (snapshots are pickles: nobody else may write them)."""
    info = folder.stat()
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def read_snapshot(path: Path) -> object | None:
    """The value stored at `path`, or None when there is none (or it is unreadable, or the folder not private)."""
    try:
        if not path.is_file() or not _private(path.parent):
            return None
        with path.open("rb") as stream:
            return pickle.load(stream)
    except Exception:  # a damaged or foreign snapshot: built afresh (and rewritten) instead
        return None


def write_snapshot(value: object, *, path: Path, name: str) -> bool:
    """Store `value` at `path` (atomically, in a folder made 0700); whether it was written."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(path.parent):
            return False
        handle, partial = tempfile.mkstemp(dir=path.parent, suffix=".part")
    except OSError:
        return False
    try:
        with os.fdopen(handle, "wb") as stream:
            pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)
    except Exception:  # a value that cannot be pickled, or a full disk: not stored, built again next time
        with contextlib.suppress(OSError):
            os.unlink(partial)
        return False
    prune(path.parent, pattern=f"{name}-*.pickle", keep=SNAPSHOTS_KEPT)
    return True


def prune(folder: Path, *, pattern: str, keep: int) -> None:
    """Remove all but the `keep` most recently written files matching `pattern`."""
    found = []
    for path in folder.glob(pattern):
        with contextlib.suppress(OSError):
            found.append((path.stat().st_mtime_ns, path))
    for _, path in sorted(found, reverse=True)[keep:]:
        with contextlib.suppress(OSError):
            path.unlink()
