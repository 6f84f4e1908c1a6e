"""Callbacks of the map's viewport: zoom and pan into the URL, the context layers, "Copy link", the drawers."""

from __future__ import annotations

from dash import ClientsideFunction, Input, Output, State, ctx, no_update

from dashboard.ui import ids
from dashboard.ui.layout import context_options
from dashboard.view import i18n
from dashboard.view.state import SCALE_RANGE, ViewState, parse_query, to_query


def viewport_from_relayout(relayout: dict | None, current: ViewState) -> ViewState | None:
    """The view after the user zoomed or panned the map (plotly's relayoutData), or None if it did not."""
    if not relayout:
        return None
    lon = relayout.get("geo.center.lon")
    lat = relayout.get("geo.center.lat")
    scale = relayout.get("geo.projection.scale")
    if lon is None and lat is None and scale is None:
        return None
    center = current.center
    if lon is not None and lat is not None:
        center = (float(lon), float(lat))
    elif center is None:
        return None  # a zoom with no known centre: wait for the pan that plotly reports with it
    scale = float(scale) if scale is not None else (current.scale or 1.0)
    scale = min(max(scale, SCALE_RANGE[0]), SCALE_RANGE[1])
    return current.with_(center=center, scale=scale)


def context_choice(values: list[str] | None, current: ViewState) -> ViewState:
    """The view with the context layers ticked."""
    return current.with_(context=tuple(values or ()))


#: The toolbar's words: their i18n keys.
TOOLBAR_KEYS = {"copy_link": "copy_link", "legend": "toolbar_legend"}


def toolbar_text(key: str, lang: str) -> str:
    """One toolbar word in the view's language."""
    return i18n.t(TOOLBAR_KEYS[key], lang)


def register(app: object) -> None:
    """Register the viewport callbacks on `app`."""

    @app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Output(ids.CONTEXT, "value"),
        Input(ids.MAP, "relayoutData"),
        Input(ids.CONTEXT, "value"),
        Input(ids.URL, "search"),
        State(ids.VIEW, "data"),
        prevent_initial_call=True,
    )
    def sync_viewport(relayout, context, search, view):
        """Zoom, pan and context layers go into the URL (the view follows it); a loaded URL ticks the context."""
        current = ViewState.from_dict(view)
        trigger = ctx.triggered_id
        if trigger == ids.URL:
            wanted = list(parse_query(search or "")[0].context)
            return no_update, (no_update if wanted == list(context or []) else wanted)
        mapped = trigger == ids.MAP
        state = viewport_from_relayout(relayout, current) if mapped else context_choice(context, current)
        if state is None or state == current:
            return no_update, no_update
        query = to_query(state)
        return (no_update if query == search else query), no_update

    @app.callback(
        Output(ids.COPY_LINK, "children"),
        Output(ids.DRAWER_LEGEND, "children"),
        Output(ids.CONTEXT, "options"),
        Input(ids.LANG, "value"),
        prevent_initial_call=True,
    )
    def translate_toolbar(lang):
        """The toolbar in the chosen language."""
        return toolbar_text("copy_link", lang), toolbar_text("legend", lang), context_options(lang)

    app.clientside_callback(
        ClientsideFunction(namespace="atlas", function_name="copyLink"),
        Output(ids.COPY_STATUS, "children"),
        Output(ids.COPY_STATUS, "title"),
        Input(ids.COPY_LINK, "n_clicks"),
        State(ids.CLIENT_TEXTS, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction(namespace="atlas", function_name="detailsClass"),
        Output(ids.DETAILS, "className"),
        Input(ids.VIEW, "data"),
    )
