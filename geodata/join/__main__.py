"""The command line `python -m geodata.join`: join a big file of points to the six provinces' units."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from geodata import tables
from geodata._paths import LEVELS
from geodata.join.engines import ENGINES
from geodata.join.errors import JoinInputError, first_line
from geodata.join.run import DEFAULT_CHUNK_ROWS, join_file

DESCRIPTION = """\
Add the province, prefecture and county of every row of a big file of points (CSV, Parquet,
GeoParquet, GeoJSON, GeoPackage or a zipped Shapefile) and write it as CSV or Parquet (by -o's
extension). The output and the counts appear only when the whole join has succeeded; neither may
be the input or the other.

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

--counts writes the rows per unit of --level; --sum COL and --mean COL (each may be repeated) add
COL_sum and COL_mean to it, over the cells of COL that are numbers (empty cells are left out).

--engine geopandas joins chunk by chunk in this process (GeoJSON and GeoPackage files are read
whole). --engine dask reads and joins partitions on a Dask cluster (a local one of --workers
processes, or --scheduler's, whose workers must see INPUT at the same path and import this
package) and streams them back in order, so memory stays bounded; CSV partitions are byte
ranges (so no line breaks inside quoted cells), Parquet ones are row groups.
"""

EXAMPLES = """\
examples:
  python -m geodata.join shops.csv -o shops-joined.csv --counts shops-per-county.csv
  python -m geodata.join parks.zip -o parks.csv --counts per-county.csv --sum investment --mean jobs
  python -m geodata.join trips.parquet --lon o_lng --lat o_lat --level prefecture -o trips.parquet
  python -m geodata.join amap-pois.csv --crs GCJ-02 --engine dask --workers 2 -o pois.parquet
  python -m geodata.join big.csv --engine dask --scheduler tcp://dask-scheduler:8786 -o big-joined.csv
"""


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
    parser.add_argument("input", type=Path, help="CSV, Parquet, GeoParquet, GeoJSON, GeoPackage or zipped Shapefile")
    parser.add_argument("-o", "--output", type=Path, required=True, help="result file: .csv or .parquet")
    parser.add_argument("--level", choices=LEVELS, default="county", help="finest level added (default: county)")
    parser.add_argument("--counts", type=Path, help="also write rows per unit of --level (.csv or .parquet)")
    parser.add_argument("--sum", action="append", default=[], metavar="COL", help="counts: add COL_sum per unit")
    parser.add_argument("--mean", action="append", default=[], metavar="COL", help="counts: add COL_mean per unit")
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


def stop(signum: int, frame: object) -> None:
    """A termination signal ends the run through Python's cleanup (the partial files are removed)."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Run the command line: 0 when done, 2 for bad input or options, 1 when writing fails."""
    arguments = sys.argv[1:] if argv is None else argv
    if tables.wants_table_join(arguments):  # a table without coordinates, matched by code or name
        return tables.table_join_main(arguments)
    parser = build_parser()
    args = parser.parse_args(argv)
    with terminated_cleanly():
        return run(parser, args)


@contextlib.contextmanager
def terminated_cleanly() -> Iterator[None]:
    """While the join runs, SIGTERM ends it through Python's cleanup, so partial files are removed as on Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Join as the parsed arguments say; print the summary or a one-line error."""
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
            sums=tuple(args.sum),
            means=tuple(args.mean),
        )
    except JoinInputError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{parser.prog}: failed: {first_line(exc)}", file=sys.stderr)
        return 1
    print(summary.describe())
    return 0


if __name__ == "__main__":
    sys.exit(main())
