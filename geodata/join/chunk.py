"""One chunk of the input: its points, joined to the counties and encoded for the output (the same in both engines)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import shapely

from geodata.crs import gcj02_to_wgs84, gcj02_to_wgs84_xy
from geodata.join.inputs import Source
from geodata.join.units import Units, unit_columns, unit_frame
from geodata.parse import GCJ02, WGS84, parse_numbers


@dataclass(frozen=True)
class ChunkResult:
    """One joined chunk, encoded for the output file, with what the summary and the counts need."""

    rows: int
    bad: np.ndarray  # positions in the chunk of coordinates that are not numbers
    counts: dict[str, int]  # adcode ("" outside) -> rows
    payload: bytes | pa.Buffer | pa.Table | None
    totals: dict[str, dict[str, tuple[float, int]]] = field(default_factory=dict)  # column -> adcode -> (sum, n)
    bad_value: tuple[str, int] | None = None  # the first cell of a --sum/--mean column that is not a number


#: CSV text is written without quotes when no cell needs them; Arrow refuses cells with , " or line breaks.
CSV_TEXT = pa_csv.WriteOptions(include_header=False, quoting_style="none")


def coordinates(chunk: pd.DataFrame, *, source: Source) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """WGS84 x and y from the coordinate columns (NaN where missing), and the rows whose cells are not numbers."""
    lon, lon_bad = parse_numbers(chunk[source.lon])
    lat, lat_bad = parse_numbers(chunk[source.lat])
    x, y = to_wgs84(lon, lat, crs=source.crs)
    return x, y, np.flatnonzero(lon_bad | lat_bad)


def text_coordinates(chunk: pa.Table, *, source: Source) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """coordinates() of a chunk of CSV text, parsed by Arrow when every cell is a finite number or empty."""
    columns = [chunk.column(source.columns.index(name)) for name in (source.lon, source.lat)]
    parsed = [text_numbers(column) for column in columns]
    if any(numbers is None for numbers in parsed):
        return coordinates(text_frame(columns, names=[source.lon, source.lat]), source=source)
    x, y = to_wgs84(parsed[0], parsed[1], crs=source.crs)  # type: ignore[arg-type]
    return x, y, np.array([], dtype=int)


def text_numbers(column: pa.ChunkedArray) -> np.ndarray | None:
    """Cells of text as floats (NaN where empty), or None when a cell is anything else than a finite number.

    Arrow reads a subset of what parse_numbers (pandas) reads, to the same correctly rounded
    floats; None sends the chunk to parse_numbers, which also names the bad cells.
    """
    blank = pc.equal(column, "")
    try:
        numbers = pc.cast(pc.if_else(blank, pa.scalar(None, pa.string()), column), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    values = numbers.to_numpy(zero_copy_only=False)
    finite = np.isfinite(values)
    if not (finite | pc.is_null(numbers).to_numpy(zero_copy_only=False)).all():
        return None
    return np.where(finite, values, np.nan)


def text_frame(columns: list[pa.ChunkedArray], *, names: list) -> pd.DataFrame:
    """Columns of text as a pandas frame of str objects, as pandas reads CSV text."""
    return pd.DataFrame({name: column.to_numpy() for name, column in zip(names, columns, strict=True)})


def to_wgs84(x: np.ndarray, y: np.ndarray, *, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates moved from `crs` (a pyproj name or GCJ-02) to WGS84; NaN stays NaN."""
    if crs == GCJ02:
        return gcj02_to_wgs84(x, y)
    if crs == WGS84:
        return x, y
    points = gpd.points_from_xy(x, y)
    points[np.isnan(x) | np.isnan(y)] = None
    moved = gpd.GeoSeries(points, crs=crs).to_crs(WGS84).to_numpy()
    return shapely.get_x(moved), shapely.get_y(moved)


def geometry_points(chunk: gpd.GeoDataFrame, *, source: Source) -> tuple[np.ndarray, np.ndarray]:
    """x and y of each geometry's representative point (a point is its own), in WGS84; NaN for empty geometries."""
    points = shapely.point_on_surface(chunk.geometry.to_numpy())
    points[shapely.is_empty(points)] = None
    if source.crs == GCJ02:
        points = shapely.transform(points, gcj02_to_wgs84_xy)
    elif source.crs != WGS84:
        points = gpd.GeoSeries(points, crs=source.crs).to_crs(WGS84).to_numpy()
    return shapely.get_x(points), shapely.get_y(points)


