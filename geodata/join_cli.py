"""Join a big file of points to the six provinces' counties, in memory (GeoPandas) or on a Dask cluster."""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import logging
import os
import sys
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import pyproj
import shapely

from geodata._paths import LEVELS
from geodata.crs import gcj02_to_wgs84, gcj02_to_wgs84_xy, is_gcj02
from geodata.join import locate_points
from geodata.load import read_boundaries
from geodata.userdata import LAT_NAMES, LON_NAMES, common_name_columns

#: Column names taken for coordinates when --lon/--lat are not given (compared case-insensitively).
#: Coordinate cells read as "no location" (the row gets no unit) rather than as an error.
MISSING = frozenset({"", "nan", "na", "n/a", "null", "none"})
INPUT_KINDS = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".geoparquet": "parquet",
    ".geojson": "file",
    ".json": "file",
    ".gpkg": "file",
}
OUTPUT_FORMATS = {".csv": "csv", ".parquet": "parquet", ".geoparquet": "parquet"}
ENGINES = ("geopandas", "dask")
WGS84 = "EPSG:4326"
GCJ02 = "GCJ-02"
#: Boundaries joined against: `detail` keeps the exact borders (light moves ~0.6% of random points).
RESOLUTION = "detail"
DEFAULT_CHUNK_ROWS = 250_000
#: Every CSV is read as text, so each cell is written back exactly as it came in.
CSV_READ = {"dtype": str, "na_filter": False, "encoding": "utf-8-sig"}
SHOWN_ROWS = 5
#: What the readers raise for a file that is not what its extension says, or is broken.
READ_ERRORS = (
    pd.errors.ParserError,
    pd.errors.EmptyDataError,
    pa.ArrowException,
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
)
OUTSIDE = ("", "(outside the six provinces)", "（六省以外）")

DESCRIPTION = """\
Add the province, prefecture and county of every row of a big file of points (CSV, Parquet,
GeoParquet, GeoJSON or GeoPackage) and write it as CSV or Parquet (by -o's extension).

Every input row and column is kept, in order, and {level}_adcode, {level}_name_en and
{level}_name_zh are added for --level and each level above it; they are empty outside the six
provinces. Points are joined to the detailed county borders (`detail` resolution). A point on a
border shared by several counties goes to the one with the smallest adcode (the rule of
geodata.join.locate_points, which both engines call). Lines and polygons are joined by their
representative point (a point guaranteed to lie inside each). Empty coordinate cells or empty
geometries get no unit; any other cell that is not a number is an error.

CSV columns are read and written back as text. Coordinates come from --lon/--lat or from a column
named lon, lng, long, longitude, x, 经度 or 东经 and one named lat, latitude, y, 纬度 or 北纬; --crs gives their
CRS (an EPSG code, anything pyproj reads, or GCJ-02 for Amap/Tencent coordinates; default WGS84).

--engine geopandas joins chunk by chunk in this process (GeoJSON and GeoPackage files are read
whole). --engine dask reads and joins partitions on a Dask cluster (a local one of --workers
processes, or --scheduler's, whose workers must see INPUT at the same path and import this
package) and streams them back in order, so memory stays bounded; CSV partitions are byte
ranges (so no line breaks inside quoted cells), Parquet ones are row groups.
"""

EXAMPLES = """\
examples:
  python -m geodata.join shops.csv -o shops-joined.csv --counts shops-per-county.csv
  python -m geodata.join trips.parquet --lon o_lng --lat o_lat --level prefecture -o trips.parquet
  python -m geodata.join amap-pois.csv --crs GCJ-02 --engine dask --workers 2 -o pois.parquet
  python -m geodata.join big.csv --engine dask --scheduler tcp://dask-scheduler:8786 -o big-joined.csv
"""


class JoinInputError(ValueError):
    """The input or the options cannot be joined; the message names the file and the problem."""


@dataclass(frozen=True)
class Units:
    """The counties joined against and the names of each level's units: small, sent once to each worker."""

    counties: gpd.GeoDataFrame
    names: dict[str, pd.DataFrame]  # level -> name_en, name_zh indexed by adcode (six provinces only)


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

    def position(self, index: int) -> str:
        """A row as the user finds it: CSV line numbers count the header, other rows count from 1."""
        return str(index + 2 if self.kind == "csv" else index + 1)


