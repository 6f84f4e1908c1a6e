"""Load the bundled atlas: boundaries at three levels plus the joined guideline layers."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import stat
import sys
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geodata import joins_store
from geodata._paths import BOUNDARIES_DIR, CENTRAL_PROVINCES, LEVELS, OVERVIEW, PACKAGE_DIR, RESOLUTIONS, boundary_path
from geodata._validate import GeodataError, check_frame
from geodata.join.features import join_features
from geodata.layers import LAYER_IDS, guideline_features


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one cached atlas per resolution
class Atlas:
    """Boundaries (EPSG:4326 GeoDataFrames) and the guideline layers, keyed by layer id."""

    provinces: gpd.GeoDataFrame
    prefectures: gpd.GeoDataFrame
    counties: gpd.GeoDataFrame
    context: gpd.GeoDataFrame  # every province, coarse: the muted backdrop
    layers: dict[str, gpd.GeoDataFrame]
    resolution: str

    def units(self, level: str) -> gpd.GeoDataFrame:
        """The boundary frame of one admin level."""
        frames = {"province": self.provinces, "prefecture": self.prefectures, "county": self.counties}
        if level not in frames:
            raise KeyError(f"unknown admin level {level!r}; choose one of {', '.join(LEVELS)}")
        return frames[level]

    @property
    def features(self) -> gpd.GeoDataFrame:
        """Every guideline feature of every layer in one frame."""
        return pd.concat(self.layers.values(), ignore_index=True)


def read_boundaries(*, level: str, resolution: str, folder: Path = BOUNDARIES_DIR) -> gpd.GeoDataFrame:
    """One derived boundary file, validated."""
    path = boundary_path(level=level, resolution=resolution, folder=folder)
    if not path.exists():
        raise GeodataError(f"{path} is missing: run `python -m geodata.build`")
    frame = gpd.read_file(path, engine="pyogrio")
    for column in ("adcode", "province_adcode", "prefecture_adcode"):
        if column in frame:
            frame[column] = frame[column].astype(str)
    frame["is_central"] = frame["is_central"].astype(bool)
    check_frame(frame, key="adcode", label=str(path))
    return frame


@functools.cache
def load_atlas(*, resolution: str = "light") -> Atlas:
    """The atlas at `light` (browser) or `detail` (print) resolution; cached per resolution.

    Read from this machine's snapshot while the package's code and data are unchanged (see `snapshot_path`), else
    built from the bundled files and the snapshot written for the next process.
    """
    if resolution not in RESOLUTIONS:
        raise ValueError(f"unknown resolution {resolution!r}; choose one of {', '.join(RESOLUTIONS)}")
    path = snapshot_path(resolution=resolution)
    atlas = read_snapshot(path) if path is not None else None
    if atlas is None:
        atlas = build_atlas(resolution=resolution)
        if path is not None:
            write_snapshot(atlas, path=path)
    return atlas


def build_atlas(*, resolution: str) -> Atlas:
    """The atlas from the bundled files: boundaries read and checked, guideline features joined."""
    boundaries = {level: read_boundaries(level=level, resolution=resolution) for level in LEVELS}
    joined = joined_features(boundaries, resolution=resolution)
    layers = {layer: joined[joined["layer"] == layer].reset_index(drop=True) for layer in LAYER_IDS}
    return Atlas(
        provinces=boundaries["province"],
        prefectures=boundaries["prefecture"],
        counties=boundaries["county"],
        context=read_boundaries(level="province", resolution=OVERVIEW),
        layers=layers,
        resolution=resolution,
    )


#: GEODATA_SNAPSHOT_DIR: where loaded atlases are kept between processes; "off" keeps none.
SNAPSHOT_ENV = "GEODATA_SNAPSHOT_DIR"
SNAPSHOT_OFF = "off"
#: Snapshots kept per resolution (several checkouts may share the folder); older ones are removed on a write.
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


def package_stamp(*, root: Path = PACKAGE_DIR) -> str:
    """A digest of the name, size and modification time of every file of the package (code and data) and of
    the Python and library versions: any change to what the atlas is built from gives a new snapshot."""
    import geopandas
    import shapely

    digest = hashlib.sha256(f"{sys.version}|{pd.__version__}|{geopandas.__version__}|{shapely.__version__}".encode())
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        info = path.stat()
        digest.update(f"{path.relative_to(root).as_posix()}|{info.st_size}|{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:20]


def snapshot_path(*, resolution: str) -> Path | None:
    """This package's snapshot file of one resolution, or None when snapshots are off."""
    folder = snapshot_dir()
    return None if folder is None else folder / f"atlas-{resolution}-{package_stamp()}.pickle"


