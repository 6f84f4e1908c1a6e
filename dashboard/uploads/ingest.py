"""A planner's file from the page: read, validated, joined and stored, with the messages the user sees."""

from __future__ import annotations

import logging

from dashboard.uploads.store import UploadStore, UploadUnavailable
from geodata.userdata import UserDataError, decode

_log = logging.getLogger(__name__)


def csv_columns(content: bytes) -> list[str]:
    """The header of a CSV, for choosing coordinate columns by hand (empty when it is not one)."""
    try:
        lines = decode(content).splitlines()
    except UserDataError:
        return []
    return [name.strip() for name in lines[0].split(",") if name.strip()][:200] if lines else []


def ingest(
    content: bytes, *, filename: str, lon: str | None, lat: str | None, crs: str | None, store: UploadStore
) -> tuple[str | None, list[str]]:
    """Read, validate, join and store a planner's file: (its new id or None, messages for the user)."""
    try:
        upload_id, layer = store.add(content, filename=filename, lon=lon, lat=lat, crs=crs)
    except (UserDataError, UploadUnavailable) as exc:
        return None, [f"{filename[:80]}: {exc}"]
    except Exception:  # a file no check foresaw: logged, and the user told without internals
        _log.exception("upload %r failed", filename[:80])
        return None, [f"{filename[:80]}: the file could not be read (the error is logged on the server)"]
    drawn = int(layer.frame.geometry.notna().sum())
    inside = int((layer.frame["province_adcode"].notna() & ~layer.frame["outside_central"]).sum())
    summary = f"{layer.name}: {len(layer.frame)} rows, {drawn} drawn, {inside} joined to the six provinces"
    return upload_id, [summary, *layer.warnings]
