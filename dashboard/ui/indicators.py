"""The Indicators control (indicator, playable year, variant, classes, palette) and the targets panel."""

from __future__ import annotations

import pandas as pd
from dash import dcc, html

from dashboard.figures import indicators as figures
from dashboard.view import i18n
from dashboard.view.state import CLASS_METHODS, ViewState
from geodata.classify import PALETTES
from geodata.indicators import PROVINCES, VINTAGES
from geodata.indicators.schema import NAMES
from geodata.indicators.targets import (
    BEHIND,
    NOT_ENOUGH_DATA,
    ON_TRACK,
    RD_TARGET,
    TargetStatus,
    load_targets,
    sentence,
    targets_table,
)

PREFIX = "atlas-ind"
INDICATOR = f"{PREFIX}-indicator"
YEAR = f"{PREFIX}-year"
PLAY = f"{PREFIX}-play"
TICK = f"{PREFIX}-tick"  # dcc.Interval: one step of the year while playing
VARIANT = f"{PREFIX}-variant"
VARIANT_ROW = f"{PREFIX}-variant-row"
CLASSES = f"{PREFIX}-classes"
PALETTE = f"{PREFIX}-palette"
TARGETS = f"{PREFIX}-targets"
PROVINCE = f"{PREFIX}-province"  # the clicked province's value and its source
TEXT = f"{PREFIX}-text"  # pattern-matching type; key "key": a translated label of this panel
PLAY_MS = 1500
STATUS_CLASS = {ON_TRACK: "atlas-on-track", BEHIND: "atlas-behind", NOT_ENOUGH_DATA: "atlas-no-data"}


def _text(key: str, lang: str, tag: type = html.Span, **kwargs: object) -> html.Component:
    return tag(i18n.t(key, lang), id={"type": TEXT, "key": key}, **kwargs)


def indicator_options(frame: pd.DataFrame, lang: str) -> list[dict]:
    """ "None" and every indicator with provincial values."""
    none = [{"label": i18n.t("ind_none", lang), "value": ""}]
    return none + [
        {"label": figures.indicator_label(name, lang), "value": name} for name in figures.map_indicators(frame)
    ]


def variant_label(frame: pd.DataFrame, *, indicator: str, variant: str, lang: str) -> str:
    """A variant named by its vintage(s), e.g. "year-end, 2020-census basis"."""
    rows = figures.provincial(frame, indicator=indicator)
    vintages = list(dict.fromkeys(rows.loc[rows["variant"] == variant, "vintage"]))
    names = [VINTAGES.get(v, (v, v))[lang == "zh"] for v in vintages]
    return " / ".join(names) or variant


def variant_options(frame: pd.DataFrame, *, indicator: str | None, lang: str) -> list[dict]:
    """The variants of an indicator, most values first."""
    if not indicator:
        return []
    return [
        {"label": variant_label(frame, indicator=indicator, variant=v, lang=lang), "value": v}
        for v in figures.variants(frame, indicator=indicator)
    ]


def class_options(lang: str) -> list[dict]:
    """The classification methods."""
    return [{"label": i18n.t(f"ind_{method}", lang), "value": method} for method in CLASS_METHODS]


def palette_options() -> list[dict]:
    """The colour-blind-safe sequential palettes."""
    return [{"label": name, "value": name} for name in PALETTES]


def year_marks(years: list[int]) -> dict:
    """Slider marks: every year present."""
    return {str(year): str(year) for year in years}


def indicator_panel(frame: pd.DataFrame, lang: str) -> html.Div:
    """The Indicators control of the control column."""
    return html.Div(
        className="atlas-indicators",
        children=[
            _text("ind_heading", lang, html.H2),
            dcc.Dropdown(id=INDICATOR, options=indicator_options(frame, lang), value="", clearable=False),
            html.Div(
                className="atlas-row atlas-year-row",
                children=[
                    html.Button("▶", id=PLAY, n_clicks=0, className="atlas-button atlas-play", title="Play"),
                    html.Div(
                        dcc.Slider(id=YEAR, min=2019, max=2024, step=None, value=None, marks={}, included=False),
                        className="atlas-year-slider",
                    ),
                ],
            ),
            dcc.Interval(id=TICK, interval=PLAY_MS, disabled=True),
            html.Div(
                id=VARIANT_ROW,
                style={"display": "none"},
                children=[_text("ind_variant", lang, html.H3), dcc.Dropdown(id=VARIANT, clearable=False)],
            ),
            _text("ind_classes", lang, html.H3),
            dcc.RadioItems(id=CLASSES, options=class_options(lang), value=CLASS_METHODS[0]),
            _text("ind_palette", lang, html.H3),
            dcc.Dropdown(id=PALETTE, options=palette_options(), value=None, clearable=False),
            html.Div(id=PROVINCE, className="atlas-ind-province"),
        ],
    )


def targets_section(lang: str) -> html.Section:
    """The targets panel's place under the map (filled by a callback)."""
    return html.Section(id=TARGETS, className="atlas-targets", children=[])


