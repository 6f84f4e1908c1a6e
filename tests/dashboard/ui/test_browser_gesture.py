"""Gestures on the map (assets/gesture.js) in headless Chromium: frames that show what the redraw then draws."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from tests.dashboard.ui.test_browser_map import GRAPH, geo_state, open_view
from tests.dashboard.ui.waits import settled, wait_for

pytestmark = pytest.mark.browser

#: Press on the geo subplot and move `steps` times by (dx, dy) in all, one move per animation frame (no release).
DRAG = """
const done = arguments[arguments.length - 1], steps = arguments[0], dx = arguments[1], dy = arguments[2];
const bg = document.querySelector('#atlas-map .geo .layer.bg rect'), box = bg.getBoundingClientRect();
let x = box.left + box.width / 2, y = box.top + box.height / 2;
const fire = (target, type) => target.dispatchEvent(new MouseEvent(type, {clientX: x, clientY: y, bubbles: true,
  cancelable: true, view: window, button: 0, buttons: 1}));
window.atlasTestFire = fire;
fire(bg, 'mousedown');
let i = 0;
const step = () => {
  if (i++ >= steps) { done(true); return; }
  x += dx / steps; y += dy / steps; fire(document, 'mousemove'); requestAnimationFrame(step);
};
requestAnimationFrame(step);
"""
#: Turn the wheel `notches` times (deltaY each) over the point at (fx, fy) of the map's box.
WHEEL = """
const done = arguments[arguments.length - 1], notches = arguments[0], delta = arguments[1];
const bg = document.querySelector('#atlas-map .geo .layer.bg rect'), box = bg.getBoundingClientRect();
const x = box.left + box.width * arguments[2], y = box.top + box.height * arguments[3];
let i = 0;
const step = () => {
  if (i++ >= notches) { done(true); return; }
  bg.dispatchEvent(new WheelEvent('wheel', {clientX: x, clientY: y, deltaY: delta, deltaMode: 0, bubbles: true,
    cancelable: true, view: window}));
  requestAnimationFrame(step);
};
requestAnimationFrame(step);
"""
#: Where 40 units and 10 labels near the middle of the map are on screen, their `d`, and whether layers are lifted.
PLACES = f"""
const g = {GRAPH};
if (!window.atlasTestPick) {{
  const frame = g.querySelector('.geo .layer.bg rect').getBoundingClientRect();
  const middle = (e) => {{
    const r = e.getBoundingClientRect(), x = (r.left + r.width / 2 - frame.left) / frame.width;
    const y = (r.top + r.height / 2 - frame.top) / frame.height;
    return r.width > 0 && r.width < frame.width / 10 && x > 0.3 && x < 0.7 && y > 0.3 && y < 0.7;
  }};
  window.atlasTestPick = {{
    paths: [...g.querySelectorAll('.choroplethlocation')].filter(middle).slice(0, 40),
    texts: [...g.querySelectorAll('.frontplot text')].filter(t => t.textContent && middle(t)).slice(0, 10)
      .map(t => t.textContent)}};  // by their words: Plotly makes new text nodes when it redraws
}}
const box = (e) => {{
  if (!e) return null;
  const r = e.getBoundingClientRect();
  return r.width ? [r.left + r.width / 2, r.top + r.height / 2] : null;
}};
const pick = window.atlasTestPick, labels = [...g.querySelectorAll('.frontplot text')];
const label = (words) => labels.find(t => t.textContent === words && t.getBoundingClientRect().width);
return {{paths: pick.paths.map(box), texts: pick.texts.map(words => box(label(words))),
  d: pick.paths.map(p => p.getAttribute('d') || ''),
  lifted: !!g.querySelector('.atlas-gesture-frame'), stats: Object.assign({{}}, window.atlasGesture.stats)}};
