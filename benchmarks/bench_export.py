"""Benchmark export end to end over HTTP, this tree against the round's baseline side by side: per format, the series.

Each side runs in its own process (`--side`): the atlas's export routes in a threaded HTTP server on 127.0.0.1,
timed from the GET to the last byte of the file (urllib), one request per image.
- first: the first image in a fresh process (browser start, data load, geometry caches);
- warm: median of `--runs` images once warm (2 more drawn first, uncounted; no cache: every request draws);
- hit: a shared-cache hit (FileSystemCache in a scratch folder);
- series: a 6-province map series PDF at A4 (cover + 6 pages), warm (best of 2; a side without series shows "-").
This tree's side also splits the warm slide PNG, SVG and PDF into their stages (print figure, browser, files).
Run: PYTHONPATH=. python benchmarks/bench_export.py [--baseline CHECKOUT] [--runs 5] [--rounds 1]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from _baseline import add_baseline_option, baseline_tree

REPO = Path(__file__).resolve().parents[1]
FORMATS = ("png", "svg", "pdf")
VIEW = "/export/bench.{fmt}"  # the default view, slide size (1920 x 1080 CSS px)
SERIES = "/export/series/provinces.pdf?size=a4"
TIMEOUT_S = 300
#: Images per format drawn (and not counted) after the first, before the warm ones are timed (the page's JIT warms).
WARMUP = 2


def _first(*names: str) -> object:
    """The first of some attributes `module:name` that imports (this tree and the baseline name things apart)."""
    for name in names:
        module, _, attr = name.partition(":")
        with contextlib.suppress(ImportError, AttributeError):
            return getattr(importlib.import_module(module), attr)
    raise ImportError(f"none of {names}")


def make_app(*, cache_dir: str | None) -> object:
    """A Flask app with the export routes of the tree on sys.path (and a FileSystemCache when `cache_dir`)."""
    import flask

    register = _first("dashboard.server.blueprint:register_routes", "dashboard.routes:register_export_routes")
    app = flask.Flask("bench")
    if cache_dir:
        config = _first("dashboard.config:CacheConfig")
        init_cache = _first("dashboard.server.cache:init_cache", "dashboard.cache:init_cache")
        init_cache(app, config=config(backend="FileSystemCache", directory=cache_dir))  # type: ignore[operator]
    register(app)  # type: ignore[operator]
    return app


@contextlib.contextmanager
def serving(app: object) -> Iterator[str]:
    """The app in a threaded HTTP server on 127.0.0.1 (a free port); its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def timed(base: str, path: str) -> tuple[float, int]:
    """Seconds from the GET to the last byte, and the bytes, of a request that must succeed."""
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(base + path, timeout=TIMEOUT_S) as reply:
            data = reply.read()
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"{path}: {exc.code} {exc.read()[:200]!r}") from exc
    return time.perf_counter() - start, len(data)


def has_series(base: str) -> bool:
    """Whether this side serves map series (the baseline does not)."""
    try:
        timed(base, SERIES)
    except RuntimeError:
        return False
    return True


def stages(base: str, *, runs: int) -> dict:
    """Median seconds per stage of warm slide images (this tree's module layout; {} on another)."""
    try:
        from dashboard.export import publish, render, service
    except ImportError:
        return {}
    spent: dict[str, float] = {}
    patched = [(service, "print_spec", "print figure"), (render, "render", "browser")]
    patched += [(publish, "svg_to_pdf", "rsvg-convert"), (publish, "png_with_dpi", "png dpi")]
    originals = [(module, name, getattr(module, name)) for module, name, _ in patched]

    def spy(real: Callable, label: str) -> Callable:
        def call(*args: object, **kwargs: object) -> object:
            start = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - start

        return call

    for module, name, label in patched:
        setattr(module, name, spy(getattr(module, name), label))
    out: dict[str, dict[str, float]] = {}
    try:
        for fmt in FORMATS:
            rows: list[dict[str, float]] = []
            for _ in range(runs):
                spent.clear()
                total, _ = timed(base, VIEW.format(fmt=fmt))
                rows.append({**spent, "total": total, "rest": total - sum(spent.values())})
            labels = {label for row in rows for label in row}
            out[fmt] = {label: statistics.median(row.get(label, 0.0) for row in rows) for label in labels}
    finally:
        for module, name, real in originals:
            setattr(module, name, real)
    return out


