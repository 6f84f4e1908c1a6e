"""Uploaded layers on disk, where every worker process sees them, under server-chosen names."""

from __future__ import annotations

import functools
import json
import os
import re
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from geodata import tables
from geodata.userdata import UserLayer, read_user_file

ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{16}")
DEFAULT_TTL_S = 24 * 3600


class UploadMissing(LookupError):
    """The id names no stored upload (never stored, or expired and removed)."""


@functools.lru_cache(maxsize=8)
def _read_frame(path: str, mtime_ns: int) -> gpd.GeoDataFrame:
    """A stored layer's features, read once per process (uploads never change once stored)."""
    frame = gpd.read_file(path, engine="pyogrio", datetime_as_string=True)  # dates come back as written
    for column in ("province_adcode", "prefecture_adcode", "county_adcode"):
        frame[column] = frame[column].astype("string").astype(object).where(frame[column].notna(), None)
    return frame


@dataclass(frozen=True)
class DetailUnits:
    """The counties uploads are joined to: the detailed borders, the very frame `python -m geodata.join` uses."""

    counties: gpd.GeoDataFrame


@functools.cache
def detail_units() -> DetailUnits:
    """The detailed county borders (read once per process), so the page and the join CLI agree on every point."""
    from geodata.join.units import atlas_units

    return DetailUnits(counties=atlas_units(resolution="detail").counties)


@dataclass(frozen=True)
class UploadStore:
    """A folder of uploads: `<id>.geojson` plus `<id>.json` (name, CRS, warnings, time); kept `ttl_s` seconds."""

    folder: Path
    ttl_s: int = DEFAULT_TTL_S

    @classmethod
    def from_env(cls) -> UploadStore:
        """The store named by ATLAS_UPLOAD_DIR (default: a folder in the system's temporary directory)."""
        folder = os.environ.get("ATLAS_UPLOAD_DIR") or str(Path(tempfile.gettempdir()) / "central-region-atlas-uploads")
        ttl = int(os.environ.get("ATLAS_UPLOAD_TTL_S", DEFAULT_TTL_S))
        return cls(folder=Path(folder), ttl_s=ttl)

    def _paths(self, upload_id: str) -> tuple[Path, Path]:
        if not ID_PATTERN.fullmatch(upload_id or ""):
            raise UploadMissing(f"not an upload id: {upload_id[:40]!r}")
        return self.folder / f"{upload_id}.geojson", self.folder / f"{upload_id}.json"

    def save(self, layer: UserLayer) -> str:
        """Store a layer; return its new id."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.expire()
        upload_id = secrets.token_urlsafe(12)[:16].ljust(16, "0")
        data, meta = self._paths(upload_id)
        layer.frame.to_file(data.with_suffix(".tmp"), driver="GeoJSON", engine="pyogrio")
        os.replace(data.with_suffix(".tmp"), data)
        info = {"name": layer.name, "source_crs": layer.source_crs, "warnings": layer.warnings, "saved": time.time()}
        meta.write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
        return upload_id

    def load(self, upload_id: str) -> UserLayer:
        """A stored layer; UploadMissing when it is unknown or expired."""
        data, meta = self._paths(upload_id)
        if not meta.exists() or not data.exists():
            raise UploadMissing(f"upload {upload_id} is not on this server (uploads are kept {self.ttl_s // 3600} h)")
        info = json.loads(meta.read_text(encoding="utf-8"))
        if time.time() - info["saved"] > self.ttl_s:
            raise UploadMissing(f"upload {upload_id} has expired (uploads are kept {self.ttl_s // 3600} h)")
        frame = _read_frame(str(data), data.stat().st_mtime_ns).copy()
        return UserLayer(name=info["name"], frame=frame, source_crs=info["source_crs"], warnings=info["warnings"])

    def add(
        self, content: bytes, *, filename: str, lon: str | None = None, lat: str | None = None, crs: str | None = None
    ) -> tuple[str, UserLayer]:
        """Read, validate and join a planner's file, then store it: (its new id, the layer); UserDataError if bad."""
        layer = read_user_file(content, filename=filename, atlas=detail_units(), lon=lon, lat=lat, crs=crs)
        return self.save(layer), layer

    def add_table(self, match: tables.TableMatch, *, filename: str) -> tuple[str, UserLayer]:
        """Store a matched table (no coordinates) as a layer: its rows with their units; (its new id, the layer)."""
        frame = tables.table_layer_frame(match)
        warnings = [match.describe()]
        layer = UserLayer(name=Path(filename).name[:80], frame=frame, source_crs="none (a table)", warnings=warnings)
        return self.save(layer), layer

    def find(self, upload_id: str | None) -> UserLayer | None:
        """A stored layer, or None when there is none (never stored, expired or no id)."""
        if not upload_id:
            return None
        try:
            return self.load(upload_id)
        except UploadMissing:
            return None

    def expire(self) -> int:
        """Remove uploads older than the time to live; return how many."""
        removed = 0
        for meta in self.folder.glob("*.json"):
            try:
                saved = json.loads(meta.read_text(encoding="utf-8"))["saved"]
            except (OSError, ValueError, KeyError):
                continue
            if time.time() - saved > self.ttl_s:
                meta.with_suffix(".geojson").unlink(missing_ok=True)
                meta.unlink(missing_ok=True)
                removed += 1
        return removed
