"""What the input file is (kind, columns, coordinates, CRS), checked before any row is joined, and its chunks."""

from __future__ import annotations

import contextlib
import io
import json
import os
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pyogrio
import pyproj
import shapely

from geodata.join.errors import JoinInputError, first_line
from geodata.parse import GCJ02, LAT_NAMES, LON_NAMES, WGS84, CRSTextError, common_name_columns, crs_name

INPUT_KINDS = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".geoparquet": "parquet",
    ".geojson": "file",
    ".json": "file",
    ".gpkg": "file",
    ".zip": "file",  # a zipped Shapefile
}
OUTPUT_FORMATS = {".csv": "csv", ".parquet": "parquet", ".geoparquet": "parquet"}
#: Every CSV is read as text, so each cell is written back exactly as it came in.
CSV_READ = {"dtype": str, "na_filter": False, "encoding": "utf-8-sig"}
#: CSV text as Arrow reads it for the fast path: every cell a string, nothing read as null.
TEXT_CONVERT = {"strings_can_be_null": False, "quoted_strings_can_be_null": False}
#: What the readers raise for a file that is not what its extension says, or is broken.
READ_ERRORS = (
    pd.errors.ParserError,
    pd.errors.EmptyDataError,
    pa.ArrowException,
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
)


@dataclass(frozen=True)
class Source:
    """What every chunk needs to know about the input file."""

    path: str
    kind: str  # csv, parquet or file (GeoJSON, GeoPackage)
    columns: tuple[str, ...]
    lon: str | None = None
    lat: str | None = None
    geometry: str | None = None  # the geometry column of geo inputs
    crs: str = WGS84  # of the coordinates, or of geometries whose file declares none
    rows: int | None = None  # when the file says so up front
    dataset: str | None = None  # what GDAL opens, when not `path` (a Shapefile inside a zip)

    def position(self, index: int) -> str:
        """A row as the user finds it: CSV line numbers count the header, other rows count from 1."""
        return str(index + 2 if self.kind == "csv" else index + 1)


def input_kind(path: Path) -> str:
    """csv, parquet or file, from the extension."""
    if path.is_dir():
        raise JoinInputError(f"{path}: is a folder; give the file to join (one of {', '.join(INPUT_KINDS)})")
    if not path.is_file():
        raise JoinInputError(f"{path}: no such file")
    kind = INPUT_KINDS.get(path.suffix.lower())
    if kind is None:
        raise JoinInputError(f"{path}: unknown file type {path.suffix!r}; expected one of {', '.join(INPUT_KINDS)}")
    return kind


def output_format(path: Path) -> str:
    """csv or parquet, from the extension."""
    fmt = OUTPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise JoinInputError(f"{path}: write .csv or .parquet, not {path.suffix or 'a file without extension'!r}")
    return fmt


def detect_column(columns: Iterable[str], *, given: str | None, names: tuple[str, ...], axis: str) -> str:
    """The coordinate column: the one given, else the only column with a common name."""
    columns = list(columns)
    if given is not None:
        if given not in columns:
            raise JoinInputError(f"no column {given!r} for the {axis}; the columns are {', '.join(columns)}")
        return given
    found = common_name_columns(columns, names=names)
    if len(found) != 1:
        problem = f"several {axis} columns ({', '.join(found)})" if found else f"no {axis} column"
        option = "--lon" if axis == "longitude" else "--lat"
        raise JoinInputError(f"{problem}: name it with {option} (columns: {', '.join(columns)})")
    return found[0]


def parse_crs(text: str | None) -> str:
    """--crs as a CRS string pyproj reads (bare numbers are EPSG codes), or GCJ-02."""
    if text is None:
        return WGS84
    try:
        return crs_name(text)
    except CRSTextError:
        raise JoinInputError(f"--crs {text!r} is not a coordinate reference system (try an EPSG code)") from None


def geo_crs(declared: str | None, *, given: str | None, path: Path) -> str:
    """The CRS of a geo file's geometries: its own, or --crs where it declares none.

    --crs GCJ-02 may also override a declared WGS84, since GCJ-02 data is always labelled WGS84.
    """
    if given is None:
        return declared or WGS84
    wanted = parse_crs(given)
    if declared is None:
        return wanted
    same = pyproj.CRS(WGS84 if wanted == GCJ02 else wanted).equals(pyproj.CRS(declared), ignore_axis_order=True)
    if not same:
        raise JoinInputError(f"{path}: the file declares its CRS ({pyproj.CRS(declared).name}); leave out --crs")
    return wanted


