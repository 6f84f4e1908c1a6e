"""Export panel additions: the series job URL, the title input, and progress wired to show at once on click."""

from __future__ import annotations

import json
import shutil
import subprocess
from urllib.parse import parse_qs, urlsplit

import pytest

from dashboard.export.series import parse_series
from dashboard.ui import export_callbacks, ids
from dashboard.ui.callbacks import export_link
from dashboard.ui.layout import series_options
from dashboard.view import i18n
from dashboard.view.state import ViewState


def test_series_url_names_the_set_and_format_and_parses_back() -> None:
    state = ViewState(layers=("logistics_hubs",), lang="zh", labels=False)
    url = export_callbacks.series_url(state, chosen="prefectures:410000", fmt="png", size="a4")
    parts = urlsplit(url)
    assert parts.path == "/export/series/start/prefectures:410000.png"
    request = parse_series("prefectures:410000", parts.query, fmt="png")
    assert request.base.lang == "zh" and request.base.layers == ("logistics_hubs",) and request.size == "a4"
    assert not request.base.labels


def test_series_of_a_story_takes_the_view_s_story_and_data_formats_give_a_pdf() -> None:
    url = export_callbacks.series_url(ViewState(), chosen="story", fmt="csv", size="slide")
    assert urlsplit(url).path == f"/export/series/start/story:{ViewState().story}.pdf"
    assert "size" not in parse_qs(urlsplit(url).query)


def test_every_series_choice_is_a_valid_set() -> None:
    for option in series_options("en"):
        chosen = f"story:{ViewState().story}" if option["value"] == "story" else option["value"]
        assert parse_series(chosen, "", fmt="pdf").set_text == chosen


def test_custom_title_goes_into_the_download_link() -> None:
    href, name, error = export_link(
        ViewState(), fmt="pdf", size="a4", custom=(0, 0, 1), flags=["title"], subtitle=None, title="Hubs & zones"
    )
    assert not error and parse_qs(urlsplit(href).query)["title"] == ["Hubs & zones"]
    assert "_a4_" in name and name.endswith(".pdf")


def test_progress_callbacks_are_registered_clientside_on_the_app() -> None:
    from dashboard.app import create_app

    app = create_app()
    outputs = set(app.callback_map)
    assert f"{ids.SERIES_STATUS}.children" in outputs and f"{ids.EXPORT_STATUS}.children" in outputs
    assert f"{ids.SERIES_URL}.data" in outputs
    texts = {f"{ids.CLIENT_TEXTS}.data"}
    for output in (f"{ids.SERIES_STATUS}.children", f"{ids.EXPORT_STATUS}.children", f"{ids.COPY_STATUS}.children"):
        (key,) = [key for key in app.callback_map if output in key]  # a multi-output callback's key names them all
        assert texts <= {f"{s['id']}.{s['property']}" for s in app.callback_map[key]["state"]}, output
    assert ids.SERIES_STATUS in export_callbacks.SERIES_JS and ids.EXPORT_STATUS in export_callbacks.DOWNLOAD_JS


NODE = shutil.which("node")


def _run_js(function: str, *args: object) -> str:
    """What a clientside function returns in node, with the page's globals stubbed (fetch never answers)."""
    stub = (
        "globalThis.window = {dash_clientside: {no_update: null}};"
        "globalThis.document = {getElementById: () => null};"
        "globalThis.fetch = () => new Promise(() => {});"
        "globalThis.performance = {now: () => 0};"
    )
    script = f"{stub} const f = {function}; process.stdout.write(String(f(...{json.dumps(args)})));"
    return subprocess.run([NODE, "-e", script], capture_output=True, text=True, check=True, timeout=30).stdout


@pytest.mark.skipif(NODE is None, reason="node is not installed")
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_progress_scripts_say_preparing_in_the_views_language_from_the_pages_texts(lang: str) -> None:
    texts = i18n.client_texts()
    expected = i18n.t("export_preparing", lang)
    assert _run_js(export_callbacks.DOWNLOAD_JS, 1, "/x.png", "x.png", {"lang": lang}, texts) == expected
    assert _run_js(export_callbacks.SERIES_JS, 1, "/start", {"lang": lang}, texts) == expected
    texts[lang]["export_preparing"] = "changed"  # the words come from the store, not from the script
    assert _run_js(export_callbacks.DOWNLOAD_JS, 1, "/x.png", "x.png", {"lang": lang}, texts) == "changed"
