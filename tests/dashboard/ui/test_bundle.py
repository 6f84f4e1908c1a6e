"""The page's plotly.js is the geo partial bundle: the installed plotly's version, with every trace type drawn."""

from __future__ import annotations

import json
import re
from urllib.parse import urlparse

import plotly
import pytest

from dashboard.config import ASSETS_DIR
from dashboard.figures.screen import map_figure
from dashboard.view.scene import resolve
from dashboard.view.state import ViewState, with_step
from dashboard.view.stories import load_story
from geodata.layers import LAYER_IDS
from tests.dashboard.ui.waits import wait_for

BUNDLE = ASSETS_DIR / "vendor" / "plotly-geo.min.js"
#: The trace types of plotly.js's geo partial bundle (its README lists them).
BUNDLE_TRACES = {"scatter", "scattergeo", "choropleth"}


def bundle_version() -> str:
    header = BUNDLE.read_text(encoding="utf-8")[:300]
    found = re.search(r"plotly\.js \(geo - minified\) v(\d+\.\d+\.\d+)", header)
    assert found, "the bundle lost its version header"
    return found.group(1)


def test_the_bundle_is_the_plotly_js_version_of_the_installed_plotly() -> None:
    assert bundle_version() == plotly.offline.get_plotlyjs_version()


def screen_views() -> list[ViewState]:
    views = [
        ViewState(),
        ViewState(layers=LAYER_IDS),
        ViewState(layers=LAYER_IDS, level="county"),
        ViewState(layers=LAYER_IDS, level="province", lang="zh", present=True),
    ]
    story = load_story()
    views += [with_step(ViewState(), step) for step in story.steps]
    return views


def test_every_screen_figure_uses_only_trace_types_the_bundle_has(atlas) -> None:
    for state in screen_views():
        figure = map_figure(atlas, resolve(state))
        figure = figure if isinstance(figure, dict) else figure.to_plotly_json()
        types = {trace.get("type", "scatter") for trace in figure["data"]}
        assert types <= BUNDLE_TRACES, f"{state}: {types - BUNDLE_TRACES} not in the geo bundle"


@pytest.mark.browser
def test_the_page_draws_with_the_partial_bundle_and_never_fetches_the_full_one(browser, live_url) -> None:
    browser.get_log("performance")
    browser.get(f"{live_url}/")
    wait_for(
        lambda: browser.execute_script(
            "const g = document.querySelector('#atlas-map .js-plotly-plot');"
            "return !!(g && g._fullLayout && g.querySelectorAll('.geo path').length > 50)"
        ),
        timeout=60,
        what="the map drawn",
    )
    assert browser.execute_script("return window.Plotly.version") == bundle_version()
    fetched = set()
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            fetched.add(urlparse(message["params"]["request"]["url"]).path.rsplit("/", 1)[-1])
    assert "plotly-geo.min.js" in fetched
    assert "plotly.min.js" not in fetched
