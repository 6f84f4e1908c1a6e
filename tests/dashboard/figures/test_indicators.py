"""The indicator map and trend charts as data: classes, legend (no data included), colours, hover, hatch, vintages."""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from dashboard.figures import indicators as ind
from dashboard.figures import screen
from dashboard.view.scene import resolve
from dashboard.view.state import ViewState
from geodata.classify import relative_luminance
from geodata.indicators import CHINA, PROVINCES

SHANXI, ANHUI, JIANGXI, HENAN, HUBEI, HUNAN = PROVINCES
NAN = math.nan


def row(adcode: str, year: int, value: float, **extra: object) -> dict:
    """One row shaped like the indicator table (R&D intensity as first published unless told)."""
    return {
        "adcode": adcode,
        "year": year,
        "indicator": "rd_intensity",
        "value": value,
        "unit": "percent",
        "variant": "as_first_published",
        "source_title": f"communiqué {adcode} {year}",
        "source_where": "https://example.org/communique",
        "excerpt": f"R&D intensity {value}%",
        "source_kind": "official_gov_page",
        "cross_checked": False,
        "note": "",
        "vintage": "rd_gdp_pre_econ_census",
        "derived": False,
        "low_confidence": False,
        "derivation": "",
        "derived_from": "",
        "n_documents": 1,
        "other_sources": "",
        **extra,
    }


@pytest.fixture
def frame() -> pd.DataFrame:
    """2022: Anhui and Jiangxi tie, Hubei has no value; 2021: only Shanxi; a low-confidence and a cross-checked row."""
    rows = [
        row(SHANXI, 2022, 1.5, cross_checked=True, source_title="Shanxi <communiqué>"),
        row(ANHUI, 2022, 2.25),
        row(JIANGXI, 2022, 2.25),
        row(HENAN, 2022, 3.1, low_confidence=True, note="LOW CONFIDENCE: one repost"),
        row(HUNAN, 2022, 4.0),
        row(SHANXI, 2021, 1.4),
        row(CHINA, 2022, 2.5),
    ]
    return pd.DataFrame(rows)


@pytest.fixture
def shapes() -> gpd.GeoDataFrame:
    """Six unit squares side by side standing for the provinces."""
    squares = [shapely.box(i, 0, i + 1, 1) for i in range(6)]
    return gpd.GeoDataFrame({"adcode": list(PROVINCES)}, geometry=squares, crs="EPSG:4326")


def props(frame: pd.DataFrame, shapes: gpd.GeoDataFrame, state: ViewState) -> dict[tuple[str, int], dict]:
    shown = ind.indicator_map(frame, state)
    return {(role, slot): ind.trace_props(role, slot, shown, rows=shapes) for role, slot in ind.SLOTS}


def shown_traces(all_props: dict) -> dict[tuple[str, int], dict]:
    return {key: p for key, p in all_props.items() if p["visible"]}


def test_ranked_classes_share_a_colour_on_ties_and_darken_with_the_value(frame, shapes) -> None:
    traces = props(frame, shapes, ViewState(indicator="rd_intensity", year=2022))
    fills = {
        code: p["colorscale"][0][1]
        for (role, _), p in shown_traces(traces).items()
        if role == "indicator_class"
        for code in p["locations"]
    }
    assert set(fills) == {SHANXI, ANHUI, JIANGXI, HENAN, HUNAN}  # Hubei is not coloured as a class
    assert fills[ANHUI] == fills[JIANGXI]  # a tie is one class
    ordered = [fills[c] for c in (SHANXI, ANHUI, HENAN, HUNAN)]  # 1.5 < 2.25 < 3.1 < 4.0
    assert len(set(ordered)) == 4
    lum = [relative_luminance(c) for c in ordered]
    assert lum == sorted(lum, reverse=True)  # darker means more


