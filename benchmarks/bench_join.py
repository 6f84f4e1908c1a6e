"""Benchmark the big-file join beside the code before it was made fast: CPU per point, memory, dask, cold start."""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
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
#: The last commit before the fast join, the stored joins and the geodata.join package.
BASELINE = "25f168b"


def put_repo_on_path() -> None:
    """Make `geodata` importable when run as `python benchmarks/bench_join.py`."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))


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
        self.cpu: dict[int, float] = {}  # pid -> user + system seconds, last seen
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while self.running:
            try:
                root = psutil.Process(self.pid)
                processes = [root, *root.children(recursive=True)]
                self.peak = max(self.peak, sum(_rss(process) for process in processes))
                for process in processes:
                    with contextlib.suppress(psutil.Error):
                        times = process.cpu_times()
                        self.cpu[process.pid] = times.user + times.system
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


def run_measured(command: list[str], *, env: dict | None = None, cwd: Path = REPO) -> dict:
    """Wall and CPU seconds, peak summed RSS of the process tree, largest single-process max RSS, stdout."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, cwd=cwd, env=env or ENV, stdout=out, stderr=err)
        watch = MemoryWatch(process.pid)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        peak = watch.stop()
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{err.read().decode()}")
        cpu = usage.ru_utime + usage.ru_stime
        tree_cpu = max(cpu, sum(watch.cpu.values()))  # workers forked by a fork server are not waited for
        return {
            "seconds": seconds,
            "cpu": cpu,
            "tree_cpu": tree_cpu,
            "peak": peak,
            "largest": usage.ru_maxrss * 1024,
            "out": out.read(),
        }


def baseline_checkout(ref: str, folder: Path) -> Path | None:
    """The `geodata` package as of `ref` (before the fast join), unpacked into `folder`; None without git."""
    target = folder / "baseline"
    target.mkdir()
    archive = subprocess.run(["git", "archive", ref, "geodata"], cwd=REPO, capture_output=True, check=False)
    if archive.returncode != 0:
        print(f"no baseline: git archive {ref} failed ({archive.stderr.decode().strip()})", file=sys.stderr)
        return None
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def join_command(source: Path, output: Path, *, baseline: bool, options: list[str]) -> list[str]:
    """The join CLI: today's `python -m geodata.join`, or the baseline's `python -m geodata.join_cli`."""
    module = "geodata.join_cli" if baseline else "geodata.join"
    return [sys.executable, "-m", module, str(source), "-o", str(output), *options]


def baseline_env(checkout: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(checkout)}


def timed_join(source: Path, output: Path, *, checkout: Path | None, options: list[str], repeat: int) -> dict:
    """The least-CPU run of `repeat` fresh-interpreter runs (today's code, or the baseline's when `checkout`)."""
    env = baseline_env(checkout) if checkout else ENV
    command = join_command(source, output, baseline=checkout is not None, options=options)
    cwd = checkout or REPO  # the folder of the code run comes first on sys.path (before an editable install's)
    return min((run_measured(command, env=env, cwd=cwd) for _ in range(repeat)), key=lambda run: run["cpu"])


def marginal_rows(folder: Path, *, size: int, checkout: Path | None, repeat: int) -> tuple[list[dict], list[str]]:
    """CPU of a `size`-point run minus a 1,000-point run, CSV in and out, county level: today vs the baseline."""
    small = write_points(synthetic_points(distribution="uniform", size=1000), folder / "small.csv")
    big = write_points(synthetic_points(distribution="uniform", size=size), folder / "big.csv")
    rows, notes, outputs = [], [], {}
    for name, where in (("today", None), ("baseline", checkout)):
        if name == "baseline" and checkout is None:
            continue
        runs = {}
        for label, source in (("small", small), ("big", big)):
            outputs[(name, label)] = folder / f"{name}-{label}.csv"
            runs[label] = timed_join(source, outputs[(name, label)], checkout=where, options=[], repeat=repeat)
        cpu = runs["big"]["cpu"] - runs["small"]["cpu"]
        rows.append(
            {
                "code": name,
                "points": size,
                "CPU s (big)": runs["big"]["cpu"],
                "CPU s (1k)": runs["small"]["cpu"],
                "marginal points/CPU-s": (size - 1000) / cpu,
                "wall s (big)": runs["big"]["seconds"],
                "peak MiB": mib(runs["big"]["peak"]),
            }
        )
    if checkout is not None:
        for label in ("small", "big"):
            same = outputs[("today", label)].read_bytes() == outputs[("baseline", label)].read_bytes()
            notes.append(
                f"{label} file: today's output is {'byte-identical to' if same else 'DIFFERENT from'} the baseline's"
            )
        ratio = rows[0]["marginal points/CPU-s"] / rows[1]["marginal points/CPU-s"]
        notes.append(
            f"marginal points per CPU-second: {ratio:.1f}x the baseline (goal: at least 1,000,000 points/CPU-s)"
        )
    for path in folder.glob("*.csv"):
        path.unlink()
    return rows, notes