def measure_side(*, runs: int) -> dict:
    """This process's code: first, warm and cache-hit seconds per format, the series and (this tree) the stages."""
    render = _first("dashboard.export.render:stop", "dashboard.render:stop")
    out: dict = {"first": {}, "warm": {}, "hit": {}, "bytes": {}}
    with serving(make_app(cache_dir=None)) as base:
        for fmt in FORMATS:
            out["first"][fmt] = timed(base, VIEW.format(fmt=fmt))[0]
        for fmt in FORMATS:
            for _ in range(WARMUP):
                timed(base, VIEW.format(fmt=fmt))
            times = [timed(base, VIEW.format(fmt=fmt)) for _ in range(runs)]
            out["warm"][fmt] = statistics.median(seconds for seconds, _ in times)
            out["bytes"][fmt] = times[-1][1]
        if has_series(base):  # the first series warms the province pages' geometry
            out["series"] = min(timed(base, SERIES)[0] for _ in range(2))
        out["stages"] = stages(base, runs=runs)
    with tempfile.TemporaryDirectory(prefix="atlas-bench-cache-") as folder:
        os.chmod(folder, 0o700)
        with serving(make_app(cache_dir=folder)) as base:
            for fmt in FORMATS:
                timed(base, VIEW.format(fmt=fmt))
                out["hit"][fmt] = statistics.median(timed(base, VIEW.format(fmt=fmt))[0] for _ in range(runs))
    render()  # type: ignore[operator]
    return out


def run_side(root: Path, *, runs: int) -> dict:
    """Measure the code under `root` in a subprocess (its own imports, its own browser)."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    command = [sys.executable, str(Path(__file__).resolve()), "--side", "--runs", str(runs)]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=3600, check=False)
    if done.returncode != 0:
        raise SystemExit(f"benchmark side {root} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def merge(rounds: list[dict]) -> dict:
    """Several rounds of one side: the median of each figure."""
    out: dict = {"bytes": rounds[-1]["bytes"], "stages": rounds[-1].get("stages", {})}
    for stage in ("first", "warm", "hit"):
        out[stage] = {fmt: statistics.median(r[stage][fmt] for r in rounds) for fmt in FORMATS}
    if all("series" in r for r in rounds):
        out["series"] = statistics.median(r["series"] for r in rounds)
    return out


def report(new: dict, old: dict, *, runs: int, rounds: int) -> str:
    """The tables: seconds of the baseline and of this tree, the speed-ups, the stages and the targets."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _report import table

    rows = []
    for stage in ("first", "warm", "hit"):
        for fmt in FORMATS:
            before, after = old[stage][fmt], new[stage][fmt]
            rows.append(
                {"stage": stage, "format": fmt, "base s": before, "this s": after, "speed-up": f"{before / after:.1f}x"}
            )
    if "series" in new:
        before = old.get("series")
        rows.append(
            {
                "stage": "series",
                "format": "pdf a4 x7",
                "base s": before if before is not None else "-",
                "this s": new["series"],
                "speed-up": f"{before / new['series']:.1f}x" if before else "-",
            }
        )
    lines = [
        "Export of the default view at slide size (1920 x 1080 CSS px) over HTTP (GET to last byte), 127.0.0.1,",
        f"detailed geometry, Kaleido + Chromium; warm and hit: medians of {runs}, {rounds} round(s) per side;",
        "base = the round's baseline commit 2f51c46, run in the same benchmark, one side after the other.",
        "",
        table(rows),
        "",
        "Bytes (this tree): " + ", ".join(f"{fmt} {new['bytes'][fmt]:,}" for fmt in FORMATS),
    ]
    if new.get("stages"):
        labels = ["print figure", "browser", "png dpi", "rsvg-convert", "rest", "total"]
        stage_rows = [
            {"format": fmt, **{label: new["stages"][fmt].get(label, 0.0) for label in labels}} for fmt in FORMATS
        ]
        lines += ["", "Where a warm slide image's time goes (this tree, seconds, medians):", table(stage_rows)]
    warm_png = new["warm"]["png"]
    ratio = old["warm"]["png"] / warm_png
    lines += [
        "",
        f"Warm slide PNG: {warm_png:.2f} s (target <= 1.0 s: {'met' if warm_png <= 1.0 else 'NOT met'}), "
        f"{ratio:.1f}x the baseline (target >= 2.5x: {'met' if ratio >= 2.5 else 'NOT met'})",
    ]
    if "series" in new:
        met = "met" if new["series"] <= 10 else "NOT met"
        lines.append(f"6-province series PDF at A4 (7 pages), warm: {new['series']:.2f} s (target <= 10 s: {met})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure both sides one after the other (never at once: they would share the cores) and print them."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="warm and cache-hit requests per format (median)")
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds per side (medians across rounds)")
    add_baseline_option(parser, skippable=False)
    parser.add_argument("--side", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.side:
        print(json.dumps(measure_side(runs=args.runs)))
        return 0
    old_rounds, new_rounds = [], []
    with baseline_tree(args.baseline or None) as base:
        for _ in range(args.rounds):
            old_rounds.append(run_side(base, runs=args.runs))
            new_rounds.append(run_side(REPO, runs=args.runs))
    print(report(merge(new_rounds), merge(old_rounds), runs=args.runs, rounds=args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
