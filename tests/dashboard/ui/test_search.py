"""Server-side search finds what the browser's own option filter found, in English, Chinese, pinyin and codes."""

from __future__ import annotations

import pytest

from dashboard.ui import layout
from dashboard.ui.search import MAX_OPTIONS, search

QUERIES = ("zheng", "郑州", "zhengzhou", "Wuhan", "hefei", "长沙", "xiang", "420100", "logistics", "Yichang", "江")


def browser_filter(options: list[dict], text: str) -> list[str]:
    """What dcc.Dropdown's own filter kept: options whose `search` text contains the typed text, any case."""
    return [option["value"] for option in options if text.casefold() in option["search"].casefold()]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("text", QUERIES)
def test_the_server_finds_exactly_what_the_full_option_list_found(atlas, text, lang) -> None:
    everything = layout.search_options(atlas, lang)
    found = [option["value"] for option in search(atlas, text, lang=lang, limit=len(everything))]
    assert sorted(found) == sorted(browser_filter(everything, text))
    assert found, f"{text!r} should find something"


def test_at_most_thirty_options_reach_the_browser_word_starts_first(atlas) -> None:
    shown = search(atlas, "an", lang="en")
    assert len(shown) == MAX_OPTIONS
    starts = [" " + option["search"].casefold() for option in shown]
    first_inside = next(i for i, text in enumerate(starts) if " an" not in text)
    assert all(" an" not in text for text in starts[first_inside:])


def test_a_place_typed_in_full_comes_first(atlas) -> None:
    assert search(atlas, "Zhengzhou", lang="en")[0]["label"].startswith("Zhengzhou")
    assert search(atlas, "武汉", lang="zh")[0]["label"].startswith("武汉")


def test_an_empty_box_asks_for_nothing(atlas) -> None:
    assert search(atlas, "  ", lang="en") == [] and search(atlas, None, lang="zh") == []
