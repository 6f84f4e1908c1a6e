"""The Indicators control and targets panel without a browser: URL round trip, control logic, panel contents."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from dash import no_update

from dashboard.ui import ids
from dashboard.ui import indicator_callbacks as cb
from dashboard.ui import indicators as ui
from dashboard.view.state import ViewState, parse_query, to_query
from dashboard.view.stories import StoryError, parse_story
from geodata.indicators import CHINA, PROVINCES

SHANXI, ANHUI, JIANGXI, HENAN, HUBEI, HUNAN = PROVINCES


def row(adcode: str, year: int, value: float, **extra: object) -> dict:
    return {
        "adcode": adcode,
        "year": year,
        "indicator": "rd_intensity",
        "value": value,
        "unit": "percent",
        "variant": "as_first_published",
        "source_title": f"communiqué {adcode} {year}",
        "source_where": "https://example.org/c",
        "excerpt": f"强度{value}%",
        "source_kind": "official_gov_page",
        "cross_checked": True,
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
    """R&D 2021-2022 (Shanxi above China in 2022, Anhui below, a low-confidence Jiangxi), urbanization variants."""
    return pd.DataFrame(
        [
            row(SHANXI, 2021, 2.0),
            row(SHANXI, 2022, 2.6),
            row(ANHUI, 2022, 2.1),
            row(JIANGXI, 2022, 2.4, low_confidence=True, note="LOW CONFIDENCE"),
            row(CHINA, 2021, 2.4),
            row(CHINA, 2022, 2.5),
            *(
                row(
                    code,
                    2022,
                    value,
                    indicator="urbanization_rate",
                    variant="year_end_first_published",
                    vintage="year_end_post_census",
                )
                for code, value in ((SHANXI, 64.0), (ANHUI, 61.0))
            ),
            row(SHANXI, 2020, 62.5, indicator="urbanization_rate", variant="census_2020-11-01", vintage="census_2020"),
        ]
    )


def test_the_indicator_view_round_trips_through_the_url() -> None:
    state = ViewState(indicator="urbanization_rate", year=2022, variant="year_end_first_published", classes="quantiles")
    state = state.with_(palette="cividis")
    back, notices = parse_query(to_query(state))
    assert notices == [] and back == state


def test_bad_indicator_keys_are_ignored_with_notices() -> None:
    state, notices = parse_query("?indicator=gdp&year=20x4&variant=mine&classes=k-means&palette=rainbow")
    assert state.indicator == "gdp" and state.year is None and state.variant is None
    assert state.classes == ViewState().classes and state.palette == ViewState().palette
    assert {(n.key, n.reason) for n in notices} == {
        ("year", "malformed"),
        ("variant", "unknown-value"),
        ("classes", "unknown-value"),
        ("palette", "unknown-value"),
    }


def test_a_story_step_sets_the_indicator_and_a_bad_one_names_its_line() -> None:
    state, _ = parse_query("?story=guideline&view=rd-target")
    assert state.indicator == "rd_intensity" and state.year == 2024 and state.view == "rd-target"
    bad = """id: s
title: {en: S, zh: S}
steps:
  - id: one
    title: {en: One, zh: 一}
    caption: {en: a, zh: b}
    section: "1"
    layers: [logistics_hubs]
    level: province
    indicator: happiness
