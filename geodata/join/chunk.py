"""One chunk of the input: its points, joined to the counties and encoded for the output (the same in both engines)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from geodata.crs import gcj02_to_wgs84, gcj02_to_wgs84_xy
from geodata.join.inputs import Source
from geodata.join.locate import locate_points
from geodata.join.units import OUTSIDE, Units, unit_frame
from geodata.parse import GCJ02, WGS84, parse_numbers


@dataclass(frozen=True)
class ChunkResult:
    """One joined chunk, encoded for the output file, with what the summary and the counts need."""

    rows: int
    bad: np.ndarray  # positions in the chunk of coordinates that are not numbers
    counts: dict[str, int]  # adcode ("" outside) -> rows
    payload: bytes | pa.Table | None


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
