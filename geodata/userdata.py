"""Planners' own files: read, validate and join them to the admin units, with precise messages."""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from geodata._paths import CENTRAL_PROVINCES
from geodata.crs import is_gcj02, to_wgs84
from geodata.join.locate import locate_points
from geodata.load import Atlas
from geodata.parse import LAT_NAMES, LON_NAMES, CRSTextError, common_name_columns, crs_name

__all__ = [
    "LAT_NAMES",
    "LON_NAMES",
    "MAX_BYTES",
    "UserDataError",
    "UserLayer",
    "common_name_columns",
    "decode",
    "read_user_file",
    "unit_values",
]

MAX_BYTES = 20 * 1024 * 1024
ENCODINGS = ("utf-8-sig", "gb18030")
SHOWN_ROWS = 5
UNIT_COLUMNS = ("province_adcode", "prefecture_adcode", "county_adcode")


class UserDataError(ValueError):
    """A file that cannot be used at all; the message says why."""


@dataclass
class UserLayer:
    """A planner's layer in WGS84, joined to the admin units, with what was noticed on reading it."""

    name: str
    frame: gpd.GeoDataFrame
    source_crs: str
    warnings: list[str] = field(default_factory=list)

    @property
    def numeric_columns(self) -> list[str]:
        """Columns that can be summed or averaged per admin unit."""
        data = self.frame.drop(columns=["geometry", *UNIT_COLUMNS, "outside_central"], errors="ignore")
        return [column for column in data.columns if pd.api.types.is_numeric_dtype(data[column])]

    @property
    def text_columns(self) -> list[str]:
        """Columns that can label the features."""
        data = self.frame.drop(columns=["geometry", *UNIT_COLUMNS, "outside_central"], errors="ignore")
        return [str(column) for column in data.columns]


def _rows(index: pd.Index) -> str:
    """'rows 3, 8, 9 (and 12 more)' with 1-based data row numbers as a spreadsheet shows them."""
    numbers = [str(int(i) + 2) for i in index[:SHOWN_ROWS]]  # +1 for 1-based, +1 for the header line
    more = f" (and {len(index) - SHOWN_ROWS} more)" if len(index) > SHOWN_ROWS else ""
    return f"line{'s' if len(index) > 1 else ''} {', '.join(numbers)}{more}"


def decode(content: bytes) -> str:
    """Text of a CSV in UTF-8 (with or without BOM) or GB18030; anything else is refused."""
    for encoding in ENCODINGS:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UserDataError("the file is neither UTF-8 nor GB18030 (GBK) text; save it as UTF-8 CSV")


def find_column(columns: list[str], *, names: tuple[str, ...], chosen: str | None, what: str) -> str:
    """The coordinate column: the one chosen, or the single column with a common name."""
    if chosen:
        if chosen not in columns:
            raise UserDataError(f"no column named {chosen!r} for {what}; columns: {', '.join(columns)}")
        return chosen
    found = common_name_columns(columns, names=names)
    if not found:
        raise UserDataError(f"no {what} column found (looked for {', '.join(names)}); choose one")
    if len(found) > 1:
        raise UserDataError(f"several columns could be the {what}: {', '.join(found)}; choose one")
    return found[0]


def _numeric_if_all(column: pd.Series) -> pd.Series:
    """The column as numbers when every non-empty value is one, else unchanged."""
    numbers = pd.to_numeric(column, errors="coerce")
    return numbers if numbers.notna().sum() == column.notna().sum() else column