# ---- the targets panel ---------------------------------------------------------------------------------------------


def status_item(status: TargetStatus, *, lang: str) -> html.Li:
    """One unit's plain sentence, marked by status (and low confidence)."""
    classes = ["atlas-target", STATUS_CLASS[status.status], status.adcode]
    if status.low_confidence:
        classes.append("atlas-low-confidence")
    badge = i18n.t(f"ind_{status.status}", lang)
    return html.Li(
        className=" ".join(classes),
        **{"data-status": status.status, "data-adcode": status.adcode},
        children=[html.Span(badge, className="atlas-target-badge"), " ", sentence(status, lang=lang)],
    )


def target_block(target: dict, statuses: list[TargetStatus], figure: dict, *, lang: str) -> html.Div:
    """One target: the guideline's words, a sentence per province and the region, the trend chart."""
    quote = target["quote_zh"] if lang == "zh" else target["quote_en"]
    section = target["section_zh"] if lang == "zh" else target["section_en"]
    due = target["due_phrase_zh"] if lang == "zh" else target["due_phrase_en"]
    return html.Div(
        className="atlas-target-block",
        **{"data-target": target["target_id"]},
        children=[
            html.H3(i18n.t(f"ind_target_{target['target_id']}", lang)),
            html.Blockquote([f"{due}, … {quote}" if lang == "en" else f"{due}，{quote}", html.Cite(section)]),
            html.Ul([status_item(s, lang=lang) for s in statuses], className="atlas-target-list"),
            dcc.Graph(figure=figure, config={"displayModeBar": False}, className="atlas-trend"),
            trend_key(target["indicator"], lang=lang),
        ],
    )


def trend_key(indicator: str, *, lang: str) -> html.Div:
    """The key of a trend chart: a short line in each unit's colour (dashed for China), open dots = low confidence."""
    items = [
        html.Span(
            [html.Span(className="atlas-key-line", style={"borderTop": f"3px {'dashed' if dash else 'solid'} {c}"}), n],
            className="atlas-key-item",
        )
        for n, c, dash in figures.trend_key(indicator, lang=lang)
    ]
    items.append(html.Span(i18n.t("ind_open_dot", lang), className="atlas-key-item atlas-key-note"))
    return html.Div(items, className="atlas-trend-key")


def targets_panel(frame: pd.DataFrame, state: ViewState) -> list:
    """Both 2025 targets as of the shown year (the latest when no indicator is shown)."""
    lang = state.lang
    shown = figures.resolve(frame, state)
    as_of = shown.year if shown else None
    statuses = targets_table(frame, as_of=as_of)
    blocks = []
    for target in load_targets():
        own = [s for s in statuses if s.target == target["target_id"]]
        indicator = "rd_intensity" if target["target_id"] == RD_TARGET else "urbanization_rate"
        figure = figures.trend_figure(frame, indicator=indicator, lang=lang, year=as_of)
        blocks.append(target_block(target, own, figure, lang=lang))
    heading = i18n.t("ind_targets", lang) + (f" · {as_of}" if as_of else "")
    body = html.Div(blocks, className="atlas-target-blocks")
    # Folded while no indicator is on, so the map keeps the window; opened with the indicator it explains.
    summary = html.Summary(html.H2(heading, className="atlas-targets-heading"))
    return [html.Details([summary, body], open=shown is not None, className="atlas-targets-fold")]


def province_detail(frame: pd.DataFrame, state: ViewState) -> list:
    """The selected province's value of the shown indicator with its vintage, source, excerpt and flags."""
    shown = figures.resolve(frame, state)
    if shown is None or state.select not in PROVINCES:
        return []
    rows = figures.shown_rows(frame, shown)
    row = rows[rows["adcode"] == state.select].iloc[0]
    lang = state.lang
    name = NAMES[lang][state.select]
    heading = html.H3(f"{name} · {figures.title_text(shown, lang)}")
    if pd.isna(row["value"]):
        return [heading, html.P(i18n.t("no_data", lang), className="atlas-no-data")]
    words = figures.LABELS[lang]
    items = [
        (words["vintage"], VINTAGES.get(row["vintage"], (row["vintage"],) * 2)[lang == "zh"]),
        (words["source"], row["source_title"]),
        ("", html.Q(row["excerpt"])),
        (words["cross_checked"], words["yes"] if bool(row["cross_checked"]) else words["no"]),
    ]
    if row["source_where"]:
        items.insert(2, ("", html.Small(row["source_where"])))
    if row["other_sources"]:
        items.append((words["sources"], row["other_sources"]))
    body = [html.P(html.B(figures.format_value(float(row["value"]), indicator=shown.indicator)))]
    body += [html.P([html.B(f"{k}: ") if k else "", v]) for k, v in items]
    if bool(row["low_confidence"]):
        body.append(html.P(f"⚠ {words['low_confidence']}", className="atlas-low-confidence"))
    return [heading, *body]