def big_rows(folder: Path, *, size: int, repeat: int) -> tuple[list[dict], list[str]]:
    """Today's code on `size` uniform and city-clustered points, and dask on 1 and 2 workers."""
    rows, seconds = [], {}
    small = write_points(synthetic_points(distribution="uniform", size=1000), folder / "small.csv")
    base = timed_join(small, folder / "small-out.csv", checkout=None, options=[], repeat=repeat)["cpu"]
    for distribution in DISTRIBUTIONS:
        source = write_points(synthetic_points(distribution=distribution, size=size), folder / f"{distribution}.csv")
        engines = ENGINES if distribution == "uniform" else {"geopandas": ENGINES["geopandas"]}
        for name, options in engines.items():
            run = timed_join(source, folder / "out.csv", checkout=None, options=options, repeat=repeat)
            seconds[name] = run["seconds"]
            rows.append(
                {
                    "points": size,
                    "points at": distribution,
                    "engine": name,
                    "wall s": run["seconds"],
                    "CPU s": run["tree_cpu"],
                    "points/CPU-s (minus 1k run)": (size - 1000) / max(run["tree_cpu"] - base, 1e-9),
                    "peak MiB (all processes)": mib(run["peak"]),
                    "max MiB (one process)": mib(run["largest"]),
                }
            )
            (folder / "out.csv").unlink()
        source.unlink()
    speedup = seconds["dask, 1 worker"] / seconds["dask, 2 workers"]
    note = f"dask on 2 workers, one run each: {speedup:.2f}x the speed of 1 worker (see the interleaved runs below)"
    return rows, [note]


def dask_scaling_rows(folder: Path, *, size: int, runs: int) -> tuple[list[dict], list[str]]:
    """Wall time of dask on 1 and on 2 workers, interleaved `runs` times on the same uniform file; medians."""
    source = write_points(synthetic_points(distribution="uniform", size=size), folder / "scaling.csv")
    samples: dict[str, list[dict]] = {"dask, 1 worker": [], "dask, 2 workers": []}
    loads = []
    for _ in range(runs):
        for name in samples:
            loads.append(os.getloadavg()[0])
            samples[name].append(
                run_measured(join_command(source, folder / "out.csv", baseline=False, options=ENGINES[name]))
            )
    (folder / "out.csv").unlink()
    source.unlink()
    rows = [
        {
            "engine": name,
            "points": size,
            "runs": len(runs_of),
            "median wall s": statistics.median(run["seconds"] for run in runs_of),
            "min wall s": min(run["seconds"] for run in runs_of),
            "median CPU s (process tree, sampled)": statistics.median(run["tree_cpu"] for run in runs_of),
        }
        for name, runs_of in samples.items()
    ]
    one, two = (row["median wall s"] for row in rows)
    pairs = [a["seconds"] / b["seconds"] for a, b in zip(*samples.values(), strict=True)]
    notes = [
        f"dask 1 vs 2 workers: 2 workers run {one / two:.2f}x as fast (median wall {one:.1f} s vs {two:.1f} s;"
        f" per interleaved pair {', '.join(f'{ratio:.2f}' for ratio in pairs)}; goal: at least 1.6x)",
        f"load average before the runs: median {statistics.median(loads):.1f}, range {min(loads):.1f}-{max(loads):.1f}"
        f" on {os.cpu_count()} cores (other work on the machine takes cores from 2 workers first)",
    ]
    return rows, notes


