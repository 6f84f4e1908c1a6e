"""The Chinese view: details and legend in Chinese, English only where marked (names, sources' notes, quotes)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from dash import html

from dashboard.figures.printing import PrintOptions, print_figure
from dashboard.figures.screen import map_figure
from dashboard.ui import details
from dashboard.ui.details import details_panel
from dashboard.view import i18n
from dashboard.view.scene import resolve
from dashboard.view.state import ViewState
from geodata.layers import LAYER_IDS

LATIN = re.compile(r"[A-Za-z]+")


def _children(node: object) -> list:
    children = getattr(node, "children", None) if not isinstance(node, list | tuple) else node
    if children is None or isinstance(children, str | int | float):
        return []
    return list(children) if isinstance(children, list | tuple) else [children]


def walk(node: object, parents: tuple = ()) -> Iterator[tuple[object, tuple]]:
    """Every component and string of a tree, with its ancestors."""
    yield node, parents
    for child in _children(node):
        yield from walk(child, (*parents, node) if not isinstance(node, list | tuple) else parents)
    text = getattr(node, "children", None)
    if isinstance(text, str | int | float):
        yield str(text), (*parents, node)


def unmarked_text(tree: object) -> str:
    """The text a reader sees as Chinese: everything outside parts marked lang="en"."""
    strings = []
    for node, parents in walk(tree):
        if isinstance(node, str) and not any(getattr(p, "lang", None) == "en" for p in parents):
            strings.append(node)
    return " ".join(strings)


def text_of(tree: object) -> str:
    return " ".join(node for node, _ in walk(tree) if isinstance(node, str))


def rows(panel: list) -> dict[str, str]:
    """The panel's label -> value rows."""
    out = {}
    for node, _ in walk(panel):
        if isinstance(node, html.Div) and isinstance(node.children, list) and len(node.children) == 2:
            label, value = node.children
            if isinstance(label, html.Dt):
                out[text_of(label)] = text_of(value)
    return out


def unit_sample(atlas) -> list[str]:
    """All six provinces, every fifth prefecture, every fiftieth county."""
    codes = []
    for level, step in (("province", 1), ("prefecture", 5), ("county", 50)):
        units = atlas.units(level)
        codes += units[units["is_central"]]["adcode"].tolist()[::step]
    return codes


def test_chinese_details_of_every_feature_have_no_unmarked_english(atlas) -> None:
    for feature_id in atlas.features["feature_id"]:
        panel = details_panel(atlas, ViewState(select=feature_id, lang="zh"))
        words = LATIN.findall(unmarked_text(panel))
        assert words == [], (feature_id, words)


def test_chinese_details_of_admin_units_have_no_unmarked_english(atlas) -> None:
    sample = unit_sample(atlas)
    assert len(sample) > 30
    for adcode in sample:
        words = LATIN.findall(unmarked_text(details_panel(atlas, ViewState(select=adcode, lang="zh"))))
        assert words == [], (adcode, words)


def test_every_english_part_of_the_chinese_view_says_what_it_is(atlas) -> None:
    english_label = i18n.t("english_text", "zh", label="")
    for feature_id in atlas.features["feature_id"]:
        panel = details_panel(atlas, ViewState(select=feature_id, lang="zh"))
        for node, parents in walk(panel):
            if getattr(node, "lang", None) != "en":
                continue
            if isinstance(node, html.Blockquote):  # a quote from the English translation, said plainly above it
                assert i18n.t("quote_is_english", "zh") in text_of(panel), feature_id
            elif isinstance(parents[-1], html.Dd):  # a source's English note: its label says so
                row = parents[-2]
                assert text_of(row.children[0]).endswith(english_label), (feature_id, text_of(row))
            else:  # the feature's English name, under its Chinese one
                assert parents[-1].className == "atlas-details-alt", feature_id


def test_the_chinese_view_calls_no_english_quote_the_original(atlas) -> None:
    for feature_id in atlas.features["feature_id"]:
        panel = details_panel(atlas, ViewState(select=feature_id, lang="zh"))
        headings = [text_of(node) for node, _ in walk(panel) if isinstance(node, html.H3)]
        chinese = any(quote for (fid, _), (quote, _) in details._chinese_quotes().items() if fid == feature_id)
        assert headings and (chinese or not any("原文" in heading for heading in headings)), feature_id
        assert "指导意见" not in text_of(panel), feature_id  # the document is an 意见


