"""Callbacks of a dropped table (join report, accepted candidates), the choropleth's classes and the downloads."""

from __future__ import annotations

import base64

from dash import ALL, MATCH, Dash, Input, Output, State, ctx, dcc, html, no_update

from dashboard.export import datasets
from dashboard.ui import ids
from dashboard.ui import table_upload as ui
from dashboard.uploads.ingest import is_table, match_upload, store_table
from dashboard.uploads.store import UploadStore
from dashboard.view.state import ViewState, to_query
from geodata.tables import TableError, TableMatch

MEDIA = {"csv": "text/csv", "geojson": "application/geo+json", "gpkg": "application/geopackage+sqlite3"}


def _content(contents: str | None) -> bytes | None:
    try:
        return base64.b64decode((contents or "").split(",", 1)[1], validate=True)
    except (IndexError, ValueError):
        return None


def class_controls(view: dict | None) -> tuple:
    """The class controls' values a view implies, so a link opened afresh shows the classes it draws."""
    state = ViewState.from_dict(view)
    tooltip = [c for c in state.tooltip_cols.split(",") if c] or None
    return (state.upload_classes, state.breaks or None, state.legend_title or None, state.legend_unit or None, tooltip)


def table_match(contents: str | None, filename: str | None, *, fixes: dict[int, str] | None = None) -> TableMatch:
    """The dropped table matched to the units; TableError when it is not a table or cannot be read."""
    content = _content(contents)
    if content is None or not filename or not is_table(content, filename=filename):
        raise TableError("not a table without coordinates")
    return match_upload(content, filename=filename, fixes=fixes)


def show_report(contents: str | None, filename: str | None) -> tuple[object, bool]:
    """(the report, whether the apply button is hidden) for a dropped file; nothing for a file of features."""
    try:
        match = table_match(contents, filename)
    except TableError as exc:
        content = _content(contents)
        if content is not None and filename and is_table(content, filename=filename):
            return [html.P(f"{filename}: {exc}", className="atlas-error")], True
        return [], True
    return ui.report(match), False


def apply_table(contents: str | None, filename: str | None, values: list, row_ids: list[dict]) -> tuple:
    """Store the table with the planner's choices: (upload result, report, status)."""
    fixes = {int(i["row"]): v for i, v in zip(row_ids, values, strict=True) if v}
    try:
        match = table_match(contents, filename, fixes=fixes)
    except TableError as exc:
        return no_update, no_update, html.P(f"{filename or 'the table'}: {exc}", className="atlas-error")
    upload_id, messages = store_table(match, filename=filename, store=UploadStore.from_env())
    numeric = [c for c in _numeric(match) if c != match.column]
    result = {"id": upload_id, "level": match.level}
    result |= {"measure": "sum", "measure_col": numeric[0]} if numeric else {"measure": "count"}
    return result, ui.report(match), [html.P(m) for m in messages]


def _numeric(match: TableMatch) -> list[str]:
    import pandas as pd

    out = []
    for column in match.table.columns:
        values = match.table[column].dropna()
        if len(values) and pd.to_numeric(values, errors="coerce").notna().all():
            out.append(str(column))
    return out


def with_classes(
    view: dict | None, *, method: str, breaks: str, title: str, unit: str, tooltip: list[str] | None = None
) -> dict:
    """The view with the choropleth's class method, breaks and legend text, and the columns shown on hover."""
    state = ViewState.from_dict(view)
    clean = breaks.replace(" ", "") if breaks else ""
    if clean and not all(_is_number(b) for b in clean.split(",")):
        clean = state.breaks  # a typo keeps the last good breaks
    cols = ",".join(c for c in (tooltip or []) if "," not in c)
    changes = {"upload_classes": method or "", "breaks": clean, "legend_title": title or "", "legend_unit": unit or ""}
    return state.with_(**changes, tooltip_cols=cols).to_dict()


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def download(kind: str, view: dict | None) -> dict | None:
    """The upload of the view as a file to save (None when there is none)."""
    state = ViewState.from_dict(view)
    layer = UploadStore.from_env().find(state.upload)
    if layer is None:
        return None
    stem = layer.name.rsplit(".", 1)[0] or "upload"
    if kind == "units":
        data = datasets.per_unit_csv_bytes(layer, level=state.level)
        return dcc.send_bytes(data, f"{stem}-per-{state.level}.csv", type="text/csv")
    writer = {
        "csv": datasets.layer_csv_bytes,
        "geojson": datasets.layer_geojson_bytes,
        "gpkg": datasets.layer_gpkg_bytes,
    }
    return dcc.send_bytes(writer[kind](layer), f"{stem}-joined.{kind}", type=MEDIA[kind])


