"""The join report of an uploaded table, the choropleth's class controls and the upload's downloads (components)."""

from __future__ import annotations

from dash import dcc, html

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
DOWNLOAD_KINDS = {"csv": "CSV", "geojson": "GeoJSON", "gpkg": "GeoPackage", "units": "Per-unit table (CSV) · 分单元表"}
DOWNLOAD_BUTTON = f"{PREFIX}-download-button"  # pattern-matching type; key "kind"
SHOWN_UNITS = 50
APPLY_TEXT = "Draw the matched rows · 绘制已匹配行"
CLASS_LABELS = {
    "": "Classes: automatic · 自动分级",
    "quantiles": "Quantiles · 分位数",
    "fisher_jenks": "Natural breaks (Fisher-Jenks) · 自然断点",
    "equal_interval": "Equal intervals · 等间距",
    "user": "My breaks · 自定义断点",
    "rank": "One class per value · 每值一级",
}


def panel() -> html.Div:
    """Everything this module adds to the upload panel: report, class controls, downloads."""
    return html.Div(
        className="atlas-table-upload",
        children=[
            html.Div(id=REPORT, className="atlas-join-report", role="status"),
            html.Button(APPLY_TEXT, id=APPLY, n_clicks=0, className="atlas-button", hidden=True),
            html.Div(id=APPLY_STATUS, role="status"),
            dcc.Dropdown(
                id=CLASSES,
                options=[{"label": CLASS_LABELS[m], "value": m} for m in ("", *UPLOAD_CLASS_METHODS)],
                value="",
                clearable=False,
            ),
            dcc.Input(id=BREAKS, type="text", debounce=True, placeholder="Breaks · 断点, e.g. 10,20,50"),
            dcc.Input(id=TITLE, type="text", debounce=True, placeholder="Legend title · 图例标题"),
            dcc.Input(id=UNIT, type="text", debounce=True, placeholder="Unit · 单位, e.g. 亿元"),
            dcc.Dropdown(id=TOOLTIP, multi=True, placeholder="Columns on hover · 悬停显示的列"),
            html.Div(
                className="atlas-row",
                children=[
                    html.Button(label, id={"type": DOWNLOAD_BUTTON, "kind": kind}, n_clicks=0, className="atlas-button")
                    for kind, label in DOWNLOAD_KINDS.items()
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
        html.Button("Accept · 接受", id={"type": ACCEPT, "row": row.row}, n_clicks=0, className="atlas-button")
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
                    placeholder="choose a unit · 选择单元",
                    className="atlas-fix",
                )
            ),
        ],
        className="atlas-unmatched",
    )


def report(match: tables.TableMatch) -> list:
    """The join report: matched n of m, unmatched rows with candidates to accept, duplicates, units with no row."""
    out: list = [
        html.H3("Join report · 匹配报告"),
        html.P(match.describe(), className="atlas-join-summary"),
    ]
    if match.unmatched:
        head = html.Tr([html.Th(h) for h in ("Line 行", "Value 值", "Why 原因", "Closest unit 最接近", "Use 采用")])
        body = [_unmatched_row(r, level=match.level) for r in match.unmatched]
        out += [html.H4(f"Unmatched rows ({len(match.unmatched)})"), html.Table([head, *body])]
    accepted = [r for r in match.rows if r.status == tables.ACCEPTED]
    if accepted:
        items = [html.Li(f"line {r.row + 2}: {r.key} → {tables.unit_label(r.adcode)}") for r in accepted]
        out += [html.H4(f"Accepted by you ({len(accepted)})"), html.Ul(items)]
    if match.duplicates:
        items = [html.Li(f"line {r.row + 2}: {r.key} → {tables.unit_label(r.adcode)}") for r in match.duplicates]
        out += [html.H4(f"Rows sharing a unit ({len(match.duplicates)}): their values are added up"), html.Ul(items)]
    if match.missing_units:
        names = [tables.unit_label(code) for code in match.missing_units[:SHOWN_UNITS]]
        more = len(match.missing_units) - len(names)
        text = "; ".join(names) + (f"; and {more} more" if more > 0 else "")
        out.append(html.Details([html.Summary(f"{len(match.missing_units)} {match.level} units have no row"), text]))
    return out
