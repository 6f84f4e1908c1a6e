"""The map in a real headless Chromium: offline chrome, shareable zoom, phone width, an uncovered map."""

from __future__ import annotations

import io
import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from PIL import Image
from selenium.webdriver.common.by import By

from tests.dashboard.ui.waits import settled, wait_for

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[3] / "docs"
GRAPH = "document.querySelector('#atlas-map .js-plotly-plot')"


def legend(browser) -> list[str]:
    return browser.execute_script(
        "return [...document.querySelectorAll('g.legend .traces .legendtext')].map(e => e.textContent)"
    )


def drawn(browser) -> bool:
    return browser.execute_script(f"const g = {GRAPH}; return !!(g && g._fullData && g._fullData.length > 10)")


def open_view(browser, base: str, query: str = "") -> None:
    browser.get(f"{base}/{query}")
    wait_for(lambda: drawn(browser), what="the map")
    settled(browser)


def checkbox(browser, value: str):
    return browser.find_element(By.CSS_SELECTOR, f"input[type=checkbox][value='{value}']")


@pytest.fixture
def window(browser):
    """Restore the driver's 1600x1000 window after a test that changes it."""
    yield browser
    browser.set_window_size(1600, 1000)


def geo_state(browser) -> dict:
    return browser.execute_script(
        f"const g = {GRAPH}._fullLayout.geo; return {{scale: g.projection.scale, lon: g.center.lon, lat: g.center.lat,"
        " type: g.projection.type}"
    )


def zoom_to(browser, *, scale: float, lon: float, lat: float) -> None:
    """Zoom as the user would: plotly's relayout, which reports relayoutData to Dash."""
    browser.execute_script(
        f"Plotly.relayout({GRAPH}, {{'geo.projection.scale': {scale}, 'geo.center.lon': {lon},"
        f" 'geo.center.lat': {lat}}})"
    )
    wait_for(lambda: "mapscale=" in browser.current_url, what="the zoom in the URL")
    settled(browser)


def test_no_cloud_button_and_only_offline_buttons_in_the_modebar(browser, live_url) -> None:
    open_view(browser, live_url)
    titles = browser.execute_script(
        "return [...document.querySelectorAll('.modebar-btn')].map(b => b.getAttribute('data-title'))"
    )
    assert titles and not any("cloud" in (t or "").lower() or "chart studio" in (t or "").lower() for t in titles)
    assert set(titles) <= {"Zoom in", "Zoom out", "Reset", "Reset view"}
    assert geo_state(browser)["type"] == "conic conformal"


def test_copy_link_gives_a_url_that_restores_the_zoom(browser, live_url) -> None:
    open_view(browser, live_url)
    zoom_to(browser, scale=2.5, lon=113.5, lat=31.0)
    browser.find_element(By.ID, "atlas-copy-link").click()
    copied = wait_for(
        lambda: browser.find_element(By.ID, "atlas-copy-status").get_attribute("title"), what="the copied link"
    )
    query = parse_qs(urlparse(copied).query)
    assert query["mapscale"] == ["2.5"] and query["center"] == ["113.5000,31.0000"]
    browser.get("about:blank")
    browser.get(copied)
    wait_for(lambda: legend(browser), what="the map legend")
    restored = wait_for(lambda: geo_state(browser) if geo_state(browser)["scale"] == 2.5 else None, what="zoom")
    assert restored["lon"] == pytest.approx(113.5, abs=0.01) and restored["lat"] == pytest.approx(31.0, abs=0.01)


def test_zoom_survives_a_level_switch(browser, live_url) -> None:
    open_view(browser, live_url)
    zoom_to(browser, scale=3, lon=114.3, lat=30.6)
    browser.find_element(By.CSS_SELECTOR, "#atlas-level input[value='county']").click()
    wait_for(lambda: "level=county" in browser.current_url, what="the county level")
    settled(browser)
    state = geo_state(browser)
    assert state["scale"] == 3 and state["lon"] == pytest.approx(114.3, abs=0.01)


def callback_outputs_sent(browser) -> list[str]:
    """The outputs of the callback requests the page sent since the performance log was last read, in order."""
    outputs = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        request = message.get("params", {}).get("request", {})
        if message["method"] == "Network.requestWillBeSent" and "_dash-update-component" in request.get("url", ""):
            outputs.append(json.loads(request.get("postData") or "{}").get("output", ""))
    return outputs


