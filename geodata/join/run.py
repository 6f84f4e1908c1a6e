"""The whole file join: check the options and the input, join every chunk, write the output and the counts."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any

from geodata.join.engines import ENGINES, engine_results, start_fork_server
from geodata.join.errors import JoinInputError
from geodata.join.inputs import Source, TextFallback, inspect_input, output_format, read_errors
from geodata.join.output import (
    Progress,
    Sink,
    Summary,
    Tally,
    bad_rows_message,
    bad_value_message,
    collect,
    count_csv_rows,
    partial_file,
    write_table,
)
from geodata.join.units import OUTSIDE, atlas_units, counts_table, unit_columns

DEFAULT_CHUNK_ROWS = 100_000


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
    sums: tuple[str, ...] = (),
    means: tuple[str, ...] = (),
) -> Summary:
    """Join every row of `path` to the units of `level` and above; write `output` and, if asked, `counts`.

    Both files appear only when the whole join has succeeded (each is written beside itself first).
    """
    started = time.perf_counter()
    fmt = output_format(output)
    if counts is not None:
        output_format(counts)
    check_options(path, output=output, engine=engine, scheduler=scheduler, workers=workers, chunk_rows=chunk_rows)
    check_outputs(path, output=output, counts=counts)
    if engine == "dask" and scheduler is None:
        start_fork_server()  # its imports overlap the reading below
    source = inspect_input(path, lon=lon, lat=lat, crs=crs)
    values = checked_values(source, sums=sums, means=means, counts=counts)
    added = unit_columns(level)
    clash = sorted(set(added) & set(source.columns))
    if clash:
        raise JoinInputError(f"{path}: already has the columns {', '.join(clash)}; rename or drop them first")
    units = atlas_units()
    total = source.rows if source.rows is not None or not progress else count_csv_rows(source.path)
    options = {"units": units, "level": level, "fmt": fmt, "chunk_rows": chunk_rows, "values": values}
    engine_options = {"engine": engine, "scheduler": scheduler, "workers": workers}
    with contextlib.ExitStack() as stack:
        partial = stack.enter_context(partial_file(output))
        try:  # CSV to CSV: as Arrow text, unless Arrow cannot read the file as pandas would
            tally = write_output(
                source, partial, text=fmt == "csv", total=total, progress=progress, **options, **engine_options
            )
        except TextFallback:
            tally = write_output(
                source, partial, text=False, total=total, progress=progress, **options, **engine_options
            )
        if counts is not None:
            table = counts_table(tally.counts, level=level, units=units, totals=tally.totals, sums=sums, means=means)
            write_table(table, stack.enter_context(partial_file(counts)), fmt=output_format(counts))
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
    if tally.bad_value is not None:
        raise JoinInputError(bad_value_message(source, tally))
    return tally


def check_outputs(path: Path, *, output: Path, counts: Path | None) -> None:
    """The output and the counts must be files of their own: neither the input nor each other."""
    if same_file(output, path):
        raise JoinInputError(f"{output}: would overwrite the input; choose another output file")
    if counts is not None and same_file(counts, path):
        raise JoinInputError(f"{counts}: --counts would overwrite the input; choose another file")
    if counts is not None and same_file(counts, output):
        raise JoinInputError(f"{counts}: --counts and -o name the same file; choose two files")


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (the same path, or links to one file)."""
    if a.resolve() == b.resolve():
        return True
    return a.exists() and b.exists() and os.path.samefile(a, b)


def checked_values(
    source: Source, *, sums: tuple[str, ...], means: tuple[str, ...], counts: Path | None
) -> tuple[str, ...]:
    """The columns --sum and --mean add up, checked: they need --counts and must be columns of the input."""
    values = tuple(dict.fromkeys([*sums, *means]))
    if values and counts is None:
        raise JoinInputError("--sum and --mean go into the counts table: add --counts FILE")
    usable = [column for column in source.columns if column not in (source.geometry, source.lon, source.lat)]
    for column in values:
        if column not in usable:
            raise JoinInputError(f"{source.path}: no column {column!r} to add up; the columns are {', '.join(usable)}")
    return values


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
