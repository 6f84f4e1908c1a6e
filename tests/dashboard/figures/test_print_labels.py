"""Print labels as data: every placed box inside the map frame, clear of the scale bar, north arrow and locator."""

from __future__ import annotations

import re

import numpy as np
import pytest

from dashboard.figures import labels, printing
from dashboard.figures import screen as figures
from dashboard.figures.printing import PrintOptions
from dashboard.figures.projection import ScreenMap
from dashboard.view.scene import resolve
from dashboard.view.state import ViewState, parse_query

SIZES = {
    "slide": PrintOptions(),
    "a4": PrintOptions(width=1123, height=794, scale=300 / 96),
    "a3": PrintOptions(width=1587, height=1123, scale=300 / 96),
}
Box = tuple[float, float, float, float]


def _role(spec: dict, role: str) -> list[dict]:
    return [t for t in spec["data"] if (t.get("meta") or {}).get("role") == role]


def _note(spec: dict, name: str) -> dict:
    return next(a for a in spec["layout"]["annotations"] if a.get("name") == name)


def _map_px(spec: dict) -> tuple[float, float, float]:
    """(left, width, height) of the main map in px of the plot area, from the layout alone."""
    layout = spec["layout"]
    margin = layout["margin"]
    plot_w = layout["width"] - margin["l"] - margin["r"]
    plot_h = layout["height"] - margin["t"] - margin["b"]
    x0, x1 = layout["geo"].get("domain", {}).get("x", [0.0, 1.0])
    y0, y1 = layout["geo"].get("domain", {}).get("y", [0.0, 1.0])
    assert (y0, y1) == (0, 1)
    return x0 * plot_w, (x1 - x0) * plot_w, plot_h


def _screen(spec: dict) -> ScreenMap:
    """Where the drawn map puts lon/lat, rebuilt from the layout's geo ranges, centre and scale."""
    geo = spec["layout"]["geo"]
    _, width, height = _map_px(spec)
    centre = (geo["center"]["lon"], geo["center"]["lat"])
    return ScreenMap(
        width,
        height,
        tuple(geo["lonaxis"]["range"]),
        tuple(geo["lataxis"]["range"]),
        center=centre,
        scale=geo["projection"]["scale"],
    )


def _scale_bar_box(spec: dict) -> Box:
    """The bar, its ticks and its label, in map px, from the drawn traces."""
    screen = _screen(spec)
    bar = _role(spec, "scalebar")[0]
    label = _role(spec, "scalebar-label")[0]
    xs, ys = screen.to_px(np.array(bar["lon"]), np.array(bar["lat"]))
    lx, ly = screen.to_px(np.array(label["lon"]), np.array(label["lat"]))
    font = label["textfont"]["size"]
    half = labels.text_width(label["text"][0], size_px=font) / 2
    return (
        min(min(xs), float(lx[0]) - half),
        float(ly[0]) - font * labels.LINE_HEIGHT,
        max(max(xs), float(lx[0]) + half),
        max(ys),
    )


def _north_box(spec: dict) -> Box:
    """The arrow (tip to tail) and its letter above it, in map px, from the annotations."""
    arrow, letter = _note(spec, "north-arrow"), _note(spec, "north")
    x, tip, font = arrow["xshift"], -arrow["yshift"], letter["font"]["size"]
    letter_bottom = -letter["yshift"]  # the letter sits on this line (yanchor bottom), above the arrow's tip
    return (x - font / 2, letter_bottom - font * labels.LINE_HEIGHT, x + font / 2, tip + arrow["ay"])


def _locator_box(spec: dict) -> Box:
    layout = spec["layout"]
    margin = layout["margin"]
    plot_w = layout["width"] - margin["l"] - margin["r"]
    plot_h = layout["height"] - margin["t"] - margin["b"]
    (x0, x1), (y0, y1) = layout["geo2"]["domain"]["x"], layout["geo2"]["domain"]["y"]
    left, _, _ = _map_px(spec)
    return (x0 * plot_w - left, (1 - y1) * plot_h, x1 * plot_w - left, (1 - y0) * plot_h)


def _placed_boxes(spec: dict) -> list[Box]:
    (trace,) = _role(spec, "labels")
    boxes = [tuple(box) for box in trace["meta"]["boxes"]]
    assert len(boxes) == len(trace["text"]) > 5
    return boxes


def _assert_clear(spec: dict, *, furniture: list[Box]) -> None:
    _, width, height = _map_px(spec)
    for box in _placed_boxes(spec):
        assert labels.inside(box, (width, height)), f"label box {box} crosses the map frame {width:.0f}x{height:.0f}"
        for thing in furniture:
            assert not labels.overlaps(box, thing), f"label box {box} overlaps map furniture {thing}"