def test_a_chinese_quote_replaces_the_translation_in_the_chinese_view(atlas, monkeypatch) -> None:
    wording = "支持武汉、长株潭、郑州、合肥等都市圈建设"  # a stand-in for a source's Chinese wording
    monkeypatch.setattr(details, "_chinese_quotes", lambda: {("mc-wuhan", "quote"): (wording, "促进城乡融合发展")})
    zh = details_panel(atlas, ViewState(select="mc-wuhan", lang="zh"))
    assert wording in unmarked_text(zh) and "Heifei" not in text_of(zh)
    assert i18n.t("quote_zh", "zh") in text_of(zh) and i18n.t("quote_is_english", "zh") not in text_of(zh)
    en = text_of(details_panel(atlas, ViewState(select="mc-wuhan", lang="en")))
    assert "Heifei [sic] city" in en and wording not in en


def test_a_point_at_a_city_reference_claims_the_city_not_the_district(atlas) -> None:
    features = atlas.features.set_index("feature_id")
    at_city = features.index[features["site_kind"] == "facility_at_city"]
    assert len(at_city) >= 4
    for feature_id in at_city:
        county, prefecture = features.at[feature_id, "county_adcode"], features.at[feature_id, "prefecture_adcode"]
        for lang in ("en", "zh"):
            panel_rows = rows(details_panel(atlas, ViewState(select=feature_id, lang=lang)))
            assert i18n.t("lies_in", lang) not in panel_rows, (feature_id, lang)
            marked = panel_rows[i18n.t("marks_city", lang)]
            assert details.unit_label(atlas, prefecture, lang) in marked
            assert details.unit_label(atlas, county, lang) not in marked, (feature_id, lang)
            assert panel_rows[i18n.t("site", lang)] == i18n.t("site_kind_facility_at_city", lang)
    other = rows(details_panel(atlas, ViewState(select="hub-yichang", lang="zh")))  # a city point keeps its units
    assert (
        details.unit_label(atlas, features.at["hub-yichang", "county_adcode"], "zh") in other[i18n.t("lies_in", "zh")]
    )


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_central_city_tier_has_its_own_label(atlas, lang: str) -> None:
    panel_rows = rows(details_panel(atlas, ViewState(select="city-wuhan", lang=lang)))
    assert panel_rows[i18n.t("tier", lang)] == i18n.t("tier_national", lang)
    assert panel_rows[i18n.t("layer", lang)] == i18n.layer_name("central_cities", lang)


def _legend(fig: dict) -> list[str]:
    shown = [t for t in fig["data"] if t.get("visible", True) is not False and t.get("showlegend", True)]
    return [re.sub(r"</?\w+>", " ", t["name"]) for t in shown]  # long names are wrapped with <br>


def test_the_chinese_legend_and_title_are_chinese(atlas) -> None:
    state = ViewState(lang="zh", layers=LAYER_IDS)
    fig = map_figure(atlas, resolve(state)).to_dict()
    names = _legend(fig)
    assert len(names) >= len(LAYER_IDS)
    texts = [*names, fig["layout"]["legend"]["title"]["text"], fig["layout"]["title"]["text"]]
    assert [text for text in texts if LATIN.search(text)] == []
    approx = [name for name in names if "近似" in name]
    assert approx and all(name.endswith("（近似）") for name in approx)


def test_the_chinese_print_legend_and_title_are_chinese(atlas) -> None:
    fig = print_figure(atlas, resolve(ViewState(lang="zh", layers=LAYER_IDS)), options=PrintOptions()).to_dict()
    titles = [a["text"] for a in fig["layout"]["annotations"] if a.get("name") in ("title", "subtitle")]
    texts = [*_legend(fig), *[re.sub(r"</?\w+>", "", text) for text in titles]]
    assert titles and [text for text in texts if LATIN.search(text)] == []