def test_the_legend_lists_each_class_then_no_data_with_a_hatch(frame, shapes) -> None:
    traces = props(frame, shapes, ViewState(indicator="rd_intensity", year=2022))
    legend = [(key, p["name"]) for key, p in traces.items() if p["visible"] and p["showlegend"]]
    names = [name for _, name in legend]
    assert len([k for k, _ in legend if k[0] == "indicator_class"]) == 4
    assert names[4] == "No data" and legend[4][0][0] == "indicator_hatch"
    assert names[5].startswith("Source: ")
    title = traces[("indicator_class", 0)]["legendgrouptitle"]["text"]
    assert "R&amp;D intensity" in title and "(%)" in title and "2022" in title
    nodata = traces[("indicator_nodata", 0)]
    assert nodata["locations"] == [HUBEI] and nodata["showlegend"] is False
    hatch = traces[("indicator_hatch", 0)]
    points = [(x, y) for x, y in zip(hatch["lon"], hatch["lat"], strict=True) if x is not None]
    assert len(points) >= 4 and all(4 - 1e-6 <= x <= 5 + 1e-6 and -1e-6 <= y <= 1 + 1e-6 for x, y in points)


def test_the_source_line_names_the_document_of_most_values(frame, shapes) -> None:
    many = pd.concat([frame, pd.DataFrame([row(HUBEI, 2022, 2.0, source_title="communiqué 430000 2022")])])
    shown = ind.indicator_map(many, ViewState(indicator="rd_intensity", year=2022))
    assert shown.source.startswith("Source: communiqué 430000 2022") and "4 other documents" in shown.source


def test_no_indicator_hides_every_indicator_trace(frame, shapes) -> None:
    assert all(not p["visible"] and not p["showlegend"] for p in props(frame, shapes, ViewState()).values())


def test_a_year_with_one_value_gives_one_class_and_five_no_data(frame, shapes) -> None:
    traces = props(frame, shapes, ViewState(indicator="rd_intensity", year=2021))
    assert traces[("indicator_class", 0)]["locations"] == [SHANXI]
    assert not traces[("indicator_class", 1)]["visible"]
    assert sorted(traces[("indicator_nodata", 0)]["locations"]) == sorted(set(PROVINCES) - {SHANXI})


def test_hover_gives_value_vintage_source_excerpt_cross_check_and_low_confidence(frame) -> None:
    shown = ind.indicator_map(frame, ViewState(indicator="rd_intensity", year=2022))
    by_code = dict(zip(shown.rows["adcode"], shown.hover, strict=True))
    shanxi = by_code[SHANXI]
    assert "1.50%" in shanxi and "2022" in shanxi
    assert "R&amp;D communiqué, GDP before the 5th economic census revision" in shanxi  # the vintage's label
    assert "Shanxi &lt;communiqué&gt;" in shanxi  # the source title, escaped
    assert "R&amp;D intensity 1.5%" in shanxi  # the excerpt
    assert "Cross-checked: yes" in shanxi and "Low confidence" not in shanxi
    assert "Cross-checked: no" in by_code[HENAN] and "⚠ Low confidence" in by_code[HENAN]
    assert "no data" in by_code[HUBEI] and "Source" not in by_code[HUBEI]
    zh = ind.indicator_map(frame, ViewState(indicator="rd_intensity", year=2022, lang="zh"))
    assert "已交叉核对" in zh.hover[0] and "山西" in zh.hover[0] and "口径" in zh.hover[0]


def test_resolve_falls_back_to_the_latest_year_and_the_main_variant(frame) -> None:
    assert ind.resolve(frame, ViewState(indicator="rd_intensity", year=2030)).year == 2022
    assert ind.resolve(frame, ViewState(indicator="rd_intensity", variant="nonsense")).variant == "as_first_published"
    assert ind.resolve(frame, ViewState(indicator="gdp")) is None  # no provincial value of it in this table
    assert ind.years(frame, indicator="rd_intensity", variant="as_first_published") == [2021, 2022]


def test_quantiles_on_six_values_give_fewer_classes_than_ranks(frame) -> None:
    full = pd.concat([frame, pd.DataFrame([row(HUBEI, 2022, 2.6)])])
    ranked = ind.indicator_map(full, ViewState(indicator="rd_intensity", year=2022))
    quantiles = ind.indicator_map(full, ViewState(indicator="rd_intensity", year=2022, classes="quantiles"))
    assert ranked.classes.k == 5 and quantiles.classes.k <= ind.INDICATOR_K
    assert not any(e["label"] == "No data" for e in quantiles.legend)


