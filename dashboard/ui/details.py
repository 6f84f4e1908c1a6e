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
from geodata.guideline_text import quotes_zh
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
    return i18n.t("list_sep", lang).join(unit_label(atlas, code, lang) for code in (codes or []))


@functools.cache
def _chinese_quotes() -> dict[tuple[str, str], tuple[str, str]]:
    """(feature id, quote field) -> (the Chinese wording where a source gives it, the Chinese item title)."""
    return {(row.feature_id, row.quote_field): (row.quote_zh, row.item_zh) for row in quotes_zh().itertuples()}


def _english(text: object) -> html.Span:
    """Text in English (a name, a source's note), marked as such for readers and screen readers."""
    return html.Span(text, lang="en")


def _english_row(label: str, text: str, lang: str) -> html.Div:
    """A row whose value is English free text from a source, labelled as English in the Chinese view."""
    return _row(i18n.t("english_text", lang, label=label), _english(text))


def quote_block(row: pd.Series, field: str, section_field: str, lang: str, *, heading: bool = True) -> list:
    """One quote: in the Chinese view the Chinese wording where a source gives it, else the English, said plainly."""
    quote_zh, item_zh = _chinese_quotes().get((row["feature_id"], field), ("", ""))
    cite = html.Cite(i18n.t("section_cite", lang, n=row[section_field]))
    if lang == "zh" and quote_zh:
        out: list = [html.H3(i18n.t("quote_zh", lang))] if heading else []
        out.append(html.Blockquote([f"“{quote_zh}”", cite]))
    else:
        out = [html.H3(i18n.t("quote", lang))] if heading else []
        if heading and lang == "zh":
            out.append(html.P(i18n.t("quote_is_english", lang), className="atlas-note"))
        out.append(html.Blockquote([f"“{row[field]}”", cite], lang="en"))
    if lang == "zh" and item_zh:
        out.append(html.P(i18n.t("item_zh", lang, item=item_zh), className="atlas-note"))
    return out


def _point_rows(atlas: Atlas, row: pd.Series, lang: str) -> list:
    """Where a point lies; a stand-in at a city's reference point claims the city, never the district."""
    t = lambda key: i18n.t(key, lang)  # noqa: E731
    kind = row.get("site_kind")
    kind = kind if isinstance(kind, str) else ""
    if kind == "facility_at_city":
        rows = [_row(t("marks_city"), _units_list(atlas, [row["prefecture_adcode"], *row["province_adcodes"]], lang))]
    else:
        lies_in = [row["county_adcode"], row["prefecture_adcode"], *row["province_adcodes"]]
        rows = [_row(t("lies_in"), _units_list(atlas, lies_in, lang))]
    if kind:
        rows.append(_row(t("site"), t(f"site_kind_{kind}")))
    if isinstance(row.get("site"), str) and row["site"]:
        rows.append(_english_row(t("site_note"), row["site"], lang))
    return rows


def feature_details(atlas: Atlas, row: pd.Series, lang: str) -> list:
    """Names, layer, joined units, members, quote, section, sources and the approximate flag."""
    t = lambda key: i18n.t(key, lang)  # noqa: E731
    approx = bool(row["approximate"])
    roles = row["layer"] == "province_roles"
    rows = [_row(t("layer"), i18n.layer_name(row["layer"], lang))]
    if row.geometry.geom_type == "Point":
        rows += _point_rows(atlas, row, lang)
    else:
        rows.append(_row(t("touches"), _units_list(atlas, row["province_adcodes"], lang)))
        rows.append(_row(t("covers"), _units_list(atlas, row["prefecture_adcodes"], lang)))
        rows.append(_row(t("members"), _units_list(atlas, row["members"], lang)))
    if roles:
        rows.append(_row(t("sectors"), row[f"traditional_sectors_{lang}"]))
        rows.append(_row(t("strategy"), row[f"national_strategy_{lang}"]))
    if isinstance(row.get("tier"), str) and row["tier"]:
        rows.append(_row(t("tier"), t(f"tier_{row['tier']}")))
    quotes = quote_block(row, "quote_sectors" if roles else "quote", "section", lang)
    if roles:
        quotes += quote_block(row, "quote_strategy", "section_strategy", lang, heading=False)
    flag = t("approximate") if approx else t("exact")
    if roles:  # the atlas's own fixed text, not a source's note
        rows.append(_row(t("sources"), t("roles_source")))
    else:
        rows.append(_english_row(t("sources"), row["source"], lang))
    if approx:
        rows.append(_english_row(t("approx_note"), row["approx_note"], lang))
    return [
        html.H2(i18n.name(row, lang), className="atlas-details-name"),
        html.P(row["name_zh"] if lang == "en" else _english(row["name_en"]), className="atlas-details-alt"),
        html.Span(flag, className="atlas-badge atlas-badge-approx" if approx else "atlas-badge"),
        *quotes,
        html.Dl(rows),
    ]


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
        html.P(row["name_zh"] if lang == "en" else _english(row["name_en"]), className="atlas-details-alt"),
        html.Dl(
            [
                _row(t("unit"), f"{t(level)} · {row['adcode']}"),
                _row(t("lies_in"), _units_list(atlas, [p for p in parents if isinstance(p, str)], lang)),
            ]
        ),
        html.H3(i18n.t("count_suffix", lang, text=t("features_inside"), count=len(inside))),
        html.Ul(items, className="atlas-feature-list") if items else html.P(t("none_inside")),
    ]


#: Uploaded features listed in a unit's details, at most.
SHOWN_UPLOADED = 50


def upload_in_unit(layer: UserLayer, state: ViewState, *, adcode: str, level: str) -> list:
    """The upload's aggregate in one admin unit (count, and sum/mean of the chosen column) and its features there."""
    frame = layer.frame[layer.frame[f"{level}_adcode"] == adcode]
    label = state.upload_label if state.upload_label in frame else None
    lang = state.lang
    rows = [_row(i18n.t("upload_count", lang), f"{len(frame):,}")]
    for column in [state.measure_col] if state.measure_col in layer.numeric_columns else layer.numeric_columns[:3]:
        values = pd.to_numeric(frame[column], errors="coerce")
        text = (
            i18n.t("upload_sum_mean", lang, sum=f"{values.sum():,.6g}", mean=f"{values.mean():,.6g}")
            if values.notna().any()
            else i18n.t("no_data", lang)
        )
        rows.append(_row(f"Σ {column}", text))
    names = frame[label].astype(str).tolist() if label else [f"#{i + 1}" for i in frame.index]
    items = [html.Li(name) for name in names[:SHOWN_UPLOADED]]
    more = len(frame) - len(items)
    return [
        html.H3(i18n.t("count_suffix", lang, text=layer.name, count=f"{len(frame):,}")),
        html.Dl(rows),
        html.Ul(items, className="atlas-upload-list") if items else html.P(i18n.t("none_inside", state.lang)),
        *([html.P(i18n.t("and_more", lang, count=f"{more:,}"))] if more > 0 else []),
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
