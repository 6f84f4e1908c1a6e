"""Search on the server: the typed text in, at most 30 matching places out, so the browser never indexes 841 options."""

from __future__ import annotations

import functools

from dash import Dash, Input, Output, State, no_update

from dashboard.ui import ids
from dashboard.ui.layout import search_options
from geodata import Atlas, load_atlas

#: Options sent to the browser for one search text.
MAX_OPTIONS = 30


@functools.cache
def _index(atlas: Atlas, lang: str) -> tuple[tuple[dict, str], ...]:
    """Every option with its casefolded search text, in the order the full list shows them."""
    return tuple((option, option["search"].casefold()) for option in search_options(atlas, lang))


def search(atlas: Atlas, text: str | None, *, lang: str, limit: int = MAX_OPTIONS) -> list[dict]:
    """Options whose English name, Chinese name, pinyin or code contains `text` (any case); word starts first."""
    query = (text or "").strip().casefold()
    if not query:
        return []
    starts, inside = [], []
    for option, haystack in _index(atlas, lang):
        at = haystack.find(query)
        if at < 0:
            continue
        (starts if at == 0 or haystack[at - 1] == " " else inside).append(option)
        if len(starts) >= limit:
            break
    return (starts + inside)[:limit]


def register(app: Dash) -> None:
    """The search box asks the server for its options as the user types."""

    @app.callback(
        Output(ids.SEARCH, "options"),
        Input(ids.SEARCH, "search_value"),
        Input(ids.LANG, "value"),
        State(ids.SEARCH, "options"),
    )
    def search_places(text, lang, shown):
        """Options for the text typed so far; an emptied box keeps what it showed (its value's label stays)."""
        if not text:
            return no_update if shown is not None else []
        return search(load_atlas(), text, lang=lang or "en")