"""
    with pytest.raises(StoryError, match=r"line 10: unknown indicator 'happiness'"):
        parse_story(bad, path=Path("s.yaml"))


def test_choosing_an_indicator_starts_at_its_latest_year_and_leaves_the_story(frame) -> None:
    current = ViewState(view="metro")
    state = cb.with_indicator(
        frame, current, indicator="rd_intensity", year=None, variant=None, classes="rank", palette=None
    )
    assert (state.indicator, state.year, state.variant, state.view) == (
        "rd_intensity",
        2022,
        "as_first_published",
        None,
    )
    moved = cb.with_indicator(frame, state, indicator="rd_intensity", year=2021, variant="as_first_published",
                              classes="rank", palette="viridis")  # fmt: skip
    assert moved.year == 2021 and moved.palette == "viridis"
    other = cb.with_indicator(frame, moved, indicator="urbanization_rate", year=2021, variant="as_first_published",
                              classes="rank", palette="viridis")  # fmt: skip
    assert other.variant == "year_end_first_published" and other.year == 2022  # a new indicator: its own defaults
    cleared = cb.with_indicator(frame, other, indicator="", year=2022, variant=None, classes="rank", palette=None)
    assert cleared.indicator is None and cleared.year is None


def test_play_steps_through_the_years_and_wraps(frame) -> None:
    state = ViewState(indicator="rd_intensity", year=2021)
    assert cb.next_year(frame, state).year == 2022
    assert cb.next_year(frame, state.with_(year=2022)).year == 2021


def test_the_url_fills_the_controls_and_a_control_writes_the_url(frame, monkeypatch) -> None:
    monkeypatch.setattr(cb, "bundled_indicators", lambda: frame)
    out = cb.sync_indicator(ids.URL, "?indicator=urbanization_rate", {}, None)
    assert out[0] is no_update
    indicator, year, low, high, marks, variant, options, style = out[1:9]
    assert marks == {"2022": "2022"}
    assert (indicator, year, low, high, variant) == ("urbanization_rate", 2022, 2022, 2022, "year_end_first_published")
    assert [o["value"] for o in options] == ["year_end_first_published", "census_2020-11-01"]
    assert style == {"display": "block"}  # two variants: the choice is shown
    controls = {"indicator": "rd_intensity", "year": None, "variant": None, "classes": "rank", "palette": None}
    out = cb.sync_indicator(ui.INDICATOR, "?lang=en", controls, ViewState().to_dict())
    assert "indicator=rd_intensity" in out[0] and "year=2022" in out[0]
    assert out[8] == {"display": "none"}  # one variant of R&D intensity here: no choice to offer
    same = cb.sync_indicator(ui.INDICATOR, out[0], controls, parse_query(out[0])[0].to_dict())
    assert same[0] is no_update  # nothing changed: no new history entry


def test_the_targets_panel_says_on_track_behind_and_not_enough_data(frame) -> None:
    panel = str(ui.targets_panel(frame, ViewState(indicator="rd_intensity", year=2022)))
    assert "Shanxi: on track" in panel and "Anhui: behind by 0.40 points" in panel
    assert "Henan: not enough data" in panel
    assert "atlas-low-confidence" in panel  # Jiangxi's value rests on a low-confidence page
    assert "reaching the national average" in panel  # the guideline's own words
    as_2021 = str(ui.targets_panel(frame, ViewState(indicator="rd_intensity", year=2021)))
    assert "Anhui: not enough data" in as_2021 and "Shanxi: behind by 0.40 points" in as_2021
    zh = str(ui.targets_panel(frame, ViewState(indicator="rd_intensity", year=2022, lang="zh")))
    assert "山西：达到目标进度" in zh and "安徽：落后0.40个百分点" in zh and "达到全国平均水平" in zh


def test_the_clicked_province_shows_its_value_source_excerpt_and_flags(frame) -> None:
    state = ViewState(indicator="rd_intensity", year=2022, select=JIANGXI)
    text = str(ui.province_detail(frame, state))
    assert "2.40%" in text and "communiqué 360000 2022" in text and "强度2.4%" in text
    assert "Cross-checked" in text and "Low confidence" in text
    assert "no data" in str(ui.province_detail(frame, state.with_(select=HUBEI)))
    assert ui.province_detail(frame, state.with_(select="420100")) == []  # a prefecture: nothing to add


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_panels_read_only_what_their_cache_keys_on(lang) -> None:
    from dashboard.view.scene import bundled_indicators

    frame = bundled_indicators()
    full = ViewState(
        lang=lang, select="420000", indicator="rd_intensity", year=2021, level="county", layers=("logistics_hubs",),
        center=(113.0, 31.0), scale=2.0, present=True, labels=False, context=(),
    )  # fmt: skip
    reduced = cb.panel_view(full)
    assert reduced != full and reduced == cb.panel_view(full.with_(level="province", center=None, scale=None))
    for build in (ui.targets_panel, ui.province_detail):  # the same panel from the whole view and from its key
        assert str(build(frame, full)) == str(build(frame, reduced))
    assert str(build(frame, full)) != str(build(frame, full.with_(year=2020)))  # and the key does matter