@dataclass(frozen=True)
class ChunkResult:
    """One joined chunk, encoded for the output file, with what the summary and the counts need."""

    rows: int
    bad: np.ndarray  # positions in the chunk of coordinates that are not numbers
    counts: dict[str, int]  # adcode ("" outside) -> rows
    payload: bytes | pa.Table | None


@dataclass
class Tally:
    """What the chunks have added up to so far."""

    rows: int = 0
    bad: list[int] = field(default_factory=list)  # the first few, as row indices of the whole file
    bad_count: int = 0
    counts: Counter = field(default_factory=Counter)

    @property
    def failed(self) -> bool:
        return self.bad_count > 0


@dataclass(frozen=True)
class Summary:
    """What a join wrote."""

    output: Path
    rows: int
    outside: int
    seconds: float
    counts: Path | None

    def describe(self) -> str:
        rate = self.rows / self.seconds if self.seconds else 0.0
        text = (
            f"wrote {self.output}: {self.rows:,} rows, {self.rows - self.outside:,} in the six provinces, "
            f"{self.outside:,} outside ({self.seconds:.1f} s, {rate:,.0f} rows/s)"
        )
        return text + (f"; counts in {self.counts}" if self.counts else "")


# --- the units -------------------------------------------------------------------------------


@functools.cache
def atlas_units(*, resolution: str = RESOLUTION) -> Units:
    """The six provinces' counties and every unit's names, from the bundled boundaries."""
    frames = {level: read_boundaries(level=level, resolution=resolution) for level in LEVELS}
    names = {
        level: frame.loc[frame["is_central"], ["adcode", "name_en", "name_zh"]].set_index("adcode")
        for level, frame in frames.items()
    }
    counties = frames["county"][["adcode", "prefecture_adcode", "province_adcode", "geometry"]]
    return Units(counties=counties, names=names)


def levels_down_to(level: str) -> tuple[str, ...]:
    """The levels whose columns --level adds: itself and every level above it."""
    if level not in LEVELS:
        raise JoinInputError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    return LEVELS[: LEVELS.index(level) + 1]


def unit_columns(level: str) -> list[str]:
    """The columns a join adds, grouped by level from the province down."""
    return [f"{name}_{key}" for name in levels_down_to(level) for key in ("adcode", "name_en", "name_zh")]


def unit_frame(located: pd.DataFrame, *, level: str, units: Units) -> pd.DataFrame:
    """Codes and names of the units each point lies in (missing outside the six provinces)."""
    columns = {}
    for name in levels_down_to(level):
        codes = located[f"{name}_adcode"]
        columns[f"{name}_adcode"] = codes
        columns[f"{name}_name_en"] = codes.map(units.names[name]["name_en"])
        columns[f"{name}_name_zh"] = codes.map(units.names[name]["name_zh"])
    return pd.DataFrame({key: pd.array(values, dtype="str") for key, values in columns.items()}, index=located.index)


def counts_table(counts: Counter, *, level: str, units: Units) -> pd.DataFrame:
    """Rows per unit of `level` (every unit, zeros included), then one row for points outside them all."""
    names = units.names[level].sort_index()
    table = pd.DataFrame(
        {
            "adcode": [*names.index, OUTSIDE[0]],
            "name_en": [*names["name_en"], OUTSIDE[1]],
            "name_zh": [*names["name_zh"], OUTSIDE[2]],
        }
    )
    table["count"] = [counts.get(code, 0) for code in table["adcode"]]
    return table


# --- what the input is -----------------------------------------------------------------------


def input_kind(path: Path) -> str:
    """csv, parquet or file, from the extension."""
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
    if is_gcj02(text):
        return GCJ02
    value = f"EPSG:{text.strip()}" if text.strip().isdigit() else text
    try:
        pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError:
        raise JoinInputError(f"--crs {text!r} is not a coordinate reference system (try an EPSG code)") from None
    return value


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