def test_a_level_switch_sends_the_map_request_before_the_side_panels(browser, live_url) -> None:
    open_view(browser, live_url)
    browser.get_log("performance")
    browser.find_element(By.CSS_SELECTOR, "#atlas-level input[value='county']").click()
    wait_for(lambda: "level=county" in browser.current_url, what="the county level")
    settled(browser)
    sent = callback_outputs_sent(browser)
    first = {name: next(i for i, out in enumerate(sent) if name in out) for name in (
        "atlas-map.figure", "atlas-details.children", "atlas-ind-targets.children", "atlas-upload-info.children",
    )}  # fmt: skip
    assert first["atlas-map.figure"] < min(v for k, v in first.items() if k != "atlas-map.figure"), sent


def test_at_phone_width_the_map_takes_the_full_width(window, live_url) -> None:
    window.set_window_size(390, 844)
    open_view(window, live_url)
    width = window.execute_script(f"return {GRAPH}.getBoundingClientRect().width")
    assert width >= 360
    assert not legend(window)  # the legend is a drawer on phones: closed, it covers nothing
    window.save_screenshot(str(DOCS / "map-phone.png"))
    window.find_element(By.ID, "atlas-drawer-legend").click()
    wait_for(lambda: legend(window), what="the legend drawer")
    window.save_screenshot(str(DOCS / "map-phone-legend.png"))


def map_area_box(browser) -> tuple[float, float, float, float]:
    """The geo subplot's frame (left, top, right, bottom) in CSS px of the page."""
    return tuple(
        browser.execute_script(
            f"const g = {GRAPH}; const r = g.getBoundingClientRect(); const s = g._fullLayout._size;"
            " return [r.left + s.l, r.top + s.t, r.left + s.l + s.w, r.top + s.t + s.h]"
        )
    )


@pytest.mark.parametrize("size", [(1600, 1000), (1280, 720)])
def test_the_legend_lies_outside_the_map_frame(window, live_url, size) -> None:
    window.set_window_size(*size)
    layers = "transfer_zones,reform_zones,innovation_centres,logistics_hubs,finance_trade,central_cities,metro_circles"
    open_view(window, live_url, f"?layers={layers},urban_agglomerations,revolutionary_base_areas,river_corridors")
    left, top, right, bottom = map_area_box(window)
    legend_box = window.execute_script(
        "const r = document.querySelector('#atlas-map g.legend').getBoundingClientRect();"
        " return [r.left, r.top, r.right, r.bottom]"
    )
    assert legend_box[0] >= right - 1  # the legend starts where the map frame ends
    # and in the screenshot the map frame holds drawn map, not the legend's white box
    png = window.get_screenshot_as_png()
    (DOCS / f"map-all-layers-{size[0]}x{size[1]}.png").write_bytes(png)
    shot = Image.open(io.BytesIO(png)).convert("RGB")
    scale = shot.width / window.execute_script("return window.innerWidth")
    crop = np.asarray(shot.crop(tuple(int(v * scale) for v in (left, top, right, bottom)))).astype(int)
    white = (crop.min(axis=2) >= 254).mean()
    assert white < 0.2
    assert (right - left) >= 0.5 * size[0]  # the map gets most of the window


def test_screenshots_for_the_docs(window, live_url) -> None:
    """The README's screenshot and the docs' views (looked at by a person; here only taken and checked drawn)."""
    views = {
        "map-default.png": "",
        "map-all-layers.png": "?layers=transfer_zones,reform_zones,innovation_centres,logistics_hubs,finance_trade,"
        "central_cities,metro_circles,urban_agglomerations,revolutionary_base_areas,river_corridors,province_roles",
        "map-county.png": "?level=county",
        "map-story-step.png": "?story=guideline&view=strategies&present=1",
    }
    for name, query in views.items():
        open_view(window, live_url, query)
        window.save_screenshot(str(DOCS / name))
    open_view(window, live_url, "?layers=transfer_zones,metro_circles,central_cities,logistics_hubs")
    window.save_screenshot(str(DOCS / "screenshot.png"))
    assert checkbox(window, "central_cities").is_selected()
