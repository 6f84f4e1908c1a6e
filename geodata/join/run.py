"""The whole file join: check the options and the input, join every chunk, write the output and the counts."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from geodata.join.engines import ENGINES, engine_results
from geodata.join.errors import JoinInputError
from geodata.join.inputs import Source, TextFallback, inspect_input, output_format, read_errors
from geodata.join.output import (
    Progress,
    Sink,
    Summary,
    Tally,
    bad_rows_message,
    collect,
    count_csv_rows,
    partial_file,
    write_table,
)
from geodata.join.units import OUTSIDE, atlas_units, counts_table, unit_columns

DEFAULT_CHUNK_ROWS = 250_000


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
    options = {"units": units, "level": level, "fmt": fmt, "chunk_rows": chunk_rows}
    engine_options = {"engine": engine, "scheduler": scheduler, "workers": workers}
    with partial_file(output) as partial:
        try:  # CSV to CSV: as Arrow text, unless Arrow cannot read the file as pandas would
            tally = write_output(
                source, partial, text=fmt == "csv", total=total, progress=progress, **options, **engine_options
            )
        except TextFallback:
            tally = write_output(
                source, partial, text=False, total=total, progress=progress, **options, **engine_options
            )
    if counts is not None:
        write_table(counts_table(tally.counts, level=level, units=units), counts)
    outside = tally.counts.get(OUTSIDE[0], 0)
    return Summary(output, tally.rows, outside, time.perf_counter() - started, counts)


def write_output(
    source: Source, partial: Path, *, text: bool, total: int | None, progress: bool, **options: Any
) -> Tally:
    """Join every chunk and write it to `partial`; the tally of what was written."""
    tally = Tally()
    results = engine_results(source=source, tally=tally, text=text, **options)
    sink = Sink(partial, fmt=options["fmt"], columns=[*source.columns, *unit_columns(options["level"])])
    try:
        with read_errors(source.path):
            collect(results, sink=sink, tally=tally, progress=Progress(total=total, enabled=progress))
    finally:
        sink.close()
    if tally.failed:
        raise JoinInputError(bad_rows_message(source, tally))
    return tally


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