COLD_LOAD = """
import time
start = time.perf_counter()
from geodata import load_atlas
load_atlas()
print(time.perf_counter() - start)
"""


def cold_start_rows(*, checkout: Path | None, runs: int) -> tuple[list[dict], list[str]]:
    """Seconds of `import geodata` plus `load_atlas()` (light) in fresh interpreters, interleaved with the baseline."""
    samples: dict[str, list[float]] = {"today": [], "baseline": []}
    for _ in range(runs):
        for name, root in (("today", REPO), ("baseline", checkout)):
            if root is not None:
                env = ENV if root == REPO else baseline_env(root)
                samples[name].append(float(run_measured([sys.executable, "-c", COLD_LOAD], env=env, cwd=root)["out"]))
    rows = [
        {"code": name, "runs": len(values), "median s": statistics.median(values), "min s": min(values)}
        for name, values in samples.items()
        if values
    ]
    notes = []
    if len(rows) == 2:
        notes.append(f"import + load_atlas(): {rows[0]['median s'] / rows[1]['median s']:.2f}x the baseline's time")
    return rows, notes


def mib(value: int) -> float:
    return value / 2**20


def main(argv: list[str] | None = None) -> int:
    """Print the marginal CPU per point against the baseline, the big-file figures, and the cold start."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="500k and 1M points instead of 2M and 10M (minutes)")
    parser.add_argument("--marginal", type=float, default=2e6, help="points of the marginal run (default 2e6)")
    parser.add_argument("--big", type=float, default=1e7, help="points of the big runs (default 1e7)")
    parser.add_argument(
        "--baseline", default=BASELINE, help=f"git ref of the code to compare with (default {BASELINE})"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per big-file figure, least CPU shown (default 1)")
    parser.add_argument(
        "--marginal-repeat",
        type=int,
        default=3,
        help="runs per marginal figure, the least CPU shown (default 3: one run here varies by up to 2x)",
    )
    parser.add_argument(
        "--scaling-runs", type=int, default=3, help="interleaved 1- and 2-worker dask runs, medians shown (default 3)"
    )
    parser.add_argument("--only-scaling", action="store_true", help="only the interleaved dask 1 vs 2 workers runs")
    args = parser.parse_args(argv)
    marginal, big = (500_000, 1_000_000) if args.quick else (int(args.marginal), int(args.big))
    put_repo_on_path()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory(prefix="bench-join-") as name:
        folder = Path(name)
        checkout = baseline_checkout(args.baseline, folder)
        sections = [
            ("marginal CPU, CSV in and out, county level", marginal_rows, {"size": marginal, "checkout": checkout}),
            ("today's code on big files", big_rows, {"size": big}),
            ("dask, 1 vs 2 workers, interleaved", dask_scaling_rows, {"size": big, "runs": args.scaling_runs}),
            ("cold start", cold_start_rows, {"checkout": checkout}),
        ]
        if args.only_scaling:
            sections = [section for section in sections if section[1] is dask_scaling_rows]
        for title, measure, options in sections:
            if measure is cold_start_rows:
                rows, notes = measure(runs=3 if args.quick else 5, **options)
            elif measure is dask_scaling_rows:
                rows, notes = measure(folder, **options)
            else:
                repeat = args.marginal_repeat if measure is marginal_rows else args.repeat
                rows, notes = measure(folder, repeat=repeat, **options)
            print(f"\n{title}\n{table(rows)}")
            print("\n".join(notes))
            print(f"... done, load average {os.getloadavg()[0]:.1f}", file=sys.stderr)
    print(
        "\nCPU s: user + system of the process and the children it waited for (wait4); marginal: the big run's"
        " CPU minus a 1,000-point run's, so interpreter start and loading the borders cancel out. peak MiB: summed"
        " RSS of the process tree sampled at 20 Hz. baseline: `geodata` as of the git ref, run from a copy."
    )
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
