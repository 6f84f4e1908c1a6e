"""A planner's file from the page: read, validated, joined and stored, with the messages the user sees."""

from __future__ import annotations

import datetime
import io
import logging
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from dashboard.uploads.store import UploadStore, UploadUnavailable
from geodata import tables
from geodata.userdata import LAT_NAMES, LON_NAMES, UserDataError, common_name_columns, decode, sniff

TABLE_SUFFIXES = (".xlsx",)
TABLE_HINT = "a table without coordinates: see the join report below"

_log = logging.getLogger(__name__)


def csv_columns(content: bytes) -> list[str]:
    """The header of a CSV, for choosing coordinate columns by hand (empty when it is not one)."""
    try:
        lines = decode(content).splitlines()
    except UserDataError:
        return []
    return [name.strip() for name in lines[0].split(",") if name.strip()][:200] if lines else []


def is_table(content: bytes, *, filename: str, lon: str | None = None, lat: str | None = None) -> bool:
    """True for an XLSX, or a CSV with no coordinate columns (none chosen, none with a common name)."""
    suffix = Path(filename).suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return True
    if suffix not in (".csv", ".txt") or lon or lat or sniff(content) != "text":
        return False  # XML, JSON, a database or UTF-16 named .csv goes to the point reader, which refuses it
    columns = csv_columns(content)
    return bool(columns) and not (
        common_name_columns(columns, names=LON_NAMES) and common_name_columns(columns, names=LAT_NAMES)
    )


def ingest(
    content: bytes, *, filename: str, lon: str | None, lat: str | None, crs: str | None, store: UploadStore
) -> tuple[str | None, list[str]]:
    """Read, validate, join and store a planner's file: (its new id or None, messages for the user)."""
    problem = None
    if is_table(content, filename=filename, lon=lon, lat=lat):
        problem = table_problem(content, filename=filename)
        if problem is None or Path(filename).suffix.lower() in TABLE_SUFFIXES:
            return None, [f"{filename}: {problem or TABLE_HINT}"]
    try:
        upload_id, layer = store.add(content, filename=filename, lon=lon, lat=lat, crs=crs)
    except UserDataError as exc:  # neither points nor a table: both reasons
        return None, [f"{filename[:80]}: {exc}" + (f"; as a table: {problem}" if problem else "")]
    except UploadUnavailable as exc:
        return None, [f"{filename[:80]}: {exc}"]
    except Exception:  # a file no check foresaw: logged, and the user told without internals
        _log.exception("upload %r failed", filename[:80])
        return None, [f"{filename[:80]}: the file could not be read (the error is logged on the server)"]
    drawn = int(layer.frame.geometry.notna().sum())
    inside = int((layer.frame["province_adcode"].notna() & ~layer.frame["outside_central"]).sum())
    summary = f"{layer.name}: {len(layer.frame)} rows, {drawn} drawn, {inside} joined to the six provinces"
    return upload_id, [summary, *layer.warnings]


#: Parts of an Excel number format that are not date or time codes: quoted text, [colours]/[locales], escapes.
_FORMAT_LITERALS = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')


def shows_time(number_format: str) -> bool:
    """Whether an Excel number format shows a time of day (hours or seconds), not only a date."""
    codes = _FORMAT_LITERALS.sub("", number_format).lower()
    return "h" in codes or "s" in codes


def date_text(value: datetime.date | datetime.time, *, number_format: str) -> str:
    """A date cell as the planner typed it: YYYY-MM-DD for a date, YYYY-MM-DD HH:MM:SS when it shows a time."""
    if isinstance(value, datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.datetime) and shows_time(number_format):
        return value.isoformat(sep=" ", timespec="seconds")
    return value.strftime("%Y-%m-%d")


def dates_as_typed(content: bytes) -> bytes:
    """An XLSX whose first sheet's date cells are text as the planner typed them (pandas would write a date as
    "YYYY-MM-DD 00:00:00"); the workbook unchanged when it has none or cannot be read (read_table says why)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), data_only=True)  # formulas as their values, as pandas reads them
    except Exception:  # not a workbook: read_table gives the message
        return content
    sheet, changed = book.worksheets[0], False
    for row in sheet.iter_rows():
        for cell in row:
            if cell.is_date and isinstance(cell.value, (datetime.date, datetime.time)):
                cell.value, cell.number_format, changed = (
                    date_text(cell.value, number_format=cell.number_format),
                    "@",
                    True,
                )
    if not changed:
        return content
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_upload_table(content: bytes, *, filename: str) -> pd.DataFrame:
    """An uploaded table, every cell as text as written (an XLSX's dates too: see dates_as_typed)."""
    if Path(filename).suffix.lower() in TABLE_SUFFIXES:
        content = dates_as_typed(content)
    return tables.read_table(content, filename=filename)


def table_problem(content: bytes, *, filename: str) -> str | None:
    """Why a table cannot be matched to the units (None when it can: a key column was found)."""
    try:
        tables.choose_column(read_upload_table(content, filename=filename), by=None, column=None)
    except tables.TableError as exc:
        return str(exc)
    return None


def match_upload(
    content: bytes, *, filename: str, level: str | None = None, fixes: Mapping[int, str] | None = None
) -> tables.TableMatch:
    """Match an uploaded table to the admin units (nothing stored yet); TableError with the message if it cannot."""
    if len(content) > tables_max_bytes():
        raise tables.TableError(f"the file is over the {tables_max_bytes() // 2**20} MB limit")
    return tables.match_table(read_upload_table(content, filename=filename), level=level, fixes=fixes)


def tables_max_bytes() -> int:
    """The size limit of an uploaded table (the same as any upload)."""
    from geodata.userdata import MAX_BYTES

    return MAX_BYTES


def store_table(match: tables.TableMatch, *, filename: str, store: UploadStore) -> tuple[str, list[str]]:
    """Store a matched table as the view's layer: (its id, messages)."""
    upload_id, layer = store.add_table(match, filename=filename)
    return upload_id, [f"{layer.name}: {match.describe()}"]
