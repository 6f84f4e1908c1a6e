"""Benchmark server-side export: seconds per image from a fresh browser against the warm shared one, and a story."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FORMATS = ("png", "svg", "pdf")


def median_seconds(make: Callable[[], object], *, runs: int) -> tuple[float, object]:
    """Median seconds of `runs` calls, and the last result."""
    seconds, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = make()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), result


def per_format(draw: Callable, fig: object, *, runs: int) -> dict[str, tuple[float, int]]:
    """Median seconds and bytes of one slide-sized image per format."""
    out = {}
    for fmt in FORMATS:
        seconds, data = median_seconds(lambda fmt=fmt: draw(fig, fmt=fmt, width=1920, height=1080, scale=1), runs=runs)
        out[fmt] = (seconds, len(data))
    return out


def story_seconds(atlas: object, *, fmt: str) -> tuple[float, int]:
    """Seconds to build and draw every step of the bundled story with the warm browser, and the step count."""
    from dashboard.export import render
    from dashboard.figures.printing import PrintOptions, print_figure
    from dashboard.view.scene import scene_of
    from dashboard.view.state import ViewState, with_step
    from dashboard.view.stories import load_story

    steps = load_story().steps
    options = PrintOptions()
    start = time.perf_counter()
    for step in steps:
        fig = print_figure(atlas, scene_of(with_step(ViewState(), step), step=step), options=options)
        render.render(fig, fmt=fmt, width=options.width, height=options.height, scale=options.scale)
    return time.perf_counter() - start, len(steps)


def main(argv: list[str] | None = None) -> int:
    """Print the measurements side by side."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="warm images per format (default 5; median shown)")
    parser.add_argument("--cold-runs", type=int, default=3, help="one-shot images per format (default 3)")
    args = parser.parse_args(argv)
    from dashboard.export import render
    from dashboard.figures.printing import PrintOptions, print_figure
    from dashboard.view.state import ViewState
    from geodata import load_atlas

    atlas = load_atlas(resolution="detail")
    build, fig = median_seconds(lambda: print_figure(atlas, ViewState(), options=PrintOptions()), runs=3)
    cold = per_format(render.render_one_shot, fig, runs=args.cold_runs)
    started = time.perf_counter()
    render.start()
    start_s = time.perf_counter() - started
    render.render(fig, fmt="png", width=1920, height=1080, scale=1)  # the first image warms the page
    warm = per_format(render.render, fig, runs=args.runs)
    story = {fmt: story_seconds(atlas, fmt=fmt) for fmt in ("png", "pdf")}
    render.stop()

    print("Export of the default view at slide size (1920 x 1080 CSS px), detailed geometry, Kaleido + Chromium.")
    print(f"Figure build (print_figure): {build:.2f} s; starting the warm browser: {start_s:.2f} s.")
    print(f"Medians of {args.cold_runs} one-shot and {args.runs} warm images.\n")
    print(f"{'format':<8}{'one-shot s':>12}{'warm s':>10}{'speed-up':>10}{'bytes':>12}")
    for fmt in FORMATS:
        (cold_s, size), (warm_s, _) = cold[fmt], warm[fmt]
        print(f"{fmt:<8}{cold_s:>12.2f}{warm_s:>10.2f}{cold_s / warm_s:>9.1f}x{size:>12,}")
    print()
    for fmt, (seconds, count) in story.items():
        print(f"whole story, {count} steps to {fmt}, warm: {seconds:.1f} s ({seconds / count:.2f} s per step)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