def file_source(path: Path, *, lon: str | None, lat: str | None, crs: str | None) -> Source:
    """A GeoJSON or GeoPackage file, read through GDAL."""
    try:
        info = pyogrio.read_info(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise JoinInputError(f"{path}: not a readable GeoJSON or GeoPackage file ({first_line(exc)})") from None
    if info["geometry_type"] is None:
        raise JoinInputError(f"{path}: the layer has no geometries")
    refuse_coordinate_columns(path, lon=lon, lat=lat)
    crs = geo_crs(info["crs"], given=crs, path=path)
    columns = (*info["fields"], "geometry")
    return Source(str(path), "file", columns, geometry="geometry", crs=crs, rows=int(info["features"]))


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


def first_line(exc: BaseException) -> str:
    """An exception's message, on one line."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


@contextlib.contextmanager
def read_errors(path: Path | str) -> Iterator[None]:
    """Turn the readers' errors about a broken file into one-line input errors."""
    try:
        yield
    except UnicodeDecodeError:
        raise JoinInputError(f"{path}: not UTF-8 text") from None
    except READ_ERRORS as exc:
        raise JoinInputError(f"{path}: cannot be read ({first_line(exc)})") from None


# --- one chunk: points, join, encode (the same function in both engines) ---------------------


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


def coordinate_points(chunk: pd.DataFrame, *, source: Source) -> tuple[gpd.GeoSeries, np.ndarray]:
    """Points from the coordinate columns, in WGS84, and the positions of rows whose cells are not numbers."""
    lon, lon_bad = parse_numbers(chunk[source.lon])
    lat, lat_bad = parse_numbers(chunk[source.lat])
    crs = source.crs
    if crs == GCJ02:
        lon, lat = gcj02_to_wgs84(lon, lat)
        crs = WGS84
    points = gpd.points_from_xy(lon, lat)
    points[np.isnan(lon) | np.isnan(lat)] = None
    series = gpd.GeoSeries(points, index=chunk.index, crs=crs)
    return series.to_crs(WGS84), np.flatnonzero(lon_bad | lat_bad)


def geometry_points(chunk: gpd.GeoDataFrame, *, source: Source) -> gpd.GeoSeries:
    """Each geometry's representative point (a point is its own), in WGS84; none for empty geometries."""
    points = shapely.point_on_surface(chunk.geometry.to_numpy())
    points[shapely.is_empty(points)] = None
    if source.crs == GCJ02:
        return gpd.GeoSeries(shapely.transform(points, gcj02_to_wgs84_xy), index=chunk.index, crs=WGS84)
    return gpd.GeoSeries(points, index=chunk.index, crs=source.crs).to_crs(WGS84)


def encode(frame: pd.DataFrame, *, fmt: str) -> bytes | pa.Table:
    """A joined chunk as CSV text (no header; geometries as exact WKT) or as an Arrow table."""
    if fmt == "csv":
        if isinstance(frame, gpd.GeoDataFrame):
            frame = frame.to_wkt(rounding_precision=-1)
        return frame.to_csv(index=False, header=False, lineterminator="\n").encode("utf-8")
    return arrow_table(frame)


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """A chunk as Arrow (its own types, no pandas metadata); geometries as WKB with GeoParquet metadata."""
    if not isinstance(frame, gpd.GeoDataFrame):
        return pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    name = frame.geometry.name
    column = {"encoding": "WKB", "geometry_types": []}
    if frame.crs is not None:
        column["crs"] = frame.crs.to_json_dict()
    geo = {"version": "1.1.0", "primary_column": name, "columns": {name: column}}
    table = pa.Table.from_pandas(pd.DataFrame(frame.to_wkb()), preserve_index=False)
    return table.replace_schema_metadata({b"geo": json.dumps(geo).encode("utf-8")})


def join_chunk(
    chunk: pd.DataFrame, *, source: Source, units: Units, level: str, fmt: str, check_only: bool = False
) -> ChunkResult:
    """Join one chunk to the counties with geodata.join.locate_points and encode it for the output."""
    chunk = chunk.reset_index(drop=True)
    if source.geometry is None:
        points, bad = coordinate_points(chunk, source=source)
    else:
        points, bad = geometry_points(chunk, source=source), np.array([], dtype=int)
    if check_only or bad.size:
        return ChunkResult(rows=len(chunk), bad=bad, counts={}, payload=None)
    located = locate_points(gpd.GeoDataFrame(geometry=points), counties=units.counties)
    added = unit_frame(located, level=level, units=units)
    counts = located[f"{level}_adcode"].fillna(OUTSIDE[0]).value_counts()
    frame = pd.concat([chunk, added], axis=1)
    return ChunkResult(rows=len(chunk), bad=bad, counts=counts.to_dict(), payload=encode(frame, fmt=fmt))


# --- reading chunks --------------------------------------------------------------------------


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


def local_chunks(source: Source, *, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The input in chunks of at most `chunk_rows` rows, read in this process."""
    if source.kind == "csv":
        with pd.read_csv(source.path, chunksize=chunk_rows, **CSV_READ) as reader:
            yield from reader
    elif source.kind == "parquet":
        with pq.ParquetFile(source.path) as parquet:
            for batch in parquet.iter_batches(batch_size=chunk_rows):
                yield parquet_frame(pa.Table.from_batches([batch]), source=source)
    else:
        frame = pyogrio.read_dataframe(source.path)
        for start in range(0, len(frame), chunk_rows):
            yield frame.iloc[start : start + chunk_rows]


def csv_blocksize(path: str, *, chunk_rows: int) -> int:
    """Bytes per dask CSV partition for about `chunk_rows` rows, from the first MiB's line lengths."""
    with open(path, "rb") as f:
        sample = f.read(1 << 20)
    per_row = len(sample) / max(sample.count(b"\n"), 1)
    return max(1 << 12, int(per_row * chunk_rows))


def dask_partitions(source: Source, *, chunk_rows: int) -> list:
    """The input as dask Delayed partitions, each read where it is joined."""
    import dask
    import dask.dataframe as dd
    import dask_geopandas

    if source.kind == "csv":
        blocksize = csv_blocksize(source.path, chunk_rows=chunk_rows)
        return dd.read_csv(source.path, blocksize=blocksize, **CSV_READ).to_delayed()
    if source.kind == "parquet":
        with pq.ParquetFile(source.path) as parquet:
            groups = parquet.metadata.num_row_groups
        return [dask.delayed(parquet_row_group)(source, index=index) for index in range(groups)]
    return dask_geopandas.read_file(source.path, chunksize=chunk_rows).to_delayed()


# --- the engines -----------------------------------------------------------------------------


def geopandas_results(
    source: Source, *, units: Units, level: str, fmt: str, chunk_rows: int, tally: Tally
) -> Iterator[ChunkResult]:
    """Join chunk after chunk in this process."""
    for chunk in local_chunks(source, chunk_rows=chunk_rows):
        yield join_chunk(chunk, source=source, units=units, level=level, fmt=fmt, check_only=tally.failed)


@contextlib.contextmanager
def dask_client(*, scheduler: str | None, workers: int | None) -> Iterator[object]:
    """A client of the cluster at `scheduler`, or of a new local cluster of `workers` processes."""
    from dask.distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise JoinInputError(f"cannot reach the Dask scheduler at {scheduler} ({first_line(exc)})") from None
        with client:
            yield client
        return
    cluster = LocalCluster(
        n_workers=workers or os.cpu_count() or 1,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    with cluster, Client(cluster) as client:
        yield client


def dask_results(
    source: Source,
    *,
    units: Units,
    level: str,
    fmt: str,
    chunk_rows: int,
    tally: Tally,
    scheduler: str | None,
    workers: int | None,
) -> Iterator[ChunkResult]:
    """Join partitions on the cluster, at most two per worker thread in flight, yielded in input order."""
    with dask_client(scheduler=scheduler, workers=workers) as client:
        shared = client.scatter(units, broadcast=True, hash=False)
        window = 2 * max(1, sum(client.nthreads().values()))
        pending: deque = deque()
        for part in dask_partitions(source, chunk_rows=chunk_rows):
            options = {"source": source, "level": level, "fmt": fmt, "check_only": tally.failed}
            pending.append(client.submit(join_chunk, client.compute(part), units=shared, pure=False, **options))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


# --- writing ---------------------------------------------------------------------------------


@contextlib.contextmanager
def partial_file(path: Path) -> Iterator[Path]:
    """A temporary file beside `path` that replaces it only when the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        yield partial
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


class Sink:
    """Writes encoded chunks, in order, to one CSV or Parquet file."""

    def __init__(self, path: Path, *, fmt: str, columns: list[str]) -> None:
        self.path, self.fmt, self.columns = path, fmt, columns
        self.file = path.open("wb") if fmt == "csv" else None
        self.writer: pq.ParquetWriter | None = None
        if self.file is not None:
            self.file.write(pd.DataFrame(columns=columns).to_csv(index=False, lineterminator="\n").encode("utf-8"))

    def write(self, payload: bytes | pa.Table) -> None:
        if self.file is not None:
            self.file.write(payload)
            return
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, payload.schema)
        if not payload.schema.equals(self.writer.schema, check_metadata=False):
            try:
                payload = payload.cast(self.writer.schema)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
                raise JoinInputError(f"a column changes type along the file ({first_line(exc)})") from None
        self.writer.write_table(payload)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            return
        if self.writer is None:  # no rows: an empty table of text columns
            self.writer = pq.ParquetWriter(self.path, pa.schema([(name, pa.string()) for name in self.columns]))
        self.writer.close()


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """A small table as CSV or Parquet, by extension."""
    with partial_file(path) as partial:
        if output_format(path) == "csv":
            frame.to_csv(partial, index=False, lineterminator="\n")
        else:
            frame.to_parquet(partial, index=False)


class Progress:
    """Rows done out of the total on stderr, redrawn at most five times a second."""

    def __init__(self, *, total: int | None, enabled: bool) -> None:
        self.total, self.enabled = total, enabled
        self.started = self.drawn = time.perf_counter()

    def update(self, done: int, *, final: bool = False) -> None:
        now = time.perf_counter()
        if not self.enabled or (now - self.drawn < 0.2 and not final):
            return
        self.drawn = now
        rate = done / max(now - self.started, 1e-9)
        share = f" ({min(done / self.total, 1):.0%})" if self.total else ""
        total = f" / {self.total:,}" if self.total else ""
        end = "\n" if final else ""
        sys.stderr.write(f"\rjoined {done:,}{total} rows{share}, {rate:,.0f} rows/s{end}")
        sys.stderr.flush()


def count_csv_rows(path: str) -> int:
    """Data rows of a CSV file, by counting line breaks (fast; cells with line breaks count extra)."""
    lines, last = 0, b"\n"
    with open(path, "rb") as f:
        while block := f.read(1 << 24):
            lines += block.count(b"\n")
            last = block[-1:]
    return max(lines + (last != b"\n") - 1, 0)


def collect(results: Iterable[ChunkResult], *, sink: Sink, tally: Tally, progress: Progress) -> None:
    """Write the chunks in order; keep the counts, and the first bad rows of the whole file."""
    for result in results:
        if result.bad.size:
            tally.bad.extend(int(tally.rows + position) for position in result.bad[: SHOWN_ROWS - len(tally.bad)])
            tally.bad_count += int(result.bad.size)
        elif not tally.failed:
            sink.write(result.payload)
            tally.counts.update(result.counts)
        tally.rows += result.rows
        progress.update(tally.rows)
    progress.update(tally.rows, final=True)


def bad_rows_message(source: Source, tally: Tally) -> str:
    """One line naming the coordinate columns, the first bad rows and how many there are."""
    where = "line" if source.kind == "csv" else "row"
    shown = ", ".join(source.position(index) for index in tally.bad)
    more = f" and {tally.bad_count - len(tally.bad):,} more" if tally.bad_count > len(tally.bad) else ""
    rows = "1 row has" if tally.bad_count == 1 else f"{tally.bad_count:,} rows have"
    return (
        f"{source.path}: {rows} coordinates that are not numbers in {source.lon!r}/{source.lat!r}, "
        f"at {where}{'s' if len(tally.bad) > 1 else ''} {shown}{more}"
    )


# --- the whole join --------------------------------------------------------------------------


def join_file(
    path: Path,
    *,
    output: Path,
    level: str = "county",
    counts: Path | None = None,
    lon: str | None = None,
    lat: str | None = None,
    crs: str | None = None,
    engine: str = "geopandas",
    scheduler: str | None = None,
    workers: int | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: bool = False,
) -> Summary:
    """Join every row of `path` to the units of `level` and above; write `output` and, if asked, `counts`."""
    started = time.perf_counter()
    fmt = output_format(output)
    if counts is not None:
        output_format(counts)
    check_options(path, output=output, engine=engine, scheduler=scheduler, workers=workers, chunk_rows=chunk_rows)
    source = inspect_input(path, lon=lon, lat=lat, crs=crs)
    added = unit_columns(level)
    clash = sorted(set(added) & set(source.columns))
    if clash:
        raise JoinInputError(f"{path}: already has the columns {', '.join(clash)}; rename or drop them first")
    units = atlas_units()
    total = source.rows if source.rows is not None or not progress else count_csv_rows(source.path)
    tally = Tally()
    results = engine_results(
        engine,
        source=source,
        units=units,
        level=level,
        fmt=fmt,
        chunk_rows=chunk_rows,
        tally=tally,
        scheduler=scheduler,
        workers=workers,
    )
    with partial_file(output) as partial:
        sink = Sink(partial, fmt=fmt, columns=[*source.columns, *added])
        try:
            with read_errors(path):
                collect(results, sink=sink, tally=tally, progress=Progress(total=total, enabled=progress))
        finally:
            sink.close()
        if tally.failed:
            raise JoinInputError(bad_rows_message(source, tally))
    if counts is not None:
        write_table(counts_table(tally.counts, level=level, units=units), counts)
    outside = tally.counts.get(OUTSIDE[0], 0)
    return Summary(output, tally.rows, outside, time.perf_counter() - started, counts)


def check_options(
    path: Path, *, output: Path, engine: str, scheduler: str | None, workers: int | None, chunk_rows: int
) -> None:
    """Combinations of options that cannot work."""
    if engine not in ENGINES:
        raise JoinInputError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine != "dask" and (scheduler is not None or workers is not None):
        raise JoinInputError("--scheduler and --workers need --engine dask")
    if scheduler is not None and workers is not None:
        raise JoinInputError("--workers sizes a local cluster; leave it out with --scheduler")
    if chunk_rows < 1 or (workers is not None and workers < 1):
        raise JoinInputError("--chunk-rows and --workers must be at least 1")
    if output.resolve() == path.resolve():
        raise JoinInputError(f"{output}: would overwrite the input; choose another output file")


def engine_results(engine: str, *, scheduler: str | None, workers: int | None, **options) -> Iterator[ChunkResult]:
    """The chunk results of the chosen engine, in input order."""
    if engine == "dask":
        return dask_results(scheduler=scheduler, workers=workers, **options)
    return geopandas_results(**options)


# --- the command line ------------------------------------------------------------------------


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (1e6 and 250_000 are fine)."""
    try:
        value = int(float(text.replace("_", "")))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m geodata.join",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", type=Path, help="CSV, Parquet, GeoParquet, GeoJSON or GeoPackage file")
    parser.add_argument("-o", "--output", type=Path, required=True, help="result file: .csv or .parquet")
    parser.add_argument("--level", choices=LEVELS, default="county", help="finest level added (default: county)")
    parser.add_argument("--counts", type=Path, help="also write rows per unit of --level (.csv or .parquet)")
    parser.add_argument("--lon", help="longitude (or x) column; default: detected by name")
    parser.add_argument("--lat", help="latitude (or y) column; default: detected by name")
    parser.add_argument("--crs", help="CRS of the coordinates: EPSG code, PROJ string or GCJ-02 (default WGS84)")
    parser.add_argument("--engine", choices=ENGINES, default="geopandas", help="default: geopandas")
    parser.add_argument("--scheduler", help="dask: address of a running scheduler (default: a local cluster)")
    parser.add_argument("--workers", type=positive_int, help="dask: local cluster processes (default: CPU count)")
    parser.add_argument(
        "--chunk-rows",
        type=positive_int,
        default=DEFAULT_CHUNK_ROWS,
        help=f"rows per chunk (default {DEFAULT_CHUNK_ROWS:,})",
    )
    parser.add_argument("--progress", action="store_true", help="show progress even when stderr is not a terminal")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line: 0 when done, 2 for bad input or options, 1 when writing fails."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        summary = join_file(
            args.input,
            output=args.output,
            level=args.level,
            counts=args.counts,
            lon=args.lon,
            lat=args.lat,
            crs=args.crs,
            engine=args.engine,
            scheduler=args.scheduler,
            workers=args.workers,
            chunk_rows=args.chunk_rows,
            progress=args.progress or sys.stderr.isatty(),
        )
    except JoinInputError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{parser.prog}: failed: {first_line(exc)}", file=sys.stderr)
        return 1
    print(summary.describe())
    return 0


if __name__ == "__main__":  # python -m geodata.join_cli; import by name so dask pickles geodata.join_cli.*
    from geodata.join_cli import main as _main

    sys.exit(_main())