def register(app: Dash) -> None:
    """Add this module's callbacks to the app."""
    app.callback(
        Output(ui.REPORT, "children"),
        Output(ui.APPLY, "hidden"),
        Input(ids.UPLOAD, "contents"),
        State(ids.UPLOAD, "filename"),
        prevent_initial_call=True,
    )(show_report)

    @app.callback(
        Output(ids.UPLOAD_RESULT, "data", allow_duplicate=True),
        Output(ui.REPORT, "children", allow_duplicate=True),
        Output(ui.APPLY_STATUS, "children"),
        Input(ui.APPLY, "n_clicks"),
        State(ids.UPLOAD, "contents"),
        State(ids.UPLOAD, "filename"),
        State({"type": ui.FIX, "row": ALL}, "value"),
        State({"type": ui.FIX, "row": ALL}, "id"),
        prevent_initial_call=True,
    )
    def _apply(clicks, contents, filename, values, row_ids):
        return apply_table(contents, filename, values, row_ids) if clicks else (no_update,) * 3

    @app.callback(
        Output({"type": ui.FIX, "row": MATCH}, "value"),
        Input({"type": ui.ACCEPT, "row": MATCH}, "n_clicks"),
        State({"type": ui.FIX, "row": MATCH}, "options"),
        prevent_initial_call=True,
    )
    def _accept(clicks, options):
        return options[0]["value"] if clicks and options else no_update

    @app.callback(
        Output(ids.URL, "search", allow_duplicate=True),  # the URL is the view: sync_view reads it into the store
        Input(ui.CLASSES, "value"),
        Input(ui.BREAKS, "value"),
        Input(ui.TITLE, "value"),
        Input(ui.UNIT, "value"),
        Input(ui.TOOLTIP, "value"),
        State(ids.VIEW, "data"),
        prevent_initial_call=True,
    )
    def _classes(method, breaks, title, unit, tooltip, view):
        changed = with_classes(view, method=method, breaks=breaks or "", title=title, unit=unit, tooltip=tooltip)
        return to_query(ViewState.from_dict(changed))

    @app.callback(
        Output(ui.CLASSES, "value"),
        Output(ui.BREAKS, "value"),
        Output(ui.TITLE, "value"),
        Output(ui.UNIT, "value"),
        Output(ui.TOOLTIP, "value"),
        Input(ids.VIEW, "data"),  # controls follow the view at once (later, they could undo what is being typed)
        State(ui.CLASSES, "value"),
        State(ui.BREAKS, "value"),
        State(ui.TITLE, "value"),
        State(ui.UNIT, "value"),
        State(ui.TOOLTIP, "value"),
    )
    def _refill(view, *shown):
        wanted = class_controls(view)
        return (no_update,) * len(wanted) if tuple(shown) == wanted else wanted

    @app.callback(Output(ui.TOOLTIP, "options"), Input(ids.LATE_VIEW, "data"))
    def _tooltip_options(view):
        layer = UploadStore.from_env().find(ViewState.from_dict(view).upload)
        return [] if layer is None else [{"label": c, "value": c} for c in layer.text_columns]

    @app.callback(
        Output(ui.DOWNLOAD, "data"),
        Input({"type": ui.DOWNLOAD_BUTTON, "kind": ALL}, "n_clicks"),
        State(ids.VIEW, "data"),
        prevent_initial_call=True,
    )
    def _download(_clicks, view):
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not ctx.triggered[0]["value"]:
            return no_update
        return download(trigger["kind"], view) or no_update
