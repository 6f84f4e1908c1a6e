"""Benchmark the big-file join: points per second and peak memory of each engine, beside a naive per-point loop."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pyarrow as pa
import pyarrow.csv as pa_csv
from _report import table

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
ENGINES = {
    "geopandas": ["--engine", "geopandas"],
    "dask, 1 worker": ["--engine", "dask", "--workers", "1"],
    "dask, 2 workers": ["--engine", "dask", "--workers", "2"],
}
DISTRIBUTIONS = ("uniform", "clustered")
#: Spread of the city-clustered points around each prefecture's representative point, in degrees (~15 km).
CITY_SPREAD_DEG = 0.15

#: The baseline, run in a fresh interpreter: a shapely `contains` test of every county per point
#: (stopping at the first hit), timed on the first SAMPLE rows. Prints seconds, then the adcodes found.
NAIVE = """
import sys, time
import pandas as pd
import shapely
from geodata.load import read_boundaries

counties = read_boundaries(level="county", resolution="detail")
pairs = list(zip(counties["adcode"], counties.geometry))
points = pd.read_csv(sys.argv[1], nrows=int(sys.argv[2]))
start = time.perf_counter()
found = []
for x, y in zip(points["lon"], points["lat"]):
    point = shapely.Point(x, y)
    found.append(next((code for code, geometry in pairs if geometry.contains(point)), ""))
print(time.perf_counter() - start)
print(",".join(found))
"""


def put_repo_on_path() -> None:
    """Make `geodata` importable when run as `python benchmarks/bench_join.py`."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))


def parse_sizes(text: str) -> list[int]:
    """`1e6,1e7` as whole numbers."""
    return [int(float(part)) for part in text.split(",") if part.strip()]


def synthetic_points(*, distribution: str, size: int, seed: int = 0) -> pa.Table:
    """Points uniform over the six provinces' bounding box, or normal around the 87 prefectures' centres."""
    from geodata.load import read_boundaries

    rng = np.random.default_rng(seed)
    prefectures = read_boundaries(level="prefecture", resolution="light")
    central = prefectures[prefectures["is_central"]]
    if distribution == "uniform":
        x0, y0, x1, y1 = central.total_bounds
        lon, lat = rng.uniform(x0, x1, size), rng.uniform(y0, y1, size)
    else:
        centres = central.geometry.representative_point()
        pick = rng.integers(0, len(centres), size)
        lon = centres.x.to_numpy()[pick] + rng.normal(0, CITY_SPREAD_DEG, size)
        lat = centres.y.to_numpy()[pick] + rng.normal(0, CITY_SPREAD_DEG, size)
    return pa.table({"id": np.arange(size), "lon": lon, "lat": lat})


def write_points(points: pa.Table, path: Path) -> Path:
    """The points as CSV (shortest round-trip decimals), the way a planner's export would look."""
    pa_csv.write_csv(points, path, write_options=pa_csv.WriteOptions(quoting_style="needed"))
    return path


class MemoryWatch:
    """Samples the summed RSS of a process and all its descendants (dask's nannies and workers) 20 times a second."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self.running = pid, 0, True
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while self.running:
            try:
                root = psutil.Process(self.pid)
                total = sum(_rss(process) for process in [root, *root.children(recursive=True)])
                self.peak = max(self.peak, total)
            except psutil.Error:
                pass
            time.sleep(0.05)

    def stop(self) -> int:
        self.running = False
        self.thread.join()
        return self.peak


def _rss(process: psutil.Process) -> int:
    try:
        return process.memory_info().rss
    except psutil.Error:
        return 0


def run_measured(command: list[str]) -> tuple[float, int, int, str]:
    """Wall seconds, peak summed RSS of the process tree, largest single-process max RSS (wait4), stdout."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, cwd=REPO, env=ENV, stdout=out, stderr=err)
        watch = MemoryWatch(process.pid)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        peak = watch.stop()
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{err.read().decode()}")
        return seconds, peak, usage.ru_maxrss * 1024, out.read().decode()


