"""Presenter mode's own callbacks: a planner's story (upload, steps), the clicked feature's callout, no stale hover."""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path, PurePath

from dash import ClientsideFunction, Dash, Input, Output, State, ctx, html, no_update

from dashboard.export.request import selectable
from dashboard.figures.screen import find_selection
from dashboard.ui import ids
from dashboard.ui.details import quote_block
from dashboard.ui.layout import STORY_MAX_BYTES
from dashboard.view import i18n
from dashboard.view.scene import step_caption, step_title
from dashboard.view.state import ViewState, parse_story_store, story_to_store, to_query, with_step
from dashboard.view.stories import Story, StoryError, read_story_bytes, unknown_selections
from geodata import Atlas, load_atlas


def story_from_upload(contents: str, filename: str | None, *, atlas: Atlas, lang: str) -> tuple[Story | None, str]:
    """A dropped story file parsed by the story reader: (the story, "") or (None, a one-line message)."""
    name = PurePath(filename or "story.yaml").name[:80]  # the name is shown in messages only; nothing is opened
    try:
        content = base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (IndexError, ValueError):
        return None, i18n.t("upload_damaged", lang, filename=name)
    if len(content) > STORY_MAX_BYTES:
        return None, i18n.t("story_too_big", lang, kb=STORY_MAX_BYTES // 1024)
    try:
        story = read_story_bytes(content, path=Path(name))  # a name only: the reader is given the bytes
    except StoryError as exc:
        return None, i18n.t("story_bad", lang, error=exc)
    unknown = unknown_selections(story, selectable(atlas))
    if unknown:
        return None, i18n.t("story_bad", lang, error=unknown[0])
    return story, ""


def step_view(current: ViewState, story: Story, index: int) -> ViewState:
    """The view one step of a planner's story shows, presented (the URL carries it as an ordinary view)."""
    return with_step(current, story.steps[index]).with_(view=None, present=True)


def next_index(trigger: str | None, step: dict | None, count: int) -> int | None:
    """The step of the planner's story after a press: the first on "present", else one on or back (clamped)."""
    if trigger == ids.STORY_PRESENT:
        return 0
    index = step.get("index") if isinstance(step, dict) else None
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < count:
        return None  # not presenting the planner's story (or a forged index): the buttons do nothing
    offset = 1 if trigger == ids.STORY_NEXT else -1
    return min(max(index + offset, 0), count - 1)


def story_bar(story: Story | None, step: dict | None, state: ViewState) -> tuple[str, str, object, dict | None]:
    """The step bar's class, the own story's counter and caption, and the map's title strip for the step.

    The title strip's texts are escaped here: plotly reads a few HTML tags in titles, and a story is the user's.
    """
    index = step.get("index") if isinstance(step, dict) else None
    if story is None or not state.present or not isinstance(index, int) or not 0 <= index < len(story.steps):
        return "atlas-stepper", "", "", None
    shown = story.steps[index]
    counter = i18n.t("story_step_of", state.lang, title=story.title[state.lang], k=index + 1, n=len(story.steps))
    caption = [html.Strong(step_title(shown, state.lang)), " ", html.Span(step_caption(shown, state.lang))]
    text = {"title": step_title(shown, state.lang), "subtitle": step_caption(shown, state.lang)}
    strip = {key: escape(value, quote=False) for key, value in text.items()}
    return "atlas-stepper atlas-stepper-own", counter, caption, strip


def callout_body(atlas: Atlas, select: str, lang: str) -> list | None:
    """A clicked feature in large type: its name, its verbatim guideline quote and section (a unit: name, level)."""
    row = find_selection(atlas, select)
    if row is None:
        return None
    name = html.H2(i18n.name(row, lang), className="atlas-callout-name")
    if "feature_id" in row and isinstance(row["feature_id"], str):
        roles = row["layer"] == "province_roles"
        quotes = quote_block(row, "quote_sectors" if roles else "quote", "section", lang, heading=False)
        layer = html.P(i18n.layer_name(row["layer"], lang), className="atlas-callout-layer")
        return [name, layer, *quotes]
    level = next((lvl for lvl in ("county", "prefecture", "province") if row["adcode"] in _codes(atlas, lvl)), "")
    return [name, html.P(i18n.t("callout_unit", lang, level=i18n.t(level, lang) if level else "", code=row["adcode"]))]


def _codes(atlas: Atlas, level: str) -> set[str]:
    return set(atlas.units(level)["adcode"])


def clicked_id(click: dict | None) -> str | None:
    """The feature or unit id a map click hit (plotly's clickData customdata: [kind, id])."""
    points = (click or {}).get("points") or [{}]
    data = points[0].get("customdata") if isinstance(points[0], dict) else None
    if isinstance(data, list | tuple) and len(data) > 1 and isinstance(data[1], str):
        return data[1]
    return None


def callout_key(state: ViewState, step: dict | None) -> list:
    """What a callout belongs to: the bundled story's step and the planner's step (either changing closes it)."""
    return [state.view, step.get("index") if isinstance(step, dict) else None]


HIDDEN = "atlas-callout atlas-callout-hidden"


def register(app: Dash) -> None:
    """Register presenter mode's callbacks on `app`."""

    @app.callback(
        Output(ids.STORY_STORE, "data"),
        Output(ids.STORY_STATUS, "children"),
        Input(ids.STORY_UPLOAD, "contents"),
        State(ids.STORY_UPLOAD, "filename"),
        State(ids.VIEW, "data"),
        prevent_initial_call=True,
    )
    def receive_story(contents, filename, view):
        """A valid story file is kept in the browser; a bad one gets its message and the last story stays."""
        lang = ViewState.from_dict(view).lang
        if not contents:
            return no_update, no_update
        story, error = story_from_upload(contents, filename, atlas=load_atlas(), lang=lang)
        if story is None:
            return no_update, html.P(error, className="atlas-error")
        loaded = i18n.t("story_loaded", lang, title=story.title[lang], n=len(story.steps))
        return story_to_store(story), html.P(loaded)

    @app.callback(
        Output(ids.STORY_PRESENT, "disabled"),
        Output(ids.STORY_PRESENT, "children"),
        Input(ids.STORY_STORE, "data"),
        Input(ids.LATE_VIEW, "data"),
    )
    def story_button(store, view):
        """The "present your story" button is on once a valid story is held."""
        return parse_story_store(store) is None, i18n.t("story_present", ViewState.from_dict(view).lang)

    @app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Output(ids.STORY_STEP, "data"),
        Input(ids.STORY_PRESENT, "n_clicks"),
        Input(ids.STORY_PREV, "n_clicks"),
        Input(ids.STORY_NEXT, "n_clicks"),
        State(ids.STORY_STORE, "data"),
        State(ids.STORY_STEP, "data"),
        State(ids.VIEW, "data"),
        prevent_initial_call=True,
    )
    def step_story(_present, _prev, _next, store, step, view):
        """Present the planner's story from step 1, or step through it; each step reaches the map through the URL."""
        story = parse_story_store(store)  # a forged store is no story: nothing happens
        if story is None or not ctx.triggered_id or not any(t["value"] for t in ctx.triggered):
            return no_update, no_update
        index = next_index(ctx.triggered_id, step, len(story.steps))
        if index is None:
            return no_update, no_update
        return to_query(step_view(ViewState.from_dict(view), story, index)), {"index": index}

    @app.callback(
        Output(ids.STORY_STEP, "data", allow_duplicate=True),
        Input(ids.VIEW, "data"),
        State(ids.STORY_STEP, "data"),
        prevent_initial_call=True,
    )
    def leave_story(view, step):
        """Leaving presenter mode, or a bundled story step, ends the planner's story."""
        state = ViewState.from_dict(view)
        if step is not None and (not state.present or state.view):
            return None
        return no_update

    @app.callback(
        Output(ids.STEPPER, "className"),
        Output(ids.STORY_COUNTER, "children"),
        Output(ids.STORY_CAPTION, "children"),
        Output(ids.STORY_TITLE, "data"),
        Input(ids.STORY_STEP, "data"),
        Input(ids.VIEW, "data"),
        State(ids.STORY_STORE, "data"),
    )
    def render_story_bar(step, view, store):
        """The step bar shows the planner's story's buttons, counter and caption (and the map its title) meanwhile."""
        return story_bar(parse_story_store(store), step, ViewState.from_dict(view))

    @app.callback(
        Output(ids.CALLOUT, "className"),
        Output(ids.CALLOUT_BODY, "children"),
        Output(ids.CALLOUT_AT, "data"),
        Output(ids.CALLOUT_CLOSE, "title"),
        Input(ids.MAP, "clickData"),
        Input(ids.CALLOUT_CLOSE, "n_clicks"),
        Input(ids.LATE_VIEW, "data"),
        Input(ids.STORY_STEP, "data"),
        State(ids.CALLOUT_AT, "data"),
        prevent_initial_call=True,
    )
    def render_callout(click, _close, view, step, opened_at):
        """A click in presenter mode opens the feature's callout; closing it, a new step or leaving shuts it."""
        state = ViewState.from_dict(view)
        close = i18n.t("callout_close", state.lang)
        trigger = ctx.triggered_id
        if trigger == ids.MAP and state.present:
            select = clicked_id(click)
            body = callout_body(load_atlas(), select, state.lang) if select else None
            if body is not None:
                return "atlas-callout", body, callout_key(state, step), close
        if trigger == ids.CALLOUT_CLOSE or not state.present or callout_key(state, step) != opened_at:
            return HIDDEN, no_update, None, close
        return no_update, no_update, no_update, close

    app.clientside_callback(
        ClientsideFunction(namespace="atlas_presenter", function_name="ownTitle"),
        Output(ids.TITLED, "data"),  # the title is set on the drawn graph itself
        Input(ids.STORY_TITLE, "data"),
        Input(ids.DRAWN, "data"),
    )
    app.clientside_callback(
        ClientsideFunction(namespace="atlas_presenter", function_name="unhover"),
        Output(ids.UNHOVERED, "data"),
        Input(ids.DRAWN, "data"),
        Input(ids.STORY_STEP, "data"),
        prevent_initial_call=True,
    )
