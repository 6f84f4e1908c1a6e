"""The join report of an uploaded table, the choropleth's class controls and the upload's downloads (components)."""

from __future__ import annotations

from dash import dcc, html

from dashboard.view import i18n
from dashboard.view.state import UPLOAD_CLASS_METHODS
from geodata import tables

PREFIX = "atlas-table"
REPORT = f"{PREFIX}-report"  # the join report of the last table dropped
FIX = f"{PREFIX}-fix"  # pattern-matching type; key "row": the unit chosen for an unmatched row
ACCEPT = f"{PREFIX}-accept"  # pattern-matching type; key "row": take the row's closest candidate
APPLY = f"{PREFIX}-apply"  # button: draw the matched rows (with the choices made)
APPLY_STATUS = f"{PREFIX}-apply-status"
CLASSES = f"{PREFIX}-classes"
BREAKS = f"{PREFIX}-breaks"
TITLE = f"{PREFIX}-title"
UNIT = f"{PREFIX}-unit"
TOOLTIP = f"{PREFIX}-tooltip"  # the columns shown on hover
DOWNLOAD = f"{PREFIX}-download"
DOWNLOAD_KINDS = ("csv", "geojson", "gpkg", "units")
DOWNLOAD_BUTTON = f"{PREFIX}-download-button"  # pattern-matching type; key "kind"
SHOWN_UNITS = 50


def panel() -> html.Div:
    """Everything this module adds to the upload panel: report, class controls, downloads."""
    return html.Div(
        className="atlas-table-upload",
        children=[
            html.Div(id=REPORT, className="atlas-join-report", role="status"),
            html.Button(i18n.both("table_apply"), id=APPLY, n_clicks=0, className="atlas-button", hidden=True),
            html.Div(id=APPLY_STATUS, role="status"),
            dcc.Dropdown(
                id=CLASSES,
                options=[
                    {"label": i18n.both(f"table_class_{m or 'auto'}"), "value": m} for m in ("", *UPLOAD_CLASS_METHODS)
                ],
                value="",
                clearable=False,
            ),
            dcc.Input(id=BREAKS, type="text", debounce=True, placeholder=i18n.both("table_breaks")),
            dcc.Input(id=TITLE, type="text", debounce=True, placeholder=i18n.both("table_legend_title")),
            dcc.Input(id=UNIT, type="text", debounce=True, placeholder=i18n.both("table_unit")),
            dcc.Dropdown(id=TOOLTIP, multi=True, placeholder=i18n.both("table_tooltip")),
            html.Div(
                className="atlas-row",
                children=[
                    html.Button(
                        i18n.both(f"table_download_{kind}"),
                        id={"type": DOWNLOAD_BUTTON, "kind": kind},
                        n_clicks=0,
                        className="atlas-button",
                    )
                    for kind in DOWNLOAD_KINDS
                ],
            ),
            dcc.Download(id=DOWNLOAD),
        ],
    )


def _choices(row: tables.RowMatch, *, level: str) -> list[dict]:
    """The row's candidates first (with their score), then every unit of the level, for a hand-made choice."""
    first = [{"label": f"{c.label} · {c.score:.0f}%", "value": c.adcode} for c in row.candidates]
    named = {c.adcode for c in row.candidates}
    units = tables.unit_table()
    rest = units[(units["level"] == level) & ~units["adcode"].isin(named)]
    return first + [{"label": tables.unit_label(code), "value": code} for code in rest["adcode"]]


def _unmatched_row(row: tables.RowMatch, *, level: str) -> html.Tr:
    best = row.candidates[0].label if row.candidates else "—"
    accept = (
        html.Button(
            i18n.both("table_accept"), id={"type": ACCEPT, "row": row.row}, n_clicks=0, className="atlas-button"
        )
        if row.candidates
        else ""
    )
    return html.Tr(
        [
            html.Td(str(row.row + 2)),
            html.Td(row.key or "—"),
            html.Td(row.reason),
            html.Td([best, " ", accept], className="atlas-candidate"),
            html.Td(
                dcc.Dropdown(
                    id={"type": FIX, "row": row.row},
                    options=_choices(row, level=level),
                    placeholder=i18n.both("table_choose"),
                    className="atlas-fix",
                )
            ),
        ],
        className="atlas-unmatched",
    )


def report(match: tables.TableMatch) -> list:
    """The join report: matched n of m, unmatched rows with candidates to accept, duplicates, units with no row."""
    out: list = [
        html.H3(i18n.both("table_report")),
        html.P(match.describe(), className="atlas-join-summary"),
    ]
    if match.unmatched:
        head = html.Tr([html.Th(i18n.both(f"table_col_{c}")) for c in ("line", "value", "why", "closest", "use")])
        body = [_unmatched_row(r, level=match.level) for r in match.unmatched]
        out += [html.H4(i18n.both("table_unmatched", n=len(match.unmatched))), html.Table([head, *body])]
    accepted = [r for r in match.rows if r.status == tables.ACCEPTED]
    if accepted:
        items = [
            html.Li(i18n.both("table_row", line=r.row + 2, key=r.key, unit=tables.unit_label(r.adcode)))
            for r in accepted
        ]
        out += [html.H4(i18n.both("table_accepted", n=len(accepted))), html.Ul(items)]
    if match.duplicates:
        items = [
            html.Li(i18n.both("table_row", line=r.row + 2, key=r.key, unit=tables.unit_label(r.adcode)))
            for r in match.duplicates
        ]
        out += [html.H4(i18n.both("table_duplicates", n=len(match.duplicates))), html.Ul(items)]
    if match.missing_units:
        names = [tables.unit_label(code) for code in match.missing_units[:SHOWN_UNITS]]
        more = len(match.missing_units) - len(names)
        text = "; ".join(names) + (i18n.both("table_more", n=more) if more > 0 else "")
        summary = i18n.both("table_no_row", n=len(match.missing_units), level=match.level)
        out.append(html.Details([html.Summary(summary), text]))
    return out