@pytest.mark.parametrize("size", SIZES)
def test_default_view_labels_stay_in_the_map_frame_clear_of_scale_bar_and_north_arrow(detail_atlas, size) -> None:
    spec = printing.print_spec(detail_atlas, resolve(ViewState()), options=SIZES[size])
    _assert_clear(spec, furniture=[_scale_bar_box(spec), _north_box(spec)])


def test_labels_keep_a_margin_inside_the_frame_for_their_halo(detail_atlas) -> None:
    spec = printing.print_spec(detail_atlas, resolve(ViewState()), options=SIZES["a4"])
    _, width, height = _map_px(spec)
    theme = printing.print_theme(SIZES["a4"])
    margin = printing.label_margin(theme)
    assert margin >= 3
    assert all(labels.inside(box, (width, height), margin=margin) for box in _placed_boxes(spec))


@pytest.fixture(scope="module")
def province_series(detail_atlas):
    from dashboard.export.series import page_specs, parse_set
    from dashboard.figures.series import build_series

    series = build_series(detail_atlas, parse_set("provinces"))
    return page_specs(series, atlas=detail_atlas, options=SIZES["a4"])


def test_every_province_series_page_keeps_labels_in_the_frame_and_off_the_furniture(province_series) -> None:
    assert len(province_series) == 7
    for number, spec in enumerate(province_series, start=1):
        furniture = [_scale_bar_box(spec), _north_box(spec), _locator_box(spec)]
        try:
            _assert_clear(spec, furniture=furniture)
        except AssertionError as exc:
            raise AssertionError(f"page {number}: {exc}") from None


def test_labels_are_drawn_over_the_selection_outline(province_series) -> None:
    roles = [(t.get("meta") or {}).get("role") for t in province_series[4]["data"]]
    assert "selection" in roles
    assert roles.index("labels") > roles.index("selection")


@pytest.mark.parametrize("query", ["", "?layers=all", "?level=county", "?story=guideline&view=logistics"])
def test_without_margin_or_furniture_print_placement_is_the_screen_s(atlas, monkeypatch, query) -> None:
    """The print placement gathers the same candidates and symbols as the screen's (their code must not drift)."""
    from dashboard.view.scene import resolve

    monkeypatch.setattr(printing, "LABEL_MARGIN_PX", 0.0)
    monkeypatch.setattr(printing, "LABEL_MARGIN_EM", 0.0)
    monkeypatch.setattr(printing, "_print_placements", {})
    state = parse_query(query)[0] if query else ViewState()
    scene = resolve(state)
    frame = figures.MapFrame(1400.0, 820.0, True, 0)
    theme = printing.print_theme(SIZES["slide"])
    screen_placed = figures.map_placement(atlas, resolve(scene), frame, theme=theme)
    print_placed = printing.print_placement(atlas, resolve(scene), frame, theme=theme)
    assert [(p.candidate.key, p.box) for p in print_placed.placed] == [
        (p.candidate.key, p.box) for p in screen_placed.placed
    ]


def test_furniture_pushes_a_label_away() -> None:
    cand = labels.Candidate("a", "Chongqing", 50.0, 50.0, 13.0, 1.0, radius=3.0)
    free = labels.place([cand], frame=(200.0, 200.0))
    assert free and free[0].position == "top center"
    blocked = labels.place([cand], frame=(200.0, 200.0), obstacles=[free[0].box])
    assert blocked and blocked[0].position != "top center"
    assert not labels.place([cand], frame=(60.0, 60.0), margin=12.0)


def _drawn_legend(svg: str, spec: dict) -> Box:
    """The legend's background box as the browser drew it, in map px."""
    found = re.search(
        r'<g class="legend"[^>]*transform="translate\(([\d.]+),([\d.]+)\)"><rect class="bg"[^>]*'
        r'width="([\d.]+)" height="([\d.]+)"',
        svg,
    )
    x, y, w, h = map(float, found.groups())
    margin = spec["layout"]["margin"]
    return (x - margin["l"], y - margin["t"], x - margin["l"] + w, y - margin["t"] + h)


@pytest.mark.usefixtures("renderer")
@pytest.mark.parametrize("size", ["slide", "a4"])
@pytest.mark.parametrize("query", ["", "?provinces=420000,430000", "?lang=zh&provinces=430000"])
def test_no_label_lies_under_the_legend_block_as_drawn(detail_atlas, size, query) -> None:
    from dashboard.export import render

    options = SIZES[size]
    spec = printing.print_spec(detail_atlas, resolve(parse_query(query)[0] if query else ViewState()), options=options)
    svg = render.render(spec, fmt="svg", width=options.width, height=options.height, scale=1.0).decode()
    legend = _drawn_legend(svg, spec)
    assert legend[2] - legend[0] > 100 and legend[3] - legend[1] > 100
    assert not [box for box in _placed_boxes(spec) if labels.overlaps(box, legend)]
