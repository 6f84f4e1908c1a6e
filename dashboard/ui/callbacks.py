"""Thin callbacks: read the controls, call the state, figure and details functions, return."""

from __future__ import annotations

import base64
from collections.abc import Callable

from dash import (
    ALL,
    ClientsideFunction,
    Dash,
    Input,
    Output,
    Patch,
    State,
    ctx,
    html,
    no_update,
)

from dashboard.config import DEFAULT_ASPECT, DEFAULT_PANEL_WIDTH
from dashboard.export.request import ExportError, export_href, selectable
from dashboard.figures.screen import DELETE, map_figure_data, patch_updates, theme_for, title_height
from dashboard.ui import ids
from dashboard.ui.details import details_panel
from dashboard.ui.layout import (
    EXPORT_FLAGS,
    GRAPH_CONFIG,
    flag_options,
    layer_options,
    level_options,
    measure_options,
    province_options,
    size_options,
    upload_show_options,
)
from dashboard.uploads.ingest import csv_columns, ingest
from dashboard.uploads.store import UploadStore
from dashboard.view import i18n
from dashboard.view.scene import resolve
from dashboard.view.state import ViewState, parse_query, parse_store, to_query, toggled_present, with_step
from dashboard.view.stories import load_story
from geodata import Atlas, load_atlas
from geodata.layers import LAYERS
from geodata.userdata import UserLayer

#: The callbacks of the page: (dependencies, keyword options, function), registered on each app by `register`.
_CALLBACKS: list[tuple[tuple, dict, Callable]] = []


def _on(*dependencies: object, **options: object) -> Callable[[Callable], Callable]:
    """Keep a callback for `register` (the function itself stays callable as it is, for tests)."""

    def keep(function: Callable) -> Callable:
        _CALLBACKS.append((dependencies, options, function))
        return function

    return keep


def register(app: Dash) -> None:
    """Register every callback of the page on `app` (not on Dash's global list), so each app has its own."""
    for dependencies, options, function in _CALLBACKS:
        app.callback(*dependencies, **options)(function)
    app.clientside_callback(
        ClientsideFunction(namespace="atlas", function_name="withPanelAspect"),
        Output(ids.SIZED_VIEW, "data"),
        Input(ids.VIEW, "data"),
        State(ids.MAP, "id"),
    )
    app.clientside_callback(  # the side panels follow the view once the map has its answer (see atlas.js)
        ClientsideFunction(namespace="atlas", function_name="afterMap"),
        Output(ids.LATE_VIEW, "data"),
        Input(ids.DRAWN, "data"),
        State(ids.VIEW, "data"),
    )
    app.clientside_callback(
        ClientsideFunction(namespace="atlas", function_name="pageLanguage"),
        Output(ids.ROOT, "lang"),
        Input(ids.DRAWN, "data"),
    )


def state_from_controls(
    current: ViewState,
    *,
    groups: list[list[str]],
    provinces: list[str],
    level: str,
    lang: str,
    labels: list[str],
    measure: str | None = None,
    measure_col: str | None = None,
    upload_label: str | None = None,
    upload_color: str | None = None,
    upload_show: list[str] | None = None,
) -> ViewState:
    """The view the controls now show; the selection is kept."""
    layers = tuple(layer for group in groups for layer in (group or []))
    return current.with_(
        layers=layers,
        provinces=tuple(provinces or ()) or current.provinces,
        level=level or current.level,
        lang=lang or current.lang,
        labels="on" in (labels or []),
        measure=current.measure if measure is None else measure,
        measure_col=measure_col,
        upload_label=upload_label,
        upload_color=upload_color or current.upload_color,
        upload_show=current.upload_show if upload_show is None else "on" in upload_show,
    )


def control_values(state: ViewState, themes: list[str]) -> tuple:
    """Values for the layer groups (in `themes` order), provinces, level, language, labels and the own layer."""
    theme_of = {layer.id: layer.theme for layer in LAYERS}
    groups = [[layer for layer in state.layers if theme_of[layer] == theme] for theme in themes]
    own = (
        state.measure,
        state.measure_col,
        state.upload_label,
        state.upload_color,
        ["on"] if state.upload_show else [],
    )
    return groups, list(state.provinces), state.level, state.lang, ["on"] if state.labels else [], *own


#: Controls whose change is the trigger: they already show the new value.
SELF_SHOWING = (
    ids.PROVINCES, ids.LEVEL, ids.LANG, ids.LABELS,
    ids.UPLOAD_MEASURE, ids.UPLOAD_COLUMN, ids.UPLOAD_LABEL, ids.UPLOAD_COLOR, ids.UPLOAD_SHOW,
)  # fmt: skip