def parquet_source(path: Path, *, lon: str | None, lat: str | None, crs: str | None) -> Source:
    """A Parquet file: GeoParquet when its schema has `geo` metadata (WKB geometries), else a table."""
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise JoinInputError(f"{path}: not a readable Parquet file ({first_line(exc)})") from None
    schema, rows = parquet.schema_arrow, parquet.metadata.num_rows
    geo = json.loads((schema.metadata or {}).get(b"geo", b"null"))
    if geo is None:
        return table_source(path, kind="parquet", columns=schema.names, lon=lon, lat=lat, crs=crs, rows=rows)
    name = geo["primary_column"]
    column = geo["columns"][name]
    if column.get("encoding", "WKB").upper() != "WKB":
        raise JoinInputError(f"{path}: GeoParquet encoding {column['encoding']!r} is not supported; write it as WKB")
    refuse_coordinate_columns(path, lon=lon, lat=lat)
    crs = geo_crs(geoparquet_crs(column), given=crs, path=path)
    return Source(str(path), "parquet", tuple(schema.names), geometry=name, crs=crs, rows=rows)


def geoparquet_crs(column: dict) -> str | None:
    """A GeoParquet column's CRS: absent means OGC:CRS84 (WGS84), null means unknown."""
    if "crs" not in column:
        return WGS84
    return None if column["crs"] is None else pyproj.CRS.from_json_dict(column["crs"]).to_wkt()


def shapefile_in_zip(path: Path) -> str:
    """GDAL's name for the one Shapefile inside a zip archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            shapes = [name for name in archive.namelist() if name.lower().endswith(".shp")]
    except zipfile.BadZipFile:
        raise JoinInputError(f"{path}: not a readable zip file") from None
    if len(shapes) != 1:
        raise JoinInputError(f"{path}: the zip must hold exactly one .shp file, it holds {len(shapes)}")
    return f"/vsizip/{path.resolve()}/{shapes[0]}"


def file_source(path: Path, *, lon: str | None, lat: str | None, crs: str | None) -> Source:
    """A GeoJSON, GeoPackage or zipped Shapefile, read through GDAL."""
    dataset = shapefile_in_zip(path) if path.suffix.lower() == ".zip" else str(path)
    try:
        info = pyogrio.read_info(dataset)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        kind = "zipped Shapefile" if path.suffix.lower() == ".zip" else "GeoJSON or GeoPackage file"
        raise JoinInputError(f"{path}: not a readable {kind} ({first_line(exc)})") from None
    if info["geometry_type"] is None:
        raise JoinInputError(f"{path}: the layer has no geometries")
    refuse_coordinate_columns(path, lon=lon, lat=lat)
    crs = geo_crs(info["crs"], given=crs, path=path)
    columns = (*info["fields"], "geometry")
    rows = int(info["features"])
    return Source(str(path), "file", columns, geometry="geometry", crs=crs, rows=rows, dataset=dataset)


def refuse_coordinate_columns(path: Path, *, lon: str | None, lat: str | None) -> None:
    """Files with geometries are joined by them; --lon/--lat would be ignored, so they are refused."""
    if lon is not None or lat is not None:
        raise JoinInputError(f"{path}: the file has geometries; --lon/--lat apply to CSV and plain Parquet only")


def table_source(
    path: Path, *, kind: str, columns: list[str], lon: str | None, lat: str | None, crs: str | None, rows: int | None
) -> Source:
    """An input whose coordinates are in two columns."""
    lon = detect_column(columns, given=lon, names=LON_NAMES, axis="longitude")
    lat = detect_column(columns, given=lat, names=LAT_NAMES, axis="latitude")
    return Source(str(path), kind, tuple(columns), lon=lon, lat=lat, crs=parse_crs(crs), rows=rows)


def csv_source(path: Path, *, lon: str | None, lat: str | None, crs: str | None) -> Source:
    """A CSV file with a header row."""
    with read_errors(path):
        columns = pd.read_csv(path, nrows=0, **CSV_READ).columns
    return table_source(path, kind="csv", columns=list(columns), lon=lon, lat=lat, crs=crs, rows=None)


def inspect_input(path: Path, *, lon: str | None = None, lat: str | None = None, crs: str | None = None) -> Source:
    """Where the input's points are and in which CRS, checked before any row is joined."""
    readers = {"csv": csv_source, "parquet": parquet_source, "file": file_source}
    return readers[input_kind(path)](path, lon=lon, lat=lat, crs=crs)


@contextlib.contextmanager
def read_errors(path: Path | str) -> Iterator[None]:
    """Turn the readers' errors about a broken file into one-line input errors."""
    try:
        yield
    except UnicodeDecodeError:
        raise JoinInputError(f"{path}: not UTF-8 text") from None
    except READ_ERRORS as exc:
        raise JoinInputError(f"{path}: cannot be read ({first_line(exc)})") from None