def points_from_table(table: pd.DataFrame, *, lon: str, lat: str, crs: CRS) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Point geometries from two columns; rows with unusable coordinates are reported and left empty."""
    warnings = []
    x = pd.to_numeric(table[lon], errors="coerce")
    y = pd.to_numeric(table[lat], errors="coerce")
    missing = x.isna() | y.isna()
    if missing.any():
        warnings.append(f"{missing.sum()} rows have no numeric coordinates ({_rows(table.index[missing])}); not drawn")
    if crs.is_geographic:
        bad = ~missing & ((x.abs() > 180) | (y.abs() > 90))
        if bad.any():
            warnings.append(f"{bad.sum()} rows have coordinates out of range ({_rows(table.index[bad])}); not drawn")
            missing |= bad
    geometry = gpd.points_from_xy(x.where(~missing), y.where(~missing))
    geometry = np.where(missing.to_numpy(), None, geometry)
    return gpd.GeoDataFrame(table, geometry=list(geometry), crs=crs), warnings


def read_csv(content: bytes, *, lon: str | None, lat: str | None, crs: str | None) -> gpd.GeoDataFrame:
    """A CSV with coordinate columns (WGS84 unless told otherwise)."""
    text = decode(content)
    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise UserDataError(f"the CSV cannot be read: {exc}") from exc
    if table.empty:
        raise UserDataError("the CSV has a header but no rows")
    columns = [str(c) for c in table.columns]
    x = find_column(columns, names=LON_NAMES, chosen=lon, what="longitude")
    y = find_column(columns, names=LAT_NAMES, chosen=lat, what="latitude")
    for column in table.columns.difference([x, y]):
        table[column] = _numeric_if_all(table[column])
    gcj = is_gcj02(crs)
    frame, warnings = points_from_table(table, lon=x, lat=y, crs=parse_crs(None if gcj else crs))
    if gcj:  # Amap/Tencent "Mars" coordinates: moved to WGS84 with the build's own conversion
        frame.geometry = to_wgs84(frame.geometry.to_numpy())
        warnings.append("converted from GCJ-02 to WGS84")
    frame.attrs["warnings"] = warnings
    return frame


def parse_crs(text: str | None) -> CRS:
    """A CRS from 'EPSG:4326', '4326' or WKT; WGS84 when not given."""
    if not text:
        return CRS.from_epsg(4326)
    try:
        return CRS.from_user_input(crs_name(text))
    except (CRSTextError, CRSError) as exc:
        raise UserDataError(f"unknown coordinate system {text!r}") from exc


def read_vector(content: bytes, *, suffix: str) -> gpd.GeoDataFrame:
    """GeoJSON, GeoPackage or a zipped Shapefile, through GDAL, from a private temporary folder."""
    with tempfile.TemporaryDirectory(prefix="atlas-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"  # a server-chosen name: the user's name is never a path
        path.write_bytes(content)
        if suffix == ".zip":
            path = _shapefile_in(path, Path(folder))
        try:
            return gpd.read_file(path, engine="pyogrio")
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
            raise UserDataError(f"the file cannot be read as {suffix.lstrip('.')}: {str(exc).splitlines()[0]}") from exc


def _shapefile_in(archive: Path, folder: Path) -> Path:
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = [m for m in bundle.infolist() if not m.is_dir()]
            shapes = [m for m in members if m.filename.lower().endswith(".shp")]
            if len(shapes) != 1:
                raise UserDataError(f"the zip must hold exactly one .shp file, it holds {len(shapes)}")
            stem = shapes[0].filename[: -len(".shp")]
            out = folder / "shape"
            out.mkdir()
            for member in members:  # extracted under server-chosen names only (no paths from the archive)
                if member.filename.startswith(stem + ".") and member.file_size < MAX_BYTES * 5:
                    (out / f"layer{Path(member.filename).suffix.lower()}").write_bytes(bundle.read(member))
            return out / "layer.shp"
    except zipfile.BadZipFile as exc:
        raise UserDataError("the .zip file is damaged or not a zip archive") from exc


def repair(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Invalid geometries made valid where shapely can, and reported."""
    present = frame.geometry.notna() & ~frame.geometry.is_empty
    invalid = present & ~frame.geometry.is_valid
    if not invalid.any():
        return frame, []
    frame = frame.copy()
    frame.loc[invalid, "geometry"] = shapely.make_valid(frame.geometry[invalid].to_numpy())
    return frame, [f"{invalid.sum()} invalid geometries were repaired ({_rows(frame.index[invalid])})"]


def join_units(frame: gpd.GeoDataFrame, *, atlas: Atlas) -> gpd.GeoDataFrame:
    """Add the province, prefecture and county each feature lies in (polygons by a representative point)."""
    anchors = frame.geometry.copy()
    drawable = anchors.notna() & ~anchors.is_empty
    anchors[drawable] = anchors[drawable].representative_point()
    located = locate_points(gpd.GeoDataFrame(geometry=anchors, crs=frame.crs)[drawable], counties=atlas.counties)
    out = frame.copy()
    for column in UNIT_COLUMNS:
        out[column] = located[column].reindex(out.index)
    inside = out["province_adcode"].isin(list(CENTRAL_PROVINCES))
    out["outside_central"] = drawable.reindex(out.index, fill_value=False) & ~inside
    return out


def read_user_file(
    content: bytes,
    *,
    filename: str,
    atlas: Atlas,
    lon: str | None = None,
    lat: str | None = None,
    crs: str | None = None,
) -> UserLayer:
    """Read, validate, reproject and join a planner's file; raise UserDataError when nothing is usable."""
    if not content:
        raise UserDataError("the file is empty")
    if len(content) > MAX_BYTES:
        raise UserDataError(f"the file is {len(content) / 2**20:.1f} MB; the limit is {MAX_BYTES // 2**20} MB")
    suffix = Path(filename).suffix.lower()
    if suffix in (".csv", ".txt"):
        frame = read_csv(content, lon=lon, lat=lat, crs=crs)
    elif suffix in (".geojson", ".json", ".gpkg", ".zip"):
        frame = read_vector(content, suffix=suffix)
    else:
        raise UserDataError(
            f"unsupported file type {suffix or '(none)'}; use CSV, GeoJSON, GeoPackage or zipped Shapefile"
        )
    warnings = list(frame.attrs.get("warnings", []))
    if frame.empty:
        raise UserDataError("the file holds no features")
    if frame.crs is None:
        frame = frame.set_crs(4326)
        warnings.append("the file names no coordinate system; WGS84 assumed")
    source_crs = frame.crs.to_string()
    if not frame.crs.equals(CRS.from_epsg(4326)):
        frame = frame.to_crs(4326)
        warnings.append(f"reprojected from {source_crs} to WGS84")
    frame, repaired = repair(frame)
    joined = join_units(frame.reset_index(drop=True), atlas=atlas)
    outside = joined.index[joined["outside_central"]]
    if len(outside):
        warnings.append(f"{len(outside)} features lie outside the six provinces ({_rows(outside)}); kept and flagged")
    if joined.geometry.isna().all():
        raise UserDataError("no row has usable coordinates: " + "; ".join(warnings))
    return UserLayer(
        name=Path(filename).name[:80], frame=joined, source_crs=source_crs, warnings=[*warnings, *repaired]
    )


def unit_values(layer: UserLayer, *, level: str, measure: str, column: str | None = None) -> pd.Series:
    """Per admin unit of `level` (indexed by adcode): the count of features, or the sum or mean of a column."""
    key = f"{level}_adcode"
    frame = layer.frame[layer.frame[key].notna()]
    if measure == "count":
        return frame.groupby(key).size().astype(float)
    if column not in layer.numeric_columns:
        raise UserDataError(f"{column!r} is not a numeric column of {layer.name}")
    grouped = frame.groupby(key)[column]
    return (grouped.sum() if measure == "sum" else grouped.mean()).astype(float)