def unless_shown(new: object, shown: object) -> object:
    """`no_update` where a control already shows `new` (per layer group for the groups' list), else `new`.

    Dash counts every output it is sent as a change: a value sent unchanged re-runs each callback that reads it
    (the language alone re-runs the translation of the whole page), before the map's request goes out.
    """
    if new is no_update:
        return new
    groups = isinstance(new, list) and isinstance(shown, list) and bool(new) and len(new) == len(shown)
    if groups and all(isinstance(item, list) for item in new):
        return [no_update if item == (was or []) else item for item, was in zip(new, shown, strict=True)]
    return no_update if new == shown else new


def next_state(
    trigger: str | dict | None, value: object, current: ViewState, *, atlas: Atlas, controls: dict
) -> tuple[ViewState, list]:
    """The view after one user action, and the URL notices it raised (URL loads only)."""
    if trigger is None or trigger == ids.URL:
        return parse_query(value or "", selectable=selectable(atlas))
    if trigger == ids.RESET:
        return ViewState(lang=current.lang), []
    if trigger == ids.PRESENT:
        return toggled_present(current), []  # presenting starts at step 1
    if trigger in (ids.STEP_NEXT, ids.STEP_PREV):
        step = load_story(current.story).neighbour(current.view, 1 if trigger == ids.STEP_NEXT else -1)
        return with_step(current, step), []  # outside the story, either button starts at its first step
    if trigger == ids.SEARCH:  # a search zooms to what it found
        return (current.with_(select=value, fit="select", center=None, scale=None) if value else current), []
    if trigger == ids.MAP:
        kind_and_id = (value or {}).get("points", [{}])[0].get("customdata")
        return (current.with_(select=kind_and_id[1]) if kind_and_id else current), []
    if isinstance(trigger, dict) and trigger.get("type") == ids.PICK:
        return (current.with_(select=trigger["id"]) if value else current), []
    if trigger == ids.UPLOAD_RESULT:
        fresh = {"upload": value["id"], "measure": "count", "measure_col": None, "upload_label": None}
        fresh |= {key: value[key] for key in ("measure", "measure_col", "level") if value and key in value}  # tables
        return (current.with_(**fresh) if value else current), []
    return state_from_controls(current, **controls).with_(view=None), []


