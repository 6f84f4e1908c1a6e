"""Writing the joined file and its counts: atomic partial files, the sink, progress, the summary."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from geodata.join.chunk import ChunkResult
from geodata.join.errors import JoinInputError, first_line
from geodata.join.inputs import Source

SHOWN_ROWS = 5


@dataclass
class Tally:
    """What the chunks have added up to so far."""

    rows: int = 0
    bad: list[int] = field(default_factory=list)  # the first few, as row indices of the whole file
    bad_count: int = 0
    counts: Counter = field(default_factory=Counter)
    totals: dict[str, dict[str, tuple[float, int]]] = field(default_factory=dict)
    bad_value: tuple[str, int] | None = None  # column, row index in the whole file

    def add_totals(self, totals: dict[str, dict[str, tuple[float, int]]]) -> None:
        """Add one chunk's sums and numbers of values per unit."""
        for column, per_unit in totals.items():
            kept = self.totals.setdefault(column, {})
            for code, (total, n) in per_unit.items():
                before = kept.get(code, (0.0, 0))
                kept[code] = (before[0] + total, before[1] + n)

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


@dataclass(frozen=True)
class WrittenElsewhere:
    """CSV text of `size` bytes that another process writes into the sink's file: `write_at(path, offset)`."""

    size: int
    write_at: Callable[[str, int], None]


class Sink:
    """Writes encoded chunks, in order, to one CSV or Parquet file (CSV text may be placed for others to write)."""

    def __init__(self, path: Path, *, fmt: str, columns: list[str]) -> None:
        self.path, self.fmt, self.columns = path, fmt, columns
        self.file = path.open("wb") if fmt == "csv" else None
        self.writer: pq.ParquetWriter | None = None
        self.end = 0  # where the next CSV chunk goes
        if self.file is not None:
            header = pd.DataFrame(columns=columns).to_csv(index=False, lineterminator="\n").encode("utf-8")
            self.end = self.file.write(header)
            self.file.flush()

    def write(self, payload: bytes | pa.Buffer | pa.Table | WrittenElsewhere) -> None:
        if isinstance(payload, bytes | pa.Buffer | WrittenElsewhere):
            if self.file is None:
                raise TypeError("CSV text for a Parquet sink")
            if isinstance(payload, WrittenElsewhere):
                payload.write_at(str(self.path), self.end)
                self.end += payload.size
                return
            if self.file.tell() != self.end:  # after text placed for others
                self.file.seek(self.end)
            self.end += self.file.write(payload)
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


def write_table(frame: pd.DataFrame, path: Path, *, fmt: str) -> None:
    """A small table as CSV or Parquet."""
    if fmt == "csv":
        frame.to_csv(path, index=False, lineterminator="\n")
    else:
        frame.to_parquet(path, index=False)


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
            tally.add_totals(result.totals)
        if result.bad_value is not None and tally.bad_value is None:
            tally.bad_value = (result.bad_value[0], tally.rows + result.bad_value[1])
        tally.rows += result.rows
        progress.update(tally.rows)
    progress.update(tally.rows, final=True)


def bad_value_message(source: Source, tally: Tally) -> str:
    """One line naming the --sum/--mean column and the first cell in it that is not a number."""
    column, index = tally.bad_value or ("", 0)
    where = "line" if source.kind == "csv" else "row"
    return (
        f"{source.path}: {column!r} has a cell that is not a number at {where} {source.position(index)}; "
        "--sum and --mean add up numbers (empty cells are left out)"
    )


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