def parquet_frame(table: pa.Table, *, source: Source) -> pd.DataFrame:
    """A piece of a Parquet file as pandas with Arrow's own types kept, WKB geometries decoded."""
    frame = table.to_pandas(types_mapper=pd.ArrowDtype, ignore_metadata=True)
    if source.geometry is None:
        return frame
    frame[source.geometry] = shapely.from_wkb(table.column(source.geometry).to_numpy(zero_copy_only=False))
    return gpd.GeoDataFrame(frame, geometry=source.geometry, crs=WGS84 if source.crs == GCJ02 else source.crs)


def parquet_row_group(source: Source, *, index: int) -> pd.DataFrame:
    """One row group of a Parquet file (a partition of the dask engine)."""
    with read_errors(source.path), pq.ParquetFile(source.path) as parquet:
        return parquet_frame(parquet.read_row_group(index), source=source)


class TextFallback(Exception):
    """Arrow could not read the CSV text as pandas would; the join starts again with pandas' reader."""


def text_options(source: Source, **read: object) -> dict:
    """Arrow's CSV options for reading every column as text under placeholder names c0, c1, ..."""
    names = [f"c{i}" for i in range(len(source.columns))]
    return {
        "read_options": pa_csv.ReadOptions(column_names=names, use_threads=False, **read),
        "convert_options": pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()), **TEXT_CONVERT),
    }


def text_chunks(source: Source, *, chunk_rows: int) -> Iterator[pa.Table]:
    """A CSV file's rows as Arrow tables of text, streamed; TextFallback if Arrow cannot read it."""
    block = csv_blocksize(source.path, chunk_rows=chunk_rows)
    options = text_options(source, skip_rows=1, block_size=block)
    parse = pa_csv.ParseOptions(newlines_in_values=True)
    try:
        with pa_csv.open_csv(source.path, parse_options=parse, **options) as reader:
            for batch in reader:
                yield pa.Table.from_batches([batch])
    except pa.ArrowException:
        raise TextFallback(source.path) from None


def text_ranges(source: Source, *, chunk_rows: int) -> list[tuple[int, int]]:
    """Byte ranges of about `chunk_rows` rows each after the header, split at line breaks."""
    size = os.path.getsize(source.path)
    block = csv_blocksize(source.path, chunk_rows=chunk_rows)
    with open(source.path, "rb") as f:
        f.readline()
        starts = [f.tell()]
        while starts[-1] + block < size:
            f.seek(starts[-1] + block)
            f.readline()
            if f.tell() >= size:
                break
            starts.append(f.tell())
    return [(start, end) for start, end in zip(starts, [*starts[1:], size], strict=True) if end > start]


def text_range(source: Source, *, start: int, end: int) -> pa.Table | pd.DataFrame:
    """The rows in one byte range: Arrow text, or a pandas frame when Arrow cannot read them as pandas would."""
    with open(source.path, "rb") as f:
        f.seek(start)
        data = f.read(end - start)
    try:
        return pa_csv.read_csv(pa.py_buffer(data), **text_options(source))
    except pa.ArrowException:
        with read_errors(source.path):
            return pd.read_csv(io.BytesIO(data), header=None, names=list(source.columns), **CSV_READ)


def csv_blocksize(path: str, *, chunk_rows: int) -> int:
    """Bytes for about `chunk_rows` rows, from the first MiB's line lengths."""
    with open(path, "rb") as f:
        sample = f.read(1 << 20)
    per_row = len(sample) / max(sample.count(b"\n"), 1)
    return max(1 << 12, int(per_row * chunk_rows))


def local_chunks(source: Source, *, chunk_rows: int, text: bool = False) -> Iterator[pd.DataFrame | pa.Table]:
    """The input in chunks of about `chunk_rows` rows, read in this process (CSV as Arrow text if `text`)."""
    if source.kind == "csv" and text:
        yield from text_chunks(source, chunk_rows=chunk_rows)
    elif source.kind == "csv":
        with pd.read_csv(source.path, chunksize=chunk_rows, **CSV_READ) as reader:
            yield from reader
    elif source.kind == "parquet":
        with pq.ParquetFile(source.path) as parquet:
            for batch in parquet.iter_batches(batch_size=chunk_rows):
                yield parquet_frame(pa.Table.from_batches([batch]), source=source)
    else:
        frame = pyogrio.read_dataframe(source.dataset or source.path)
        for start in range(0, len(frame), chunk_rows):
            yield frame.iloc[start : start + chunk_rows]