@_on(
    Output(ids.URL, "search"),
    Output(ids.VIEW, "data"),
    Output({"type": ids.LAYER_GROUP, "theme": ALL}, "value"),
    Output(ids.PROVINCES, "value"),
    Output(ids.LEVEL, "value"),
    Output(ids.LANG, "value"),
    Output(ids.LABELS, "value"),
    Output(ids.UPLOAD_MEASURE, "value"),
    Output(ids.UPLOAD_COLUMN, "value"),
    Output(ids.UPLOAD_LABEL, "value"),
    Output(ids.UPLOAD_COLOR, "value"),
    Output(ids.UPLOAD_SHOW, "value"),
    Output(ids.UPLOAD_COLUMN, "options"),
    Output(ids.UPLOAD_LABEL, "options"),
    Output(ids.NOTICE, "children"),
    Output(ids.SEARCH, "value"),
    Input(ids.URL, "search"),
    Input({"type": ids.LAYER_GROUP, "theme": ALL}, "value"),
    Input(ids.PROVINCES, "value"),
    Input(ids.LEVEL, "value"),
    Input(ids.LANG, "value"),
    Input(ids.LABELS, "value"),
    Input(ids.SEARCH, "value"),
    Input(ids.RESET, "n_clicks"),
    Input(ids.MAP, "clickData"),
    Input({"type": ids.PICK, "id": ALL}, "n_clicks"),
    Input(ids.PRESENT, "n_clicks"),
    Input(ids.STEP_PREV, "n_clicks"),
    Input(ids.STEP_NEXT, "n_clicks"),
    Input(ids.UPLOAD_RESULT, "data"),
    Input(ids.UPLOAD_MEASURE, "value"),
    Input(ids.UPLOAD_COLUMN, "value"),
    Input(ids.UPLOAD_LABEL, "value"),
    Input(ids.UPLOAD_COLOR, "value"),
    Input(ids.UPLOAD_SHOW, "value"),
    State(ids.VIEW, "data"),
    State(ids.UPLOAD_COLUMN, "options"),
    State(ids.UPLOAD_LABEL, "options"),
)
def sync_view(
    search, groups, provinces, level, lang, labels, query, _reset, click, _picks, _present, _prev, _next,
    _uploaded, measure, measure_col, upload_label, upload_color, upload_show, view,
    column_options=None, label_options=None,
):  # fmt: skip
    """Keep the URL, the stored view and every control in step, whichever of them changed."""
    atlas = load_atlas()
    trigger = ctx.triggered_id
    value = ctx.triggered[0]["value"] if ctx.triggered else None
    if trigger == ids.MAP:
        value = click
    elif trigger == ids.URL:
        value = search
    current, refused = parse_store(view)  # a store sent back forged loses what is not valid, with a notice
    controls = {
        "groups": groups, "provinces": provinces, "level": level, "lang": lang, "labels": labels,
        "measure": measure, "measure_col": measure_col, "upload_label": upload_label, "upload_color": upload_color,
        "upload_show": upload_show,
    }  # fmt: skip
    state, notices = next_state(trigger, value, current, atlas=atlas, controls=controls)
    themes = [output["id"]["theme"] for output in ctx.outputs_list[2]]
    query_out = to_query(state)
    from_url = trigger is None or trigger == ids.URL
    shown = [*refused, *notices] if from_url else refused
    notice = i18n.notice_text(shown, state.lang) if shown else ""
    # A control the user just changed already shows its value: set the controls only when the view came
    # from elsewhere (URL, reset, story step, upload), so that translate & co. are not re-run for nothing.
    own_control = trigger in SELF_SHOWING or (isinstance(trigger, dict) and trigger.get("type") == ids.LAYER_GROUP)
    own_control &= not (trigger == ids.PROVINCES and not provinces)  # unticking all keeps (and shows) the last choice
    shown_controls = (
        groups, provinces, level, lang, labels, measure, measure_col, upload_label, upload_color, upload_show,
    )  # fmt: skip
    controls_out = [[no_update] * len(themes), *[no_update] * 9] if own_control else control_values(state, themes)
    controls_out = [unless_shown(new, old) for new, old in zip(controls_out, shown_controls, strict=True)]
    columns_out = [no_update] * 2 if own_control and state.upload == current.upload else upload_column_options(state)
    shown_columns = (column_options, label_options)
    columns_out = [unless_shown(new, old) for new, old in zip(columns_out, shown_columns, strict=True)]
    return (
        no_update if from_url or query_out == search else query_out,
        state.to_dict(),
        *controls_out,
        *columns_out,
        notice,
        None if trigger == ids.SEARCH else no_update,
    )


def stored_upload(upload_id: str | None) -> UserLayer | None:
    """A planner's stored layer, or None when there is none (or it has expired)."""
    return UploadStore.from_env().find(upload_id)


def figure_or_patch(atlas: Atlas, old: dict | None, new: dict) -> object:
    """A whole figure when the boundaries, the theme or the panel's shape change, else a Patch of what differs.

    `old` and `new` are {"view": ViewState, "aspect": float}; each view is resolved once into a scene here.
    """
    new_scene = resolve(new["view"], upload=stored_upload(new["view"].upload))
    width = new.get("width") or DEFAULT_PANEL_WIDTH
    redraw = old is None or (old["aspect"], old.get("width")) != (new["aspect"], new.get("width"))
    if redraw or (old["view"].level, old["view"].present) != (new["view"].level, new["view"].present):
        return map_figure_data(atlas, new_scene, aspect=new["aspect"], panel_width=width)  # a plain dict: fast JSON
    same_upload = old["view"].upload == new["view"].upload
    old_scene = resolve(old["view"], upload=new_scene.upload if same_upload else stored_upload(old["view"].upload))
    updates = patch_updates(atlas, old_scene, new_scene, aspect=new["aspect"], panel_width=width)
    return as_patch(updates) if updates else no_update


class PatchData(dict):
    """A dash.Patch as the plain dict the renderer reads ({"__dash_patch_update": ..., "operations": [...]}).

    Dash encodes a callback's answer with orjson when it can: a Patch object makes orjson fail and plotly then walks
    every value of the answer in Python (1.3 s for a patch carrying county boundaries); a dict subclass is encoded
    natively. The server does nothing else with a Patch.
    """

    def to_plotly_json(self) -> dict:
        return dict(self)


def as_patch(updates: list[tuple[tuple, object]]) -> PatchData:
    """The operations of a dash.Patch setting (or, for DELETE, deleting) each path, as PatchData."""
    patch = Patch()
    for path, value in updates:
        target = patch
        for key in path[:-1]:
            target = target[key]
        if value is DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return PatchData(patch.to_plotly_json())


