"""The guideline points' WGS84 coordinates, derived from each point's recorded source coordinate and its datum."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from geodata import crs
from geodata._paths import GUIDELINE_DIR
from geodata._validate import GeodataError

#: The datums a point's source coordinate may be recorded in. "unknown" is used as given (read as WGS84).
DATUMS = ("WGS84", "GCJ-02", "unknown")
CURATED = "points.csv"
DERIVED = "points.wgs84.csv"
DERIVED_COLUMNS = ["feature_id", "src_datum", "src_lon", "src_lat", "lon", "lat"]
DECIMALS = 6  # about 0.1 m


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise GeodataError(f"{path}: file is missing (run `python -m geodata.build`)")
    with path.open(encoding="utf-8", newline="") as f:
        frame = pd.DataFrame(list(csv.DictReader(f)), dtype=object).fillna("")
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="csv_line")
    frame.attrs["path"] = str(path)
    return frame


def source_coordinates(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """The recorded source lon/lat (floats) and datum of every row, checked."""
    path = table.attrs.get("path", CURATED)
    lon = pd.to_numeric(table["src_lon"], errors="coerce")
    lat = pd.to_numeric(table["src_lat"], errors="coerce")
    bad = lon.isna() | lat.isna()
    if bad.any():
        raise GeodataError(f"{path} line {table.index[bad.to_numpy()][0]}: src_lon/src_lat must be numbers")
    datum = table["src_datum"].str.strip()
    unknown = ~datum.isin(DATUMS)
    if unknown.any():
        line = table.index[unknown.to_numpy()][0]
        raise GeodataError(f"{path} line {line}: src_datum must be one of {', '.join(DATUMS)}")
    return lon.to_numpy(dtype=float), lat.to_numpy(dtype=float), datum


def to_wgs84(table: pd.DataFrame) -> pd.DataFrame:
    """One row per point: its source coordinate and datum, and the WGS84 lon/lat derived from them."""
    lon, lat, datum = source_coordinates(table)
    gcj = (datum == "GCJ-02").to_numpy()
    out_lon, out_lat = lon.copy(), lat.copy()
    if gcj.any():
        out_lon[gcj], out_lat[gcj] = crs.gcj02_to_wgs84(lon[gcj], lat[gcj])
    return pd.DataFrame(
        {
            "feature_id": table["feature_id"].to_numpy(),
            "src_datum": datum.to_numpy(),
            "src_lon": table["src_lon"].str.strip().to_numpy(),
            "src_lat": table["src_lat"].str.strip().to_numpy(),
            "lon": [f"{value:.{DECIMALS}f}" for value in out_lon],
            "lat": [f"{value:.{DECIMALS}f}" for value in out_lat],
        }
    )


def render(table: pd.DataFrame) -> str:
    """The derived CSV text, in the curated file's row order (byte-reproducible)."""
    buffer = io.StringIO()
    to_wgs84(table).to_csv(buffer, index=False, columns=DERIVED_COLUMNS, lineterminator="\n")
    return buffer.getvalue()


def write_points(*, folder: Path = GUIDELINE_DIR) -> Path:
    """Build step: write the derived WGS84 coordinates of the curated points next to them."""
    target = folder / DERIVED
    target.write_text(render(_read_csv(folder / CURATED)), encoding="utf-8")
    return target


def with_wgs84(table: pd.DataFrame, *, folder: Path = GUIDELINE_DIR) -> pd.DataFrame:
    """The curated points with the built `lon`/`lat` added; refuses a derived file that no longer matches."""
    derived = _read_csv(folder / DERIVED).set_index("feature_id")
    recorded = table.set_index("feature_id")[["src_datum", "src_lon", "src_lat"]].apply(lambda col: col.str.strip())
    if list(derived.index) != list(recorded.index) or not derived[recorded.columns].equals(recorded):
        raise GeodataError(f"{folder / DERIVED} is out of date with {CURATED}: run `python -m geodata.build`")
    return table.assign(
        lon=derived["lon"].to_numpy(),
        lat=derived["lat"].to_numpy(),
    )