"""
#: Release the drag; where things are when Plotly's redraw reports the new view (before the server's answer).
RELEASE = (
    "const done = arguments[arguments.length - 1];"
    f"{GRAPH}.once('plotly_relayout', () => done((() => {{ {PLACES} }})()));"
    "window.atlasTestFire(document, 'mouseup');"
)


def far(a: list, b: list) -> float:
    """The largest distance between matching points, in CSS pixels."""
    assert all(a) and all(b)
    return max(((x0 - x1) ** 2 + (y0 - y1) ** 2) ** 0.5 for (x0, y0), (x1, y1) in zip(a, b, strict=True))


def start(browser, live_url: str, query: str = "?level=county") -> dict:
    open_view(browser, live_url, query)
    browser.execute_script("window.atlasTestPick = null")
    before = browser.execute_script(PLACES)
    assert len(before["paths"]) == 40 and before["texts"] and not before["lifted"]
    return before


@pytest.mark.parametrize(("dx", "dy"), [(-240, 0), (160, 110)])
def test_a_drag_moves_the_drawn_map_and_its_redraw_lands_where_the_frames_showed(browser, live_url, dx, dy) -> None:
    before = start(browser, live_url)
    centre = geo_state(browser)
    browser.execute_async_script(DRAG, 12, dx, dy)
    during = browser.execute_script(PLACES)
    assert during["lifted"] and during["stats"]["frames"] >= before["stats"]["frames"] + 12
    assert during["d"] == before["d"]  # the frames re-project nothing ...
    for (x0, y0), (x1, y1) in zip(before["paths"], during["paths"], strict=True):
        assert abs(x1 - x0 - dx) < 0.6 and abs(y1 - y0 - dy) < 0.6  # ... they move the map with the mouse
    after = browser.execute_async_script(RELEASE)
    assert not after["lifted"] and after["d"] != before["d"]  # the release redrew the paths for real
    assert after["stats"]["ends"] == before["stats"]["ends"] + 1
    assert far(during["paths"], after["paths"]) < 1.0  # where the frames had them
    assert far(during["texts"], after["texts"]) < 1.0
    wait_for(lambda: "center=" in browser.current_url, what="the dragged centre in the URL")
    settled(browser)
    moved = geo_state(browser)
    assert (moved["lon"] > centre["lon"] + 0.5) == (dx < 0)  # dragged left: the centre moved east
    assert (moved["lat"] > centre["lat"] + 0.5) == (dy > 0)  # dragged down: the centre moved north
    rotation = browser.execute_script(f"return {GRAPH}._fullLayout.geo.projection.rotation")
    assert rotation["lon"] == pytest.approx(105) and rotation["lat"] == pytest.approx(0)  # north stays up
    lon, lat = (float(v) for v in parse_qs(urlparse(browser.current_url).query)["center"][0].split(","))
    assert (lon, lat) == (pytest.approx(moved["lon"], abs=1e-3), pytest.approx(moved["lat"], abs=1e-3))


def test_a_wheel_turn_scales_the_drawn_map_about_the_cursor(browser, live_url) -> None:
    before = start(browser, live_url)
    browser.execute_async_script(WHEEL, 3, -40, 0.35, 0.4)
    during = browser.execute_script(PLACES)
    assert during["lifted"] and during["d"] == before["d"]
    wait_for(lambda: not browser.execute_script(PLACES)["lifted"], what="the wheel's end to redraw the map")
    after = browser.execute_script(PLACES)
    assert far(during["paths"], after["paths"]) < 1.0
    wait_for(lambda: "mapscale=" in browser.current_url, what="the zoom in the URL")
    settled(browser)
    scale = float(parse_qs(urlparse(browser.current_url).query)["mapscale"][0])
    assert scale == pytest.approx(2 ** (3 * 40 * 0.002), rel=0.01)  # d3's wheel step, as Plotly's own zoom


def test_a_click_without_moving_still_selects_and_a_drag_selects_nothing(browser, live_url) -> None:
    start(browser, live_url, "?layers=logistics_hubs")
    browser.execute_async_script(DRAG, 6, 120, 0)
    browser.execute_script(
        "window.atlasTestFire(document, 'mouseup');"
        "document.querySelector('#atlas-map .geo .layer.bg rect').dispatchEvent("
        "new MouseEvent('click', {bubbles: true, cancelable: true, view: window}))"
    )
    wait_for(lambda: "center=" in browser.current_url, what="the drag in the URL")
    settled(browser)
    assert "select=" not in browser.current_url


def test_a_turned_globe_from_plotlys_own_gestures_is_turned_back_to_the_meridian(browser, live_url) -> None:
    start(browser, live_url)
    middle = geo_state(browser)
    # what Plotly's own (touch) pan reports: a turned globe; the map keeps its middle and is turned back
    browser.execute_script(
        f"window.atlasTestEvents = 0; {GRAPH}.on('plotly_relayout', () => window.atlasTestEvents++);"
        f"Plotly.relayout({GRAPH}, {{'geo.projection.rotation.lon': 100}})"
    )
    wait_for(lambda: "center=" in browser.current_url, what="the view's centre in the URL")
    settled(browser)
    rotation = browser.execute_script(f"return {GRAPH}._fullLayout.geo.projection.rotation")
    assert rotation["lon"] == pytest.approx(105) and rotation["lat"] == pytest.approx(0)
    assert browser.execute_script("return window.atlasTestEvents") == 2  # the turn, and the one turn back
    lon, lat = (float(v) for v in parse_qs(urlparse(browser.current_url).query)["center"][0].split(","))
    assert (lon, lat) == (pytest.approx(middle["lon"], abs=1e-3), pytest.approx(middle["lat"], abs=1e-3))