def _private(folder: Path) -> bool:
    """Whether the folder is ours and closed to others (snapshots are pickles: nobody else may write them)."""
    info = folder.stat()
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def read_snapshot(path: Path) -> Atlas | None:
    """The atlas stored at `path`, or None when there is none (or it is unreadable, or the folder not private)."""
    try:
        if not path.is_file() or not _private(path.parent):
            return None
        with path.open("rb") as stream:
            parts = pickle.load(stream)
        return Atlas(**parts)
    except Exception:  # a damaged or foreign snapshot: built afresh (and rewritten) instead
        return None


def write_snapshot(atlas: Atlas, *, path: Path) -> bool:
    """Store the atlas at `path` (atomically, in a folder made 0700); whether it was written."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(path.parent):
            return False
        handle, partial = tempfile.mkstemp(dir=path.parent, suffix=".part")
    except OSError:
        return False
    parts = {field.name: getattr(atlas, field.name) for field in fields(atlas)}
    try:
        with os.fdopen(handle, "wb") as stream:
            pickle.dump(parts, stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        return False
    prune(path.parent, pattern=f"atlas-{atlas.resolution}-*.pickle", keep=SNAPSHOTS_KEPT)
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


def joined_features(
    boundaries: dict[str, gpd.GeoDataFrame], *, resolution: str, folder: Path = BOUNDARIES_DIR, stored: bool = True
) -> gpd.GeoDataFrame:
    """The guideline features, validated, with their units: as the build stored them, or joined afresh.

    The stored joins are used only while every file they were computed from is unchanged.
    """
    features = checked_features(boundaries)
    joined = joins_store.apply(features, resolution=resolution, folder=folder) if stored else None
    if joined is None:
        joined = join_features(features, prefectures=boundaries["prefecture"], counties=boundaries["county"])
    return joined


def checked_features(boundaries: dict[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """Every guideline feature, not yet joined, with unique ids and known layers."""
    units = pd.concat(boundaries.values(), ignore_index=True)
    features = guideline_features(provinces=boundaries["province"], units=units)
    check_frame(features, key="feature_id", label="guideline layers")
    unknown = sorted(set(features["layer"]) - set(LAYER_IDS))
    if unknown:
        raise GeodataError(f"guideline layers: unknown layer ids {unknown}")
    return features


def feature_counts(atlas: Atlas) -> pd.DataFrame:
    """Per central province (rows, by adcode), the count of features of each layer it touches."""
    features = atlas.features.explode("province_adcodes")
    table = pd.crosstab(features["province_adcodes"], features["layer"])
    return table.reindex(index=list(CENTRAL_PROVINCES), columns=list(LAYER_IDS), fill_value=0)


def features_in_unit(atlas: Atlas, *, adcode: str) -> gpd.GeoDataFrame:
    """Every guideline feature that lies in, touches or covers one admin unit (the join read backwards)."""
    features = atlas.features
    mask = pd.Series(False, index=features.index)
    for column in ("province_adcodes", "prefecture_adcodes", "county_adcodes"):
        mask |= features[column].map(lambda codes: adcode in codes)
    return features[mask]