def _sized(data: dict | None) -> dict | None:
    """The view and the map area's width / height (the panel less the title strip)."""
    if not data:
        return None
    view = ViewState.from_dict(data["view"])
    width, height = data.get("width"), data.get("height")
    aspect = DEFAULT_ASPECT
    if width and height:
        aspect = float(width) / max(float(height) - title_height(theme_for(view), story=view.view is not None), 100.0)
    panel_width = round(float(width) / 20) * 20 if width else None  # 20 px steps: a small resize keeps the figure
    return {"view": view, "aspect": round(min(max(aspect, 0.5), 4.0), 2), "width": panel_width}


@_on(Output(ids.MAP, "figure"), Output(ids.DRAWN, "data"), Input(ids.SIZED_VIEW, "data"), State(ids.DRAWN, "data"))
def render_map(sized_view, drawn):
    """Draw the view: a Patch for toggles, filters and language; a new figure for a new level."""
    new = _sized(sized_view)
    if new is None:
        return no_update, no_update
    return figure_or_patch(load_atlas(), _sized(drawn), new), sized_view


@_on(
    Output(ids.ROOT, "className"),
    Output(ids.MAP, "config"),
    Output(ids.STEP_COUNTER, "children"),
    Output(ids.PRESENT, "children"),
    Input(ids.VIEW, "data"),
)
def render_chrome(view):
    """Presenter mode: full-window map, no modebar, the story position; the normal page otherwise."""
    state = ViewState.from_dict(view)
    story = load_story(state.story)
    position = [step.id for step in story.steps].index(state.view) + 1 if state.view else 0
    counter = f"{story.title[state.lang]} · {position} / {len(story.steps)}"
    if not position:  # presenting a view of its own: say how to get back into the story
        counter = f"{story.title[state.lang]} · {i18n.t('story_off', state.lang, n=len(story.steps))}"
    config = {**GRAPH_CONFIG, "displayModeBar": not state.present}
    label = i18n.t("exit_present" if state.present else "present", state.lang)
    return ("atlas atlas-present" if state.present else "atlas"), config, counter, label


def export_link(
    state: ViewState,
    *,
    fmt: str,
    size: str,
    custom: tuple,
    flags: list[str],
    subtitle: str | None,
    title: str | None = None,
) -> tuple[str | None, str | None, str]:
    """(href, file name, error) of the download link for the current view and export choices."""
    width, height, scale = custom
    preset = size
    if size == "custom":
        preset = f"{int(width or 0)}x{int(height or 0)}"
    options = {flag: flag in (flags or []) for flag in EXPORT_FLAGS}
    if subtitle:
        options["subtitle"] = subtitle
    if title and title.strip():
        options["title_text"] = title
    try:
        href = export_href(
            state, fmt=fmt, size=preset, scale=scale if size == "custom" and fmt == "png" else None, options=options
        )
    except ExportError as exc:
        return None, None, str(exc)
    return href, href.split("?")[0].rsplit("/", 1)[-1], ""


@_on(
    Output(ids.EXPORT_LINK, "href"),
    Output(ids.EXPORT_LINK, "download"),
    Output(ids.EXPORT_ERROR, "children"),
    Input(ids.VIEW, "data"),  # the link follows the view at once: an export right after a pan exports that pan
    Input(ids.EXPORT_FORMAT, "value"),
    Input(ids.EXPORT_SIZE, "value"),
    Input(ids.EXPORT_WIDTH, "value"),
    Input(ids.EXPORT_HEIGHT, "value"),
    Input(ids.EXPORT_SCALE, "value"),
    Input(ids.EXPORT_OPTIONS, "value"),
    Input(ids.EXPORT_SUBTITLE, "value"),
    Input(ids.EXPORT_TITLE, "value"),
)
def render_export_link(view, fmt, size, width, height, scale, flags, subtitle, title=None):
    """The download link follows the view and the export choices."""
    state = ViewState.from_dict(view)
    custom = (width, height, scale)
    return export_link(state, fmt=fmt, size=size, custom=custom, flags=flags, subtitle=subtitle, title=title)


