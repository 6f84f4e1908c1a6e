"""Callbacks of the Indicators control and the targets panel: the controls write the URL, the view fills the panel."""

from __future__ import annotations

import functools

import pandas as pd
from dash import ALL, Dash, Input, Output, State, ctx, no_update

from dashboard.figures import indicators as figures
from dashboard.ui import ids
from dashboard.ui import indicators as ui
from dashboard.view import i18n
from dashboard.view.scene import bundled_indicators
from dashboard.view.state import INDICATOR_KEYS, ViewState, parse_query, to_query

#: The controls of the panel, in the order of the sync callback's inputs and outputs.
CONTROL_INPUTS = (ui.INDICATOR, ui.YEAR, ui.VARIANT, ui.CLASSES, ui.PALETTE)


def with_indicator(
    frame: pd.DataFrame,
    current: ViewState,
    *,
    indicator: str | None,
    year: int | None,
    variant: str | None,
    classes: str | None,
    palette: str | None,
) -> ViewState:
    """The view after a change of the Indicators control; a new indicator starts at its latest year."""
    indicator = indicator or None
    if indicator != current.indicator:
        year, variant = None, None
    elif variant != current.variant:
        year = current.year  # keep the year if the new variant has it (resolved below)
    state = current.with_(
        indicator=indicator,
        year=year,
        variant=variant,
        classes=classes or current.classes,
        palette=palette or current.palette,
        view=None,
    )
    shown = figures.resolve(frame, state)
    if shown is None:
        return state.with_(indicator=None, year=None, variant=None)
    return state.with_(year=shown.year, variant=shown.variant)


def next_year(frame: pd.DataFrame, state: ViewState) -> ViewState:
    """The view one year on (back to the first year after the last): one step of the play button."""
    shown = figures.resolve(frame, state)
    if shown is None:
        return state
    present = figures.years(frame, indicator=shown.indicator, variant=shown.variant)
    later = [y for y in present if y > shown.year]
    return state.with_(year=later[0] if later else present[0], variant=shown.variant, view=None)


def control_values(frame: pd.DataFrame, state: ViewState) -> tuple:
    """Indicator, year (value, min, max, marks), variant (value, options, row style), classes and palette."""
    shown = figures.resolve(frame, state)
    if shown is None:
        return "", None, 2019, 2024, {}, None, [], {"display": "none"}, state.classes, state.palette
    present = figures.years(frame, indicator=shown.indicator, variant=shown.variant)
    options = ui.variant_options(frame, indicator=shown.indicator, lang=state.lang)
    style = {"display": "block"} if len(options) > 1 else {"display": "none"}
    return (
        shown.indicator,
        shown.year,
        present[0],
        present[-1],
        ui.year_marks(present),
        shown.variant,
        options,
        style,
        shown.method,
        shown.palette,
    )


def sync_indicator(trigger: str | None, search: str, controls: dict, view: dict | None) -> tuple:
    """(URL query or no_update, *control values) after one trigger: the URL fills the controls, a control the URL."""
    frame = bundled_indicators()
    if trigger in (None, ids.URL):
        state, _ = parse_query(search or "")
        return (no_update, *control_values(frame, state))
    current = ViewState.from_dict(view)
    state = next_year(frame, current) if trigger == ui.TICK else with_indicator(frame, current, **controls)
    query = to_query(state)
    return (no_update if query == search else query, *control_values(frame, state))


def register(app: Dash) -> None:
    """Add the Indicators callbacks to `app`."""
    app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Output(ui.INDICATOR, "value"),
        Output(ui.YEAR, "value"),
        Output(ui.YEAR, "min"),
        Output(ui.YEAR, "max"),
        Output(ui.YEAR, "marks"),
        Output(ui.VARIANT, "value"),
        Output(ui.VARIANT, "options"),
        Output(ui.VARIANT_ROW, "style"),
        Output(ui.CLASSES, "value"),
        Output(ui.PALETTE, "value"),
        Input(ids.URL, "search"),
        *(Input(name, "value") for name in CONTROL_INPUTS),
        Input(ui.TICK, "n_intervals"),
        State(ids.VIEW, "data"),
        prevent_initial_call="initial_duplicate",
    )(_sync)
    app.callback(
        Output(ui.TICK, "disabled"),
        Output(ui.PLAY, "children"),
        Input(ui.PLAY, "n_clicks"),
        State(ui.TICK, "disabled"),
        prevent_initial_call=True,
    )(_toggle_play)
    app.callback(
        Output(ui.TARGETS, "children"),
        Output(ui.PROVINCE, "children"),
        Output({"type": ui.TEXT, "key": ALL}, "children"),
        Output(ui.INDICATOR, "options"),
        Output(ui.CLASSES, "options"),
        Input(ids.LATE_VIEW, "data"),
    )(_render_panels)


def _sync(search, indicator, year, variant, classes, palette, _tick, view):
    controls = {"indicator": indicator, "year": year, "variant": variant, "classes": classes, "palette": palette}
    return sync_indicator(ctx.triggered_id, search, controls, view)


def _toggle_play(_clicks, disabled):
    """Start or pause the year's playback."""
    playing = bool(disabled)  # it was paused: now it plays
    return not playing, "❚❚" if playing else "▶"


def _render_panels(view):
    """The targets panel, the clicked province's indicator value and the panel's labels in the view's language."""
    keys = tuple(output["id"]["key"] for output in ctx.outputs_list[2])
    return panels(panel_view(ViewState.from_dict(view)), keys)


def panel_view(state: ViewState) -> ViewState:
    """The part of a view the panels read: its language, selection and indicator (a pan or a layer changes none)."""
    return ViewState(lang=state.lang, select=state.select, **{key: getattr(state, key) for key in INDICATOR_KEYS})


@functools.lru_cache(maxsize=256)
def panels(state: ViewState, keys: tuple[str, ...]) -> tuple:
    """The panels' contents for a `panel_view` (each view change asks again: the trend charts take ~0.2 s)."""
    frame = bundled_indicators()
    return (
        ui.targets_panel(frame, state),
        ui.province_detail(frame, state),
        [i18n.t(key, state.lang) for key in keys],
        ui.indicator_options(frame, state.lang),
        ui.class_options(state.lang),
    )
