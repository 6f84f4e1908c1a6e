"""Uploaded layers on disk, where every worker process sees them, under server-chosen names."""

from __future__ import annotations

import contextlib
import errno
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
#: A half-written file older than this is left over from a failed or killed save and is removed.
STALE_TMP_S = 600


class UploadUnavailable(RuntimeError):
    """The server cannot store the upload now (folder full, read-only or missing); the message says so."""


class UploadMissing(LookupError):
    """The id names no stored upload (never stored, or expired and removed)."""


@functools.lru_cache(maxsize=8)
def _read_frame(path: str, mtime_ns: int) -> gpd.GeoDataFrame:
    """A stored layer's features, read once per process (uploads never change once stored)."""
    # dates come back as written: GDAL would read "2021-03-05 14:30:15" as a DateTime and give it back with a "T"
    frame = gpd.read_file(path, engine="pyogrio", datetime_as_string=True, DATE_AS_STRING="YES")
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
        """Store a layer; return its new id. UploadUnavailable (nothing left behind) when the folder refuses it."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.expire()
        except OSError as exc:
            raise UploadUnavailable(_storage_message(exc)) from exc
        upload_id = secrets.token_urlsafe(12)[:16].ljust(16, "0")
        data, meta = self._paths(upload_id)
        info = {"name": layer.name, "source_crs": layer.source_crs, "warnings": layer.warnings, "saved": time.time()}
        written = (data.with_suffix(".tmp"), meta.with_suffix(".meta.tmp"))
        try:
            layer.frame.to_file(written[0], driver="GeoJSON", engine="pyogrio")
            written[1].write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
            os.replace(written[0], data)
            os.replace(written[1], meta)  # the metadata last: an upload exists only once both are whole
        except Exception as exc:
            for path in (*written, data):
                with contextlib.suppress(OSError):
                    path.unlink(missing_ok=True)
            if isinstance(exc, OSError) or _is_storage_error(exc):
                raise UploadUnavailable(_storage_message(exc)) from exc
            raise
        return upload_id

    def load(self, upload_id: str) -> UserLayer:
        """A stored layer; UploadMissing when it is unknown or expired."""
        data, meta = self._paths(upload_id)
        if not meta.exists() or not data.exists():
            raise UploadMissing(f"upload {upload_id} is not on this server (uploads are kept {self.ttl_s // 3600} h)")
        try:
            info = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UploadMissing(f"upload {upload_id} cannot be read on this server any more") from exc
        if time.time() - info["saved"] > self.ttl_s:
            raise UploadMissing(f"upload {upload_id} has expired (uploads are kept {self.ttl_s // 3600} h)")
        frame = _read_frame(str(data), data.stat().st_mtime_ns).copy()
        return UserLayer(name=info["name"], frame=frame, source_crs=info["source_crs"], warnings=info["warnings"])

    def add(
        self, content: bytes, *, filename: str, lon: str | None = None, lat: str | None = None, crs: str | None = None
    ) -> tuple[str, UserLayer]:
        """Read, validate and join a planner's file, then store it: (its new id, the layer); UserDataError if bad."""
        try:
            layer = read_user_file(content, filename=filename, atlas=detail_units(), lon=lon, lat=lat, crs=crs)
        except OSError as exc:  # no room for the temporary copy a GeoPackage or Shapefile is read from
            raise UploadUnavailable(_storage_message(exc)) from exc
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
        """Remove uploads older than the time to live and stale half-written files; return how many uploads."""
        removed = 0
        now = time.time()
        for meta in self.folder.glob("*.json"):
            try:
                saved = json.loads(meta.read_text(encoding="utf-8"))["saved"]
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if now - saved > self.ttl_s:
                meta.with_suffix(".geojson").unlink(missing_ok=True)
                meta.unlink(missing_ok=True)
                removed += 1
        for leftover in self.folder.glob("*.tmp"):
            with contextlib.suppress(OSError):
                if now - leftover.stat().st_mtime > STALE_TMP_S:
                    leftover.unlink()
        return removed


def _is_storage_error(exc: BaseException) -> bool:
    """GDAL's write failures (pyogrio raises its own errors) caused by a full or read-only folder."""
    text = str(exc).lower()
    return any(word in text for word in ("no space", "read-only", "permission denied", "disk quota", "failed to"))


def _storage_message(exc: BaseException) -> str:
    """What the user is told: the cause in plain words, never the server's path."""
    code = getattr(exc, "errno", None)
    text = str(exc).lower()
    if code == errno.ENOSPC or code == errno.EDQUOT or "no space" in text or "quota" in text:
        cause = "its upload folder is full"
    elif code in (errno.EROFS, errno.EACCES, errno.EPERM) or "read-only" in text or "permission" in text:
        cause = "its upload folder cannot be written"
    else:
        cause = "it could not write the file"
    return f"the server cannot store uploads right now ({cause}); try again later or tell the site's maintainers"
