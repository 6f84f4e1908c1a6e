"""Cold start: seconds from starting gunicorn (1 worker) to the first 200 from /healthz and from the map callback.

Runs alternate between the baseline checkout (--baseline; default: a temporary worktree) and this one, so a drift of the
machine's speed hits both. This checkout is started twice per round: with a fresh export cache (a first deploy)
and again on the cache the first start left (a restart of the same code: the default view's answer is stored).
The per-machine snapshots of the atlas and the indicators are made by a start before the first counted round.
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
import urllib.error
import urllib.request
from pathlib import Path

from _baseline import add_baseline_option, baseline_tree
from _report import table
from bench_load import HOST, REPO, Tree, default_view_of, free_port, map_payload, sized_view, stop, tree_at

POLL_S = 0.02
START_TIMEOUT_S = 120.0
#: Issue 14's bound on process start to the first answered request.
GOAL_S = 1.5


def first_ok(request: urllib.request.Request, *, deadline: float) -> bool:
    """Poll `request` until it answers 200 (True) or the deadline passes (False)."""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                if response.status == 200:
                    response.read()
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(POLL_S)
    return False


def start_once(tree: Tree, *, cache: Path, default_view: dict) -> tuple[float, float]:
    """Seconds from Popen to the first /healthz 200 and to the first map answer, for one fresh gunicorn."""
    port = free_port()
    env = {**os.environ, "ATLAS_CACHE_TYPE": "FileSystemCache", "ATLAS_CACHE_DIR": str(cache)}
    env |= {"ATLAS_UPLOAD_DIR": str(cache.parent / "uploads"), "PYTHONPATH": str(tree.root)}
    command = [sys.executable, "-m", "gunicorn", "-c", tree.conf, "--workers", "1", "--bind", f"{HOST}:{port}"]
    command += ["--no-control-socket", "dashboard.wsgi:server"]
    base = f"http://{HOST}:{port}"
    body = json.dumps(map_payload(sized_view(default_view), None)).encode()
    draw = urllib.request.Request(
        f"{base}/_dash-update-component", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=tree.root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = started + START_TIMEOUT_S
        if not first_ok(urllib.request.Request(f"{base}/healthz"), deadline=deadline):
            raise RuntimeError(f"{tree.label}: no /healthz answer within {START_TIMEOUT_S:g} s")
        healthy = time.monotonic() - started
        if not first_ok(draw, deadline=deadline):
            raise RuntimeError(f"{tree.label}: no map answer within {START_TIMEOUT_S:g} s")
        return healthy, time.monotonic() - started
    finally:
        stop(process)


def main(argv: list[str] | None = None) -> int:
    """Alternate the starts, print the medians and the ratios to the baseline."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="counted rounds (default 3; medians shown)")
    add_baseline_option(parser)
    parser.add_argument("--quick", action="store_true", help="1 counted round")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds = 1
    with baseline_tree(args.baseline) as base:
        return measure(args, base)


def measure(args: argparse.Namespace, base: Path | None) -> int:
    """Alternating rounds of starts of both trees (this one alone when `base` is None); the table and verdicts."""
    now = tree_at("now", REPO)
    runs = {"now, fresh cache": now, "now, restart": now}
    if base is not None:
        runs = {"base": tree_at("base", base), **runs}
    samples: dict[str, list[tuple[float, float]]] = {label: [] for label in runs}
    views = {tree.label: default_view_of(tree) for tree in runs.values()}
    with tempfile.TemporaryDirectory(prefix="atlas-start-") as scratch:
        for round_ in range(args.rounds + 1):  # round 0 makes the snapshots and is not counted
            for label, tree in runs.items():
                folder = Path(scratch) / f"{round_}-{tree.label}"
                cache = folder / "cache"
                if label.endswith("restart"):
                    cache = Path(scratch) / f"{round_}-now" / "cache"
                folder.mkdir(parents=True, exist_ok=True)
                result = start_once(tree, cache=cache, default_view=views[tree.label])
                if round_:
                    samples[label].append(result)
    rows = []
    for label, values in samples.items():
        health, drawn = (statistics.median(column) for column in zip(*values, strict=True))
        rows.append(
            {
                "start": label,
                "runs": len(values),
                "to /healthz s": health,
                "to first map s": drawn,
                "max map s": max(v[1] for v in values),
            }
        )
    print(f"gunicorn, 1 worker, on {HOST}; medians of {args.rounds} alternating rounds; CPUs: {os.cpu_count()}.")
    print(table(rows))
    print()
    if "base" in samples:
        base = rows[0]
        for row in rows[1:]:
            print(
                f"{row['start']}: /healthz {row['to /healthz s'] / base['to /healthz s']:.2f}x the baseline, "
                f"first map {row['to first map s'] / base['to first map s']:.2f}x"
            )
    for row in rows:
        if row["start"].startswith("now"):
            verdict = "holds" if max(row["to /healthz s"], row["to first map s"]) <= GOAL_S else "does NOT hold"
            print(f"{row['start']}: goal <= {GOAL_S:g} s to the first answers {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