def run_engine(source: Path, output: Path, *, options: list[str], chunk_rows: int, repeat: int) -> dict:
    """One engine on one input through the command line, each run in a fresh interpreter: the fastest run."""
    command = [sys.executable, "-m", "geodata.join", str(source), "-o", str(output), *options]
    runs = [run_measured([*command, "--chunk-rows", str(chunk_rows)]) for _ in range(repeat)]
    seconds, peak, largest, _ = min(runs)
    return {"seconds": seconds, "peak": peak, "largest": largest}


def run_naive(source: Path, *, sample: int) -> tuple[float, list[str], int]:
    """Seconds of the naive loop over the first `sample` points, the adcodes it found, and its max RSS."""
    _, _, largest, out = run_measured([sys.executable, "-c", NAIVE, str(source), str(sample)])
    seconds, found = out.splitlines()[:2]
    return float(seconds), found.split(","), largest


def mib(value: int) -> float:
    return value / 2**20


def bench_size(
    *, size: int, distribution: str, folder: Path, sample: int, chunk_rows: int, repeat: int
) -> tuple[list[dict], str]:
    """Table rows for one input: each engine, then the naive loop; and a line checking the loop agrees."""
    source = write_points(synthetic_points(distribution=distribution, size=size), folder / f"{distribution}-{size}.csv")
    rows, check = [], ""
    for name, options in ENGINES.items():
        output = folder / "joined.csv"
        measured = run_engine(source, output, options=options, chunk_rows=chunk_rows, repeat=repeat)
        if name == "geopandas":
            joined = pd.read_csv(output, nrows=sample, dtype=str, keep_default_na=False)["county_adcode"].tolist()
        output.unlink()
        rows.append(
            {
                "points": size,
                "points at": distribution,
                "engine": name,
                "seconds": measured["seconds"],
                "points/s": size / measured["seconds"],
                "peak MiB (all processes)": mib(measured["peak"]),
                "max MiB (one process)": mib(measured["largest"]),
            }
        )
    seconds, found, largest = run_naive(source, sample=min(sample, size))
    rows.append(
        {
            "points": size,
            "points at": distribution,
            "engine": f"naive loop* ({len(found):,}-point sample)",
            "seconds": size * seconds / len(found),
            "points/s": len(found) / seconds,
            "peak MiB (all processes)": mib(largest),
            "max MiB (one process)": mib(largest),
        }
    )
    agree = sum(a == b for a, b in zip(found, joined, strict=False))
    check = (
        f"{size:,} {distribution}: naive loop and geopandas engine agree on {agree:,} of {len(found):,} sampled points"
    )
    source.unlink()
    return rows, check


def main(argv: list[str] | None = None) -> int:
    """Run every size and distribution, print one table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1e6,1e7", help="points per input, comma-separated (default 1e6,1e7)")
    parser.add_argument("--quick", action="store_true", help="one small size (1e5) to check it all runs")
    parser.add_argument("--sample", type=int, default=2000, help="points timed in the naive loop (default 2,000)")
    parser.add_argument("--chunk-rows", type=int, default=250_000, help="the join's --chunk-rows (default 250,000)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per engine, the fastest shown (default 1)")
    args = parser.parse_args(argv)
    sizes = [100_000] if args.quick else parse_sizes(args.sizes)
    put_repo_on_path()
    print(f"join to the county level, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    rows, checks = [], []
    with tempfile.TemporaryDirectory(prefix="bench-join-") as folder:
        for size in sizes:
            for distribution in DISTRIBUTIONS:
                options = {
                    "folder": Path(folder),
                    "sample": args.sample,
                    "chunk_rows": args.chunk_rows,
                    "repeat": args.repeat,
                }
                found, check = bench_size(size=size, distribution=distribution, **options)
                rows += found
                checks.append(check)
                print(f"... {size:,} {distribution} done", file=sys.stderr)
    print(table(rows))
    print(
        f"seconds: fastest of {args.repeat} run(s), wall clock of `python -m geodata.join` (interpreter start,"
        " reading the CSV, joining, writing"
        " the CSV; dask includes starting its local cluster). peak MiB: summed RSS of the process and its"
        " children, sampled at 20 Hz; max MiB: the largest single process (wait4 ru_maxrss)."
    )
    print(
        "* naive loop: shapely `contains` against every county per point (stopping at the first hit), timed on"
        " a sample; its points/s is measured on the sample and its seconds are extrapolated to the full size."
    )
    print("\n".join(checks))
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
