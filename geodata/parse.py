"""What users type, read one way for uploads and the join CLI: coordinate column names, CRS names, numbers."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyproj

from geodata.crs import is_gcj02

#: Column names taken for coordinates when none is chosen (compared trimmed and lower-cased).
LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度", "东经")
LAT_NAMES = ("lat", "latitude", "y", "纬度", "北纬")
#: Coordinate cells read as "no location" (the row gets no unit) rather than as an error.
MISSING = frozenset({"", "nan", "na", "n/a", "null", "none"})
WGS84 = "EPSG:4326"
GCJ02 = "GCJ-02"


class CRSTextError(ValueError):
    """A CRS name that is neither GCJ-02 nor anything pyproj reads."""


def common_name_columns(columns: Iterable[str], *, names: tuple[str, ...]) -> list[str]:
    """The columns whose name, trimmed and lower-cased, is one of `names`."""
    return [column for column in columns if str(column).strip().lower() in names]


def crs_name(text: str) -> str:
    """A user's CRS as a name pyproj reads (a bare number is an EPSG code), or GCJ-02; CRSTextError if neither."""
    if is_gcj02(text):
        return GCJ02
    value = f"EPSG:{text.strip()}" if text.strip().isdigit() else text
    try:
        pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError:
        raise CRSTextError(f"{text!r} is not a coordinate reference system") from None
    return value


def parse_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A coordinate column as floats (NaN where missing) and a mask of cells that are not numbers."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        return np.where(np.isfinite(numbers), numbers, np.nan), np.isinf(numbers)
    text = values.astype("str").str.strip()
    missing = (values.isna() | text.str.lower().isin(MISSING)).to_numpy()
    numbers = pd.to_numeric(text.where(~missing), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~missing & ~np.isfinite(numbers)
    return np.where(np.isfinite(numbers), numbers, np.nan), bad