def encode(frame: pd.DataFrame, *, fmt: str) -> bytes | pa.Table:
    """A joined chunk as CSV text (no header; geometries as exact WKT) or as an Arrow table."""
    if fmt == "csv":
        if isinstance(frame, gpd.GeoDataFrame):
            frame = frame.to_wkt(rounding_precision=-1)
        return frame.to_csv(index=False, header=False, lineterminator="\n").encode("utf-8")
    return arrow_table(frame)


def encode_text(
    chunk: pa.Table, positions: np.ndarray, *, source: Source, units: Units, level: str
) -> bytes | pa.Buffer:
    """A chunk of CSV text with its units' columns, as CSV text the way encode() writes it.

    Arrow writes it when no cell needs quotes (the common case); otherwise pandas does, as encode().
    """
    rows = pa.array(np.where(positions < 0, len(units.counties), positions), pa.int32())
    added = {column: pa.DictionaryArray.from_arrays(rows, units.texts[column]) for column in unit_columns(level)}
    table = pa.table([*chunk.columns, *added.values()], names=[*(f"c{i}" for i in range(chunk.num_columns)), *added])
    sink = pa.BufferOutputStream()
    try:
        pa_csv.write_csv(table, sink, write_options=CSV_TEXT)
    except pa.ArrowInvalid:
        return encode(text_frame(table.columns, names=table.column_names), fmt="csv")
    return sink.getvalue()


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


def column_numbers(chunk: pd.DataFrame | pa.Table, column: str, *, source: Source) -> tuple[np.ndarray, np.ndarray]:
    """A column of numbers to add up (NaN where empty) and the positions of cells that are not numbers."""
    if isinstance(chunk, pa.Table):
        text = chunk.column(source.columns.index(column))
        numbers = text_numbers(text)
        if numbers is not None:
            return numbers, np.array([], dtype=int)
        values = pd.Series(text.to_numpy(zero_copy_only=False), dtype=object)
    else:
        values = chunk[column]
    numbers, bad = parse_numbers(values)
    return numbers, np.flatnonzero(bad)


def chunk_totals(
    chunk: pd.DataFrame | pa.Table, positions: np.ndarray, *, source: Source, units: Units, level: str, values: tuple
) -> tuple[dict[str, dict[str, tuple[float, int]]], tuple[str, int] | None]:
    """Per column of `values`: sums and numbers of values per unit; and the first cell that is not a number."""
    totals = {}
    for column in values:
        numbers, bad = column_numbers(chunk, column, source=source)
        if bad.size:
            return {}, (column, int(bad[0]))
        totals[column] = units.totals(positions, numbers, level=level)
    return totals, None


def join_chunk(
    chunk: pd.DataFrame | pa.Table,
    *,
    source: Source,
    units: Units,
    level: str,
    fmt: str,
    check_only: bool = False,
    values: tuple[str, ...] = (),
) -> ChunkResult:
    """Join one chunk to the counties by the border rule and encode it for the output.

    A chunk is CSV text read by Arrow (a pa.Table of strings, written back by encode_text) or a
    pandas frame from any reader (written by encode).
    """
    if isinstance(chunk, pa.Table):
        x, y, bad = text_coordinates(chunk, source=source)
    elif source.geometry is None:
        chunk = chunk.reset_index(drop=True)
        x, y, bad = coordinates(chunk, source=source)
    else:
        chunk = chunk.reset_index(drop=True)
        (x, y), bad = geometry_points(chunk, source=source), np.array([], dtype=int)
    if check_only or bad.size:
        return ChunkResult(rows=len(chunk), bad=bad, counts={}, payload=None)
    positions = units.locate(x, y)
    counts = units.counts(positions, level=level)
    totals, bad_value = chunk_totals(chunk, positions, source=source, units=units, level=level, values=values)
    if isinstance(chunk, pa.Table):
        payload: bytes | pa.Buffer | pa.Table = encode_text(chunk, positions, source=source, units=units, level=level)
    else:
        added = unit_frame(units.located(positions, index=chunk.index), level=level, units=units)
        payload = encode(pd.concat([chunk, added], axis=1), fmt=fmt)
    return ChunkResult(rows=len(chunk), bad=bad, counts=counts, payload=payload, totals=totals, bad_value=bad_value)
