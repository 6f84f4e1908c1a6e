"""Export panel additions: the series job URL, the title input, and progress wired to show at once on click."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from dashboard.export.series import parse_series
from dashboard.ui import export_callbacks, ids
from dashboard.ui.callbacks import export_link
from dashboard.ui.layout import series_options
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
    assert "Preparing…" in export_callbacks.SERIES_JS and "page ${s.page} of ${s.total}" in export_callbacks.SERIES_JS
    assert ids.SERIES_STATUS in export_callbacks.SERIES_JS and ids.EXPORT_STATUS in export_callbacks.DOWNLOAD_JS