@_on(
    Output(ids.UPLOAD_RESULT, "data"),
    Output(ids.UPLOAD_STATUS, "children"),
    Output(ids.UPLOAD_LON, "options"),
    Output(ids.UPLOAD_LAT, "options"),
    Input(ids.UPLOAD, "contents"),
    Input(ids.UPLOAD_LON, "value"),
    Input(ids.UPLOAD_LAT, "value"),
    Input(ids.UPLOAD_CRS, "value"),
    State(ids.UPLOAD, "filename"),
    prevent_initial_call=True,
)
def receive_upload(contents, lon, lat, crs, filename):
    """A dropped file becomes a stored layer; a bad one gets its messages and changes nothing on the map."""
    if not contents or not filename:
        return no_update, no_update, no_update, no_update
    try:
        content = base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (IndexError, ValueError):
        return no_update, [html.P(i18n.t("upload_damaged", "en", filename=filename))], no_update, no_update
    upload_id, messages = ingest(content, filename=filename, lon=lon, lat=lat, crs=crs, store=UploadStore.from_env())
    columns = [{"label": c, "value": c} for c in csv_columns(content)]
    status = [html.P(message, className="atlas-error" if upload_id is None else "") for message in messages]
    return ({"id": upload_id} if upload_id else no_update), status, columns, columns


def upload_column_options(state: ViewState) -> tuple[list[str], list[str]]:
    """Columns of the view's own layer that can colour (numeric) or label the map (sent with the values)."""
    layer = stored_upload(state.upload)
    return (layer.numeric_columns, layer.text_columns) if layer is not None else ([], [])


@_on(Output(ids.UPLOAD_INFO, "children"), Input(ids.LATE_VIEW, "data"))
def describe_upload(view):
    """What the view's own layer is, or that the server no longer has it."""
    state = ViewState.from_dict(view)
    if not state.upload:
        return ""
    layer = stored_upload(state.upload)
    if layer is None:
        missing = i18n.t("upload_missing_id", state.lang, text=i18n.t("upload_missing", state.lang), id=state.upload)
        return html.P(missing, className="atlas-error")
    kept = i18n.t("upload_kept", state.lang)
    fields = {"name": layer.name, "count": len(layer.frame), "crs": layer.source_crs, "id": state.upload, "kept": kept}
    return i18n.t("upload_info", state.lang, **fields)


@_on(Output(ids.DETAILS, "children"), Input(ids.LATE_VIEW, "data"))
def render_details(view):
    """The details of the selected feature or admin unit."""
    state = ViewState.from_dict(view)
    return details_panel(load_atlas(), state, upload=stored_upload(state.upload))


@_on(
    Output({"type": ids.TEXT, "key": ALL}, "children"),
    Output({"type": ids.LAYER_GROUP_TITLE, "theme": ALL}, "children"),
    Output({"type": ids.LAYER_GROUP, "theme": ALL}, "options"),
    Output(ids.PROVINCES, "options"),
    Output(ids.LEVEL, "options"),
    Output(ids.LABELS, "options"),
    Output(ids.SEARCH, "placeholder"),
    Output(ids.RESET, "children"),
    Output(ids.STEP_PREV, "children"),
    Output(ids.STEP_NEXT, "children"),
    Output(ids.CONTROLS_TOGGLE, "children"),
    Output(ids.EXPORT_SIZE, "options"),
    Output(ids.EXPORT_OPTIONS, "options"),
    Output(ids.EXPORT_SUBTITLE, "placeholder"),
    Output(ids.EXPORT_LINK, "children"),
    Output(ids.UPLOAD_LON, "placeholder"),
    Output(ids.UPLOAD_LAT, "placeholder"),
    Output(ids.UPLOAD_CRS, "placeholder"),
    Output(ids.UPLOAD_MEASURE, "options"),
    Output(ids.UPLOAD_COLUMN, "placeholder"),
    Output(ids.UPLOAD_LABEL, "placeholder"),
    Output(ids.UPLOAD_SHOW, "options"),
    Input(ids.LANG, "value"),
    prevent_initial_call=True,
)
def translate(lang):
    """Every static label in the chosen language."""
    atlas = load_atlas()
    keys = [output["id"]["key"] for output in ctx.outputs_list[0]]
    themes = [output["id"]["theme"] for output in ctx.outputs_list[1]]
    return (
        [i18n.t(key, lang) for key in keys],
        [i18n.theme_name(theme, lang) for theme in themes],
        [layer_options(atlas, theme, lang) for theme in themes],
        province_options(lang),
        level_options(lang),
        [{"label": i18n.t("labels", lang), "value": "on"}],
        i18n.t("search", lang),
        i18n.t("reset", lang),
        i18n.t("previous", lang),
        i18n.t("next", lang),
        i18n.t("controls", lang),
        size_options(lang),
        flag_options(lang),
        i18n.t("export_subtitle", lang),
        i18n.t("export_download", lang),
        i18n.t("upload_lon", lang),
        i18n.t("upload_lat", lang),
        i18n.t("upload_crs", lang),
        measure_options(lang),
        i18n.t("measure_column", lang),
        i18n.t("label_column", lang),
        upload_show_options(lang),
    )
