"""Planners' own files: read, validate and join them to the admin units, with precise messages."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.errors
import shapely.geometry
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
    """Text of a CSV in UTF-8 (with or without BOM) or GB18030; anything else (UTF-16 named) is refused."""
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise UserDataError("the file is UTF-16 text, neither UTF-8 nor GB18030 (GBK); save it as UTF-8 CSV")
    if _looks_utf16(content):
        raise UserDataError(
            "the file looks like UTF-16 text without a byte-order mark, neither UTF-8 nor GB18030; save it as UTF-8 CSV"
        )
    for encoding in ENCODINGS:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UserDataError("the file is neither UTF-8 nor GB18030 (GBK) text; save it as UTF-8 CSV")


def _looks_utf16(content: bytes) -> bool:
    """Many NUL bytes on every other position: UTF-16 (little or big endian) without its byte-order mark."""
    sample = content[:4096]
    half = max(len(sample) // 2, 1)
    return len(sample) >= 4 and max(sample[1::2].count(0), sample[0::2].count(0)) > 0.3 * half


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
    _refuse_duplicate_header(text)
    table, renamed = _rename_reserved(table)
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
    frame.attrs["warnings"] = [*renamed, *warnings]
    return frame


def _refuse_duplicate_header(text: str) -> None:
    """A header naming one column twice (pandas would quietly call the second 'lat.1')."""
    header = next(csv.reader(io.StringIO(text.split("\n", 1)[0])), [])
    seen: dict[str, int] = {}
    for number, name in enumerate(header, start=1):
        key = name.strip().lower()
        if key and key in seen:
            raise UserDataError(
                f"the header names the column {name.strip()!r} twice (columns {seen[key]} and {number})"
            )
        seen.setdefault(key, number)


def parse_crs(text: str | None) -> CRS:
    """A CRS from 'EPSG:4326', '4326' or WKT; WGS84 when not given."""
    if not text:
        return CRS.from_epsg(4326)
    try:
        return CRS.from_user_input(crs_name(text))
    except (CRSTextError, CRSError) as exc:
        raise UserDataError(f"unknown coordinate system {text!r}") from exc


#: What a zipped Shapefile may hold, and how much (checked from the zip directory, before anything is extracted).
ZIP_MAX_MEMBERS = 32
ZIP_MAX_EXPANDED = 5 * MAX_BYTES
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
#: Columns the atlas adds itself: a file's own columns of these names are renamed with a warning.
RESERVED_COLUMNS = ("geometry", *UNIT_COLUMNS, "outside_central")
MESSAGE_MAX = 300
#: GDAL never goes to the network or lists folders for an upload (the drivers are chosen by the server anyway).
GDAL_SAFE_CONFIG = {
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".atlas-never",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_MAX_RETRY": "0",
}
_PATH_TEXT = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][^\s'\":,;]+)+")


def shorten(text: str, *, limit: int = MESSAGE_MAX) -> str:
    """A message cut to `limit` characters (a pasted 100 KB CRS is not echoed whole)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sniff(content: bytes) -> str:
    """What the bytes are, whatever the file is called: gpkg, zip, json, xml, utf16 or text."""
    if content.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if content[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf16"
    head = content[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "xml"
    if head.startswith((b"{", b"[")):
        return "json"
    return "text"


def _features(index: pd.Index) -> str:
    """'features 3, 8 (and 12 more)', 1-based as in the file."""
    numbers = [str(int(i) + 1) for i in index[:SHOWN_ROWS]]
    more = f" (and {len(index) - SHOWN_ROWS} more)" if len(index) > SHOWN_ROWS else ""
    return f"feature{'s' if len(index) > 1 else ''} {', '.join(numbers)}{more}"


def _refuse_constant(name: str) -> float:
    raise UserDataError(f"the GeoJSON holds {name} as a number; coordinates and values must be finite numbers")


def read_geojson(content: bytes) -> gpd.GeoDataFrame:
    """GeoJSON parsed in Python (no GDAL): a FeatureCollection, a Feature or a bare geometry."""
    try:
        data = json.loads(content.decode("utf-8-sig"), parse_constant=_refuse_constant)
    except UnicodeDecodeError as exc:
        raise UserDataError("the GeoJSON is not UTF-8 text (RFC 7946 requires UTF-8)") from exc
    except json.JSONDecodeError as exc:
        raise UserDataError(
            f"the file cannot be read as geojson: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from exc
    except RecursionError as exc:
        raise UserDataError("the GeoJSON is nested too deeply to be read") from exc
    if not isinstance(data, dict):
        raise UserDataError('the GeoJSON must be an object with a "type" (FeatureCollection, Feature or a geometry)')
    kind = data.get("type")
    features = data.get("features") if kind == "FeatureCollection" else [data] if kind == "Feature" else None
    if features is None:
        features = [{"type": "Feature", "geometry": data, "properties": {}}] if isinstance(kind, str) else None
    if not isinstance(features, list):
        raise UserDataError('the GeoJSON has no "type" of FeatureCollection, Feature or a geometry')
    geometries, properties = [], []
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            raise UserDataError(f"feature {number} of the GeoJSON is not an object")
        geometries.append(_geometry(feature.get("geometry"), number=number))
        props = feature.get("properties")
        properties.append(props if isinstance(props, dict) else {})
    table = pd.DataFrame(properties, index=pd.RangeIndex(len(features)))
    table = table.rename(columns=str)
    table, renamed = _rename_reserved(table)
    frame = gpd.GeoDataFrame(table, geometry=geometries, crs=_geojson_crs(data))
    frame.attrs["warnings"] = renamed
    return frame


def _geometry(value: object, *, number: int) -> object:
    """One feature's geometry as shapely (None when it has none); a malformed one is refused with its number."""
    if value is None:
        return None
    try:
        geometry = shapely.geometry.shape(value)
    except (AttributeError, KeyError, TypeError, ValueError, IndexError, shapely.errors.GEOSException) as exc:
        raise UserDataError(f"feature {number} has a malformed geometry ({type(exc).__name__})") from exc
    coords = shapely.get_coordinates(geometry)
    if not np.isfinite(coords).all():
        raise UserDataError(f"feature {number} has NaN or infinite coordinates; coordinates must be finite numbers")
    return geometry


def _geojson_crs(data: dict) -> str:
    """The old-style "crs" member when present (e.g. urn:ogc:def:crs:EPSG::4490), else WGS84 as RFC 7946 says."""
    member = data.get("crs")
    name = member.get("properties", {}).get("name") if isinstance(member, dict) else None
    if not isinstance(name, str):
        return "EPSG:4326"
    try:
        return CRS.from_user_input(name).to_wkt()
    except CRSError as exc:
        raise UserDataError(f"the GeoJSON names an unknown coordinate system {shorten(name, limit=80)!r}") from exc


def _rename_reserved(table: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Columns named like the atlas's own (province_adcode, geometry, ...) renamed user_<name>, with a warning."""
    clash = [column for column in table.columns if str(column).strip().lower() in RESERVED_COLUMNS]
    if not clash:
        return table, []
    names = {column: f"user_{str(column).strip().lower()}" for column in clash}
    listed = ", ".join(f"{old!r} -> {new!r}" for old, new in names.items())
    return table.rename(columns=names), [f"columns renamed because the atlas adds its own: {listed}"]


def read_vector(content: bytes, *, kind: str) -> gpd.GeoDataFrame:
    """A GeoPackage or a zipped Shapefile through GDAL with the driver chosen here, from a private temporary folder."""
    with tempfile.TemporaryDirectory(prefix="atlas-upload-") as folder:
        if kind == "zip":
            path = _shapefile_in(content, Path(folder))
            driver, what = "ESRI Shapefile", "a zipped Shapefile"
        else:
            _check_geopackage(content)
            path = Path(folder) / "upload.gpkg"  # a server-chosen name: the user's name is never a path
            path.write_bytes(content)
            _refuse_virtual_tables(path)
            driver, what = "GPKG", "a GeoPackage"
        with _gdal_safe():
            try:
                return _read_with(path, driver=driver)
            except UserDataError:
                raise
            except Exception as exc:  # GDAL's messages name our temporary paths: never shown as they are
                detail = _PATH_TEXT.sub("<file>", str(exc).replace(folder, "").splitlines()[0] if str(exc) else "")
                raise UserDataError(f"the file cannot be read as {what}: {shorten(detail, limit=160)}") from exc


def _read_with(path: Path, *, driver: str) -> gpd.GeoDataFrame:
    """The first layer of `path`, refused unless GDAL opened it with `driver`; other GeoPackage layers named."""
    import pyogrio  # here, not at start-up: only uploads of GeoPackages and shapefiles need GDAL

    layers = [str(row[0]) for row in pyogrio.list_layers(path)]
    if not layers:
        raise UserDataError("the file holds no layer")
    if pyogrio.read_info(path, layer=layers[0]).get("driver", driver) != driver:
        raise UserDataError(f"the file is not a {driver} file")
    frame = gpd.read_file(path, engine="pyogrio", layer=layers[0])
    warnings = []
    if len(layers) > 1:
        others = ", ".join(repr(name) for name in layers[1:6]) + (" ..." if len(layers) > 6 else "")
        warnings.append(f"the GeoPackage holds {len(layers)} layers; read {layers[0]!r}, not {others}")
    table, renamed = _rename_reserved(pd.DataFrame(frame.drop(columns=frame.geometry.name)))
    frame = gpd.GeoDataFrame(table, geometry=frame.geometry.to_numpy(), crs=frame.crs)
    frame.attrs["warnings"] = [*warnings, *renamed]
    return frame


@contextlib.contextmanager
def _gdal_safe() -> Iterator[None]:
    """GDAL's network and folder access off while an upload is read."""
    import pyogrio

    pyogrio.set_gdal_config_options(GDAL_SAFE_CONFIG)
    yield


def _check_geopackage(content: bytes) -> None:
    """An SQLite file is read only when it says it is a GeoPackage (application id 'GPKG' at byte 68)."""
    if content[68:72] not in (b"GPKG", b"GP10", b"GP11"):
        raise UserDataError("the file is an SQLite database but not a GeoPackage")


def _refuse_virtual_tables(path: Path) -> None:
    """A GeoPackage whose schema declares virtual tables other than its R-tree index (VirtualOGR can open any file)."""
    try:
        with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
            db.execute("PRAGMA trusted_schema = OFF")
            schema = [row[0] or "" for row in db.execute("SELECT sql FROM sqlite_master")]
    except sqlite3.Error as exc:
        raise UserDataError("the file cannot be read as a GeoPackage: the database is damaged") from exc
    modules = {m.lower() for sql in schema for m in re.findall(r"\bUSING\s+([A-Za-z_]\w*)", sql, flags=re.I)}
    if modules - {"rtree"}:
        raise UserDataError(
            f"the GeoPackage declares virtual tables ({', '.join(sorted(modules - {'rtree'}))}); not accepted"
        )


def _safe_member(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return bool(name) and not name.startswith(("/", "\\")) and ":" not in name and ".." not in parts


def _shapefile_in(content: bytes, folder: Path) -> Path:
    """The one Shapefile of a zip, its parts written under server-chosen names after the directory is checked."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as bundle:
            members = bundle.infolist()
            if len(members) > ZIP_MAX_MEMBERS:
                raise UserDataError(f"the zip holds {len(members)} entries; the limit is {ZIP_MAX_MEMBERS}")
            unsafe = [m.filename for m in members if not _safe_member(m.filename)]
            if unsafe:
                raise UserDataError(f"the zip holds an entry with an unsafe name: {shorten(unsafe[0], limit=80)!r}")
            expanded = sum(m.file_size for m in members)
            if expanded > ZIP_MAX_EXPANDED:
                raise UserDataError(
                    f"the zip expands to {expanded / 2**20:.0f} MB; the limit is {ZIP_MAX_EXPANDED // 2**20} MB"
                )
            files = [m for m in members if not m.is_dir()]
            shapes = [m for m in files if m.filename.lower().endswith(".shp")]
            if len(shapes) != 1:
                raise UserDataError(f"the zip must hold exactly one .shp file, it holds {len(shapes)}")
            stem = shapes[0].filename[: -len(".shp")]
            out = folder / "shape"
            out.mkdir()
            for member in files:  # only the Shapefile's own parts, under server-chosen names (no archive paths)
                suffix = member.filename[len(stem) :].lower()
                if member.filename.startswith(stem) and suffix in SHAPEFILE_PARTS:
                    with bundle.open(member) as source:
                        data = source.read(member.file_size + 1)
                    if len(data) > member.file_size:
                        raise UserDataError("the zip is damaged (an entry is larger than its directory says)")
                    (out / f"layer{suffix}").write_bytes(data)
            if (out / "layer.shp").read_bytes()[:4] != b"\x00\x00\x27\x0a":
                raise UserDataError("the .shp file in the zip is not a Shapefile")
            return out / "layer.shp"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as exc:
        raise UserDataError("the .zip file is damaged or not a zip archive") from exc


def repair(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Invalid geometries made valid where shapely can, and reported."""
    present = frame.geometry.notna() & ~frame.geometry.is_empty
    invalid = present & ~frame.geometry.is_valid
    if not invalid.any():
        return frame, []
    frame = frame.copy()
    try:
        frame.loc[invalid, "geometry"] = shapely.make_valid(frame.geometry[invalid].to_numpy())
    except shapely.errors.GEOSException as exc:
        raise UserDataError(f"{invalid.sum()} geometries are invalid and cannot be repaired") from exc
    return frame, [f"{invalid.sum()} invalid geometries were repaired ({_rows(frame.index[invalid])})"]


def drop_impossible(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Features (in WGS84) with coordinates off the Earth (non-finite, |lon| > 180 or |lat| > 90) left undrawn."""
    present = frame.geometry.notna() & ~frame.geometry.is_empty
    if not present.any():
        return frame, []
    bounds = shapely.bounds(frame.geometry.to_numpy())
    finite = np.isfinite(bounds).all(axis=1)
    with np.errstate(invalid="ignore"):
        on_earth = (
            finite & (bounds[:, 0] >= -180) & (bounds[:, 2] <= 180) & (bounds[:, 1] >= -90) & (bounds[:, 3] <= 90)
        )
    bad = present.to_numpy() & ~on_earth
    if not bad.any():
        return frame, []
    frame = frame.copy()
    frame.loc[bad, "geometry"] = None
    where = _features(frame.index[bad])
    message = "coordinates that cannot be on the Earth (longitude beyond ±180° or latitude beyond ±90°)"
    return frame, [f"{bad.sum()} features have {message} ({where}); not drawn"]


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


CRS_TEXT_MAX = 8000


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
    try:
        return _read_user_file(content, filename=filename, atlas=atlas, lon=lon, lat=lat, crs=crs)
    except UserDataError as exc:
        raise UserDataError(shorten(str(exc))) from exc


def read_frame(content: bytes, *, filename: str, lon: str | None, lat: str | None, crs: str | None) -> gpd.GeoDataFrame:
    """The file's features by the reader its bytes call for (the name only has to be one we accept)."""
    suffix = Path(filename).suffix.lower()
    if suffix not in (".csv", ".txt", ".geojson", ".json", ".gpkg", ".zip"):
        raise UserDataError(
            f"unsupported file type {shorten(suffix, limit=20) or '(none)'}; "
            "use CSV, GeoJSON, GeoPackage or zipped Shapefile"
        )
    kind = sniff(content)
    if kind == "xml":
        raise UserDataError("the file is XML (such as a GDAL VRT), which is not accepted; send the data itself")
    if kind in ("gpkg", "zip"):
        return read_vector(content, kind=kind)
    if kind == "json":
        return read_geojson(content)
    if suffix not in (".csv", ".txt"):
        what = {".gpkg": "a GeoPackage", ".zip": "a zip archive"}.get(suffix, "GeoJSON (it must start with '{')")
        raise UserDataError(f"the file is named {suffix} but is not {what}")
    if crs and len(crs) > CRS_TEXT_MAX:
        raise UserDataError(f"the coordinate system text is {len(crs)} characters; the limit is {CRS_TEXT_MAX}")
    return read_csv(content, lon=lon, lat=lat, crs=crs)


def _read_user_file(
    content: bytes, *, filename: str, atlas: Atlas, lon: str | None, lat: str | None, crs: str | None
) -> UserLayer:
    if not content:
        raise UserDataError("the file is empty")
    if len(content) > MAX_BYTES:
        raise UserDataError(f"the file is {len(content) / 2**20:.1f} MB; the limit is {MAX_BYTES // 2**20} MB")
    frame = read_frame(content, filename=filename, lon=lon, lat=lat, crs=crs)
    warnings = list(frame.attrs.get("warnings", []))
    if frame.empty:
        raise UserDataError("the file holds no features")
    if frame.crs is None:
        frame = frame.set_crs(4326)
        warnings.append("the file names no coordinate system; WGS84 assumed")
    source_crs = shorten(frame.crs.to_string(), limit=120)
    if not frame.crs.equals(CRS.from_epsg(4326)):
        try:
            frame = frame.to_crs(4326)
        except Exception as exc:  # pyproj cannot transform from this CRS
            raise UserDataError(f"the features cannot be reprojected from {source_crs} to WGS84") from exc
        warnings.append(f"reprojected from {source_crs} to WGS84")
    frame, impossible = drop_impossible(frame)
    frame, repaired = repair(frame)
    joined = join_units(frame.reset_index(drop=True), atlas=atlas)
    outside = joined.index[joined["outside_central"]]
    if len(outside):
        warnings.append(f"{len(outside)} features lie outside the six provinces ({_rows(outside)}); kept and flagged")
    if joined.geometry.isna().all():
        raise UserDataError("no row has usable coordinates: " + "; ".join([*warnings, *impossible]))
    return UserLayer(
        name=Path(filename).name[:80],
        frame=joined,
        source_crs=source_crs,
        warnings=[*warnings, *impossible, *repaired],
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
