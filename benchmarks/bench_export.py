"""Benchmark export end to end in the server, this tree against today's main side by side: per format, the series.

Each side runs in its own process (`--side`): a Flask server with the atlas routes, one request per image.
- first: the first image in a fresh worker (browser start, data load, geometry caches);
- warm: median of `--runs` images once warm (no cache: every request draws);
- hit: a shared-cache hit (FileSystemCache in a scratch folder);
- series: a 6-province map series PDF at A4 (cover + 6 pages), warm (this tree only: main has no series).
Run: PYTHONPATH=. python benchmarks/bench_export.py [--main /work/main] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FORMATS = ("png", "svg", "pdf")
VIEW = "/export/bench.{fmt}"  # the default view, slide size (1920 x 1080 CSS px)
SERIES = "/export/series/provinces.pdf?size=a4"


def timed(client: object, url: str) -> tuple[float, int]:
    """Seconds and bytes of one GET that must succeed."""
    start = time.perf_counter()
    response = client.get(url)  # type: ignore[attr-defined]
    seconds = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"{url}: {response.status_code} {response.get_data(as_text=True)[:200]}")
    return seconds, len(response.data)


def measure_side(*, runs: int, series: bool) -> dict:
    """This process's code: first, warm and cache-hit seconds per format, and the series."""
    import flask

    from dashboard.config import CacheConfig
    from dashboard.export import render
    from dashboard.server.blueprint import register_routes
    from dashboard.server.cache import init_cache

    plain = flask.Flask("bench")
    register_routes(plain)
    client = plain.test_client()
    out: dict = {"first": {}, "warm": {}, "hit": {}, "bytes": {}}
    for fmt in FORMATS:
        out["first"][fmt] = timed(client, VIEW.format(fmt=fmt))[0]
    for fmt in FORMATS:
        times = [timed(client, VIEW.format(fmt=fmt)) for _ in range(runs)]
        out["warm"][fmt] = statistics.median(seconds for seconds, _ in times)
        out["bytes"][fmt] = times[-1][1]
    with tempfile.TemporaryDirectory(prefix="atlas-bench-cache-") as folder:
        os.chmod(folder, 0o700)
        cached = flask.Flask("bench-cache")
        init_cache(cached, config=CacheConfig(backend="FileSystemCache", directory=folder))
        register_routes(cached)
        cache_client = cached.test_client()
        for fmt in FORMATS:
            timed(cache_client, VIEW.format(fmt=fmt))
            out["hit"][fmt] = statistics.median(timed(cache_client, VIEW.format(fmt=fmt))[0] for _ in range(runs))
    if series:
        timed(client, SERIES)  # warms the province pages' geometry
        out["series"] = min(timed(client, SERIES)[0] for _ in range(2))
    render.stop()
    return out


def run_side(root: Path, *, runs: int, series: bool) -> dict:
    """Measure the code under `root` in a subprocess (its own imports, its own browser)."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    command = [sys.executable, str(Path(__file__).resolve()), "--side", "--runs", str(runs)]
    if series:
        command.append("--series")
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode != 0:
        raise SystemExit(f"benchmark side {root} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(new: dict, old: dict, *, runs: int) -> str:
    """The table: seconds of today's main and of this tree, and the speed-up."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _report import table

    rows = []
    for stage in ("first", "warm", "hit"):
        for fmt in FORMATS:
            before, after = old[stage][fmt], new[stage][fmt]
            rows.append(
                {"stage": stage, "format": fmt, "main s": before, "this s": after, "speed-up": f"{before / after:.1f}x"}
            )
    lines = [
        "Export of the default view at slide size (1920 x 1080 CSS px) through the server's /export route,",
        f"detailed geometry, Kaleido + Chromium; warm and hit are medians of {runs}; main = today's path.",
        "",
        table(rows),
        "",
        "Bytes (this tree): " + ", ".join(f"{fmt} {new['bytes'][fmt]:,}" for fmt in FORMATS),
    ]
    if "series" in new:
        lines.append(f"6-province series PDF at A4 (7 pages), warm: {new['series']:.2f} s (target <= 10 s)")
    warm_png = new["warm"]["png"]
    lines.append(
        f"Warm slide PNG: {warm_png:.2f} s (target <= 1.0 s), {old['warm']['png'] / warm_png:.1f}x today's (>= 2.5x)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure both sides one after the other (never at once: they would share the cores) and print them."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="warm and cache-hit requests per format (median)")
    parser.add_argument("--main", type=Path, default=Path("/work/main"), help="today's tree to compare against")
    parser.add_argument("--side", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--series", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.side:
        print(json.dumps(measure_side(runs=args.runs, series=args.series)))
        return 0
    old = run_side(args.main, runs=args.runs, series=False)
    new = run_side(REPO, runs=args.runs, series=True)
    print(report(new, old, runs=args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