def test_trend_chart_never_joins_two_vintages_and_draws_china_for_rd() -> None:
    rows = [
        row(SHANXI, 2022, 1.1),
        row(SHANXI, 2023, 1.2),
        row(SHANXI, 2023, 1.15, variant="revised_after_5th_economic_census_GDP", vintage="rd_gdp_post_econ_census"),
        row(SHANXI, 2024, 1.22, vintage="rd_gdp_post_econ_census"),
        row(CHINA, 2023, 2.6),
    ]
    fig = ind.trend_figure(pd.DataFrame(rows), indicator="rd_intensity", lang="en", year=2024)
    shanxi = [t for t in fig["data"] if t["meta"]["adcode"] == SHANXI]
    assert sorted(t["x"] for t in shanxi) == [[2022, 2023], [2023, 2024]]
    assert [t["showlegend"] for t in shanxi].count(True) == 1  # one legend entry per province
    china = [t for t in fig["data"] if t["meta"]["adcode"] == CHINA]
    assert china and china[0]["line"]["dash"] == "dash" and china[0]["name"] == "China"
    assert fig["layout"]["shapes"][0]["x0"] == 2024  # the shown year marked
    urban = [row(SHANXI, 2022, 63.0, indicator="urbanization_rate", vintage="year_end_post_census")]
    urban.append({**urban[0], "adcode": CHINA})
    fig = ind.trend_figure(pd.DataFrame(urban), indicator="urbanization_rate", lang="en")
    assert [t["meta"]["adcode"] for t in fig["data"]] == [SHANXI]  # no national line for urbanization


def test_the_bundled_map_hatches_the_cells_the_data_lacks(atlas) -> None:
    """The data README: no year-end urbanization rate for Henan in 2024, for Hubei in 2019-2022."""
    state = ViewState(indicator="urbanization_rate", year=2024, variant="year_end_first_published")
    fig = screen.map_figure(atlas, resolve(state)).to_dict()
    by_role: dict[str, list] = {}
    for trace in fig["data"]:
        by_role.setdefault(trace.get("meta", {}).get("role"), []).append(trace)
    assert list(by_role["indicator_nodata"][0]["locations"]) == [HENAN]
    coloured = {c for t in by_role["indicator_class"] if t.get("visible") for c in t["locations"]}
    assert coloured == set(PROVINCES) - {HENAN}
    assert by_role["indicator_hatch"][0]["visible"] and by_role["indicator_hatch"][0]["name"] == "No data"
    assert "Urbanization rate (%), 2024" in fig["layout"]["title"]["text"]
    hidden = screen.map_figure(atlas, resolve(ViewState())).to_dict()
    assert not any(t.get("visible") for t in hidden["data"] if str(t.get("meta", {}).get("role")).startswith("ind"))


def test_a_year_change_is_a_small_patch(atlas) -> None:
    old = ViewState(indicator="urbanization_rate", year=2024)
    new = ViewState(indicator="urbanization_rate", year=2021)
    updates = screen.patch_updates(atlas, resolve(old), resolve(new))
    assert updates and all(path[0] == "layout" or path[2] != "geojson" for path, _ in updates)


def test_the_print_figure_keeps_the_indicator_legend_and_source(atlas) -> None:
    from dashboard.figures.printing import PrintOptions, print_figure

    state = ViewState(indicator="rd_intensity", year=2022, variant="as_first_published", lang="zh")
    fig = print_figure(atlas, resolve(state), options=PrintOptions(width=1600, height=1000)).to_dict()
    entries = [t["name"] for t in fig["data"] if t.get("visible") is True and t.get("showlegend")]
    assert len([t for t in fig["data"] if t.get("meta", {}).get("role") == "indicator_class" and t.get("visible")]) == 6
    assert any(name.startswith("来源") for name in entries)
    credit = next(a for a in fig["layout"]["annotations"] if a.get("name") == "source")["text"]
    assert "; 来源" in credit and fig["layout"]["showlegend"] is True
