"""The details panel: what the atlas knows about the selected feature or admin unit."""

from __future__ import annotations

import functools

import pandas as pd
from dash import html

from dashboard.figures.screen import find_selection
from dashboard.ui import ids
from dashboard.view import i18n
from dashboard.view.state import ViewState
from geodata import Atlas, features_in_unit
from geodata.userdata import UserLayer


@functools.cache
def _unit_names(atlas: Atlas) -> dict[str, tuple[str, str, str]]:
    names = {}
    for level in ("county", "prefecture", "province"):
        for row in atlas.units(level).itertuples():
            names[row.adcode] = (row.name_en, row.name_zh, level)
    return names


def unit_label(atlas: Atlas, adcode: str, lang: str) -> str:
    """An admin unit's name in the chosen language, or its code when the atlas lacks it."""
    en, zh, _ = _unit_names(atlas).get(adcode, (adcode, adcode, ""))
    return zh if lang == "zh" else en


def _row(label: str, value: object) -> html.Div:
    return html.Div([html.Dt(label), html.Dd(value)], className="atlas-dl-row")


def _units_list(atlas: Atlas, codes: list[str] | None, lang: str) -> str:
    sep = "、" if lang == "zh" else ", "
    return sep.join(unit_label(atlas, code, lang) for code in (codes or []))


def feature_details(atlas: Atlas, row: pd.Series, lang: str) -> list:
    """Names, layer, joined units, members, quote, section, sources and the approximate flag."""
    t = lambda key: i18n.t(key, lang)  # noqa: E731
    approx = bool(row["approximate"])
    rows = [_row(t("layer"), i18n.layer_name(row["layer"], lang))]
    if row.geometry.geom_type == "Point":
        lies_in = [row["county_adcode"], row["prefecture_adcode"], *row["province_adcodes"]]
        rows.append(_row(t("lies_in"), _units_list(atlas, lies_in, lang)))
        if row.get("site"):
            rows.append(_row("Site" if lang == "en" else "位置", row["site"]))
    else:
        rows.append(_row(t("touches"), _units_list(atlas, row["province_adcodes"], lang)))
        rows.append(_row(t("covers"), _units_list(atlas, row["prefecture_adcodes"], lang)))
        rows.append(_row(t("members"), _units_list(atlas, row["members"], lang)))
    if row["layer"] == "province_roles":
        rows.append(_row(t("sectors"), row[f"traditional_sectors_{lang}"]))
        rows.append(_row(t("strategy"), row[f"national_strategy_{lang}"]))
    if isinstance(row.get("tier"), str) and row["tier"]:
        rows.append(_row(t("layer"), t(f"tier_{row['tier']}")))
    quotes = [html.Blockquote([f"“{row['quote']}”", html.Cite(_section(row["section"], lang))])]
    if isinstance(row.get("quote_strategy"), str) and row["quote_strategy"]:
        quotes.append(
            html.Blockquote([f"“{row['quote_strategy']}”", html.Cite(_section(row["section_strategy"], lang))])
        )
    flag = t("approximate") if approx else t("exact")
    rows.append(_row(t("sources"), row["source"]))
    if approx:
        rows.append(_row(flag, row["approx_note"]))
    return [
        html.H2(row["name_en"] if lang == "en" else row["name_zh"], className="atlas-details-name"),
        html.P(row["name_zh"] if lang == "en" else row["name_en"], className="atlas-details-alt"),
        html.Span(flag, className="atlas-badge atlas-badge-approx" if approx else "atlas-badge"),
        html.H3(t("quote")),
        *quotes,
        html.Dl(rows),
    ]


def _section(section: str, lang: str) -> str:
    return f"第{section}部分" if lang == "zh" else f"Guideline section {section}"


def unit_details(atlas: Atlas, row: pd.Series, lang: str) -> list:
    """An admin unit and every guideline feature in it (the join read backwards)."""
    t = lambda key: i18n.t(key, lang)  # noqa: E731
    _, _, level = _unit_names(atlas)[row["adcode"]]
    parents = [row.get("prefecture_adcode"), row.get("province_adcode")]
    inside = features_in_unit(atlas, adcode=row["adcode"])
    items = [
        html.Li(
            html.Button(
                f"{i18n.name(f, lang)} · {i18n.layer_name(f['layer'], lang)}",
                id={"type": ids.PICK, "id": f["feature_id"]},
                className="atlas-link",
            )
        )
        for _, f in inside.iterrows()
    ]
    return [
        html.H2(i18n.name(row, lang), className="atlas-details-name"),
        html.P(row["name_zh"] if lang == "en" else row["name_en"], className="atlas-details-alt"),
        html.Dl(
            [
                _row(t("unit"), f"{t(level)} · {row['adcode']}"),
                _row(t("lies_in"), _units_list(atlas, [p for p in parents if isinstance(p, str)], lang)),
            ]
        ),
        html.H3(f"{t('features_inside')} ({len(inside)})"),
        html.Ul(items, className="atlas-feature-list") if items else html.P(t("none_inside")),
    ]


#: Uploaded features listed in a unit's details, at most.
SHOWN_UPLOADED = 50


def upload_in_unit(layer: UserLayer, state: ViewState, *, adcode: str, level: str) -> list:
    """The upload's aggregate in one admin unit (count, and sum/mean of the chosen column) and its features there."""
    frame = layer.frame[layer.frame[f"{level}_adcode"] == adcode]
    label = state.upload_label if state.upload_label in frame else None
    rows = [_row("Count" if state.lang == "en" else "数量", f"{len(frame):,}")]
    for column in [state.measure_col] if state.measure_col in layer.numeric_columns else layer.numeric_columns[:3]:
        values = pd.to_numeric(frame[column], errors="coerce")
        text = (
            f"{values.sum():,.6g} · mean {values.mean():,.6g}"
            if values.notna().any()
            else i18n.t("no_data", state.lang)
        )
        rows.append(_row(f"Σ {column}", text))
    names = frame[label].astype(str).tolist() if label else [f"#{i + 1}" for i in frame.index]
    items = [html.Li(name) for name in names[:SHOWN_UPLOADED]]
    more = len(frame) - len(items)
    return [
        html.H3(f"{layer.name} ({len(frame):,})"),
        html.Dl(rows),
        html.Ul(items, className="atlas-upload-list") if items else html.P(i18n.t("none_inside", state.lang)),
        *([html.P(f"… and {more:,} more")] if more > 0 else []),
    ]


def details_panel(atlas: Atlas, state: ViewState, *, upload: UserLayer | None = None) -> list:
    """The panel's content for a view: the selection's details (with the upload's share of a unit), or a hint."""
    row = find_selection(atlas, state.select)
    if row is None:
        return [html.H3(i18n.t("details", state.lang)), html.P(i18n.t("details_hint", state.lang))]
    if "feature_id" in row and isinstance(row["feature_id"], str):
        return feature_details(atlas, row, state.lang)
    extra = []
    if upload is not None:
        extra = upload_in_unit(upload, state, adcode=row["adcode"], level=_unit_names(atlas)[row["adcode"]][2])
    return unit_details(atlas, row, state.lang) + extra
