"""The indicator table: validation catches broken rows, derived values and vintages, the targets, the real table."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from geodata._paths import GUIDELINE_DIR
from geodata.indicators import (
    CHINA,
    PROVINCES,
    REGION,
    IndicatorError,
    find_problems,
    load_indicator_documents,
    load_indicators,
    validate_indicators,
)
from geodata.indicators.derive import rd_intensity_checks, with_derived
from geodata.indicators.schema import COLUMNS, INDICATORS, SOURCE_COLUMNS, vintage_of
from geodata.indicators.targets import (
    BEHIND,
    NOT_ENOUGH_DATA,
    ON_TRACK,
    load_targets,
    path_points,
    rd_intensity_status,
    sentence,
    targets_table,
    trend_series,
    urbanization_status,
)

F_RD, V_RD = "as_first_published", "revised_after_5th_economic_census_GDP"
YE = "year_end_first_published"


def row(adcode: str, year: int, indicator: str, variant: str, value: float, **over: object) -> dict:
    """A sourced row as `load_indicators()` returns it."""
    base = {
        "adcode": adcode,
        "year": year,
        "indicator": indicator,
        "value": value,
        "unit": INDICATORS[indicator].unit,
        "variant": variant,
        "source_title": "A statistical communiqué",
        "source_where": "https://example.org/communique",
        "excerpt": f"... {value} ...",
        "source_kind": "official_page_copy",
        "cross_checked": False,
        "note": "",
        "vintage": vintage_of(indicator=indicator, variant=variant, year=year),
        "derived": False,
        "low_confidence": False,
        "derivation": "",
        "derived_from": "",
        "n_documents": 1,
        "other_sources": "",
        "csv_lines": "",
    }
    base.update(over)
    return base


def frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(COLUMNS))


def urbanization_rows() -> list[dict]:
    """Anhui-like year-end rates: 2019 pre-census, the census, 2021 and 2022."""
    return [
        row("340000", 2019, "urbanization_rate", YE, 55.81),
        row("340000", 2020, "urbanization_rate", "census_2020-11-01", 58.33),
        row("340000", 2021, "urbanization_rate", YE, 59.39),
        row("340000", 2022, "urbanization_rate", YE, 60.15),
    ]


def region_rd_rows(year: int = 2024, variant: str = F_RD) -> list[dict]:
    """Six provinces with GDP 100 each and R&D expenditure 1..6, so intensities 1..6 and the region 21/600 = 3.5%."""
    rows = []
    for n, adcode in enumerate(PROVINCES, start=1):
        rows.append(row(adcode, year, "rd_expenditure", "as_published_in_year_communique", float(n)))
        rows.append(row(adcode, year, "rd_intensity", variant, float(n)))
    return rows


def problems_of(rows: list[dict]) -> list[str]:
    return find_problems(with_derived(frame(rows)))


# ---- validation ---------------------------------------------------------------------------------------------------


def test_a_clean_hand_made_table_has_no_problems() -> None:
    assert problems_of(urbanization_rows() + region_rd_rows()) == []


def test_a_missing_source_is_caught_and_the_row_named() -> None:
    rows = urbanization_rows()
    rows[2]["excerpt"] = " "
    problems = problems_of(rows)
    assert len(problems) == 1
    assert "340000 2021 urbanization_rate" in problems[0] and "missing source" in problems[0]


def test_a_duplicate_key_is_caught() -> None:
    rows = [*urbanization_rows(), row("340000", 2022, "urbanization_rate", YE, 60.15, source_title="Another page")]
    problems = find_problems(frame(rows))
    assert any("duplicate key 340000:2022:urbanization_rate" in p for p in problems)


@pytest.mark.parametrize("value", [100.5, -0.1])
def test_a_rate_out_of_range_is_caught(value: float) -> None:
    problems = find_problems(frame([row("430000", 2022, "rd_intensity", F_RD, value)]))
    assert problems and "outside 0-100" in problems[0]


def test_a_unit_mismatch_is_caught() -> None:
    problems = find_problems(frame([row("430000", 2022, "gdp", "first_published_preliminary", 48670.4, unit="yuan")]))
    assert problems and "unit 'yuan' but gdp is in '100M yuan'" in problems[0]


def test_an_unknown_adcode_and_an_unsourced_region_are_caught() -> None:
    rows = [row("440000", 2022, "rd_intensity", F_RD, 2.0), row(REGION, 2022, "gdp", "first_published_preliminary", 1)]
    problems = find_problems(frame(rows))
    assert "unknown adcode '440000'" in problems[0]
    assert any("unknown adcode 'central'" in p for p in problems)  # the region exists only as derived rows


def test_a_derived_value_inconsistent_with_its_inputs_is_caught() -> None:
    table = with_derived(frame(urbanization_rows()))
    change = table["indicator"] == "urbanization_rate_change"
    assert change.sum() == 1
    table.loc[change, "value"] = 0.9  # inputs give 60.15 - 59.39 = 0.76
    problems = find_problems(table)
    assert len(problems) == 1 and "inconsistent with its inputs, which give 0.76" in problems[0]


def test_a_derived_row_whose_inputs_are_gone_is_caught() -> None:
    table = with_derived(frame(region_rd_rows()))
    table = table[~((table["adcode"] == "420000") & (table["indicator"] == "rd_expenditure"))]
    assert any("not in the table: 420000:2024:rd_expenditure" in p for p in find_problems(table))


def test_a_year_on_year_change_across_vintages_is_caught() -> None:
    # 2023 first published is on the GDP before the 5th economic census, 2024 after it: same variant, consecutive years
    rows = [row("410000", 2023, "rd_intensity", F_RD, 2.05), row("410000", 2024, "rd_intensity", F_RD, 2.01)]
    table = with_derived(frame(rows))
    assert (table["indicator"] == "rd_intensity_change").sum() == 0  # never computed...
    forged = row(
        "410000",
        2024,
        "rd_intensity_change",
        F_RD,
        2.01 - 2.05,
        derived=True,
        source_kind="derived",
        derivation="change_per_year",
        derived_from="410000:2023:rd_intensity:as_first_published;410000:2024:rd_intensity:as_first_published",
    )
    problems = find_problems(frame([*rows, forged]))  # ...and caught when forged
    assert len(problems) == 1 and "change across vintages" in problems[0]


def test_a_sourced_change_is_caught() -> None:
    problems = find_problems(frame([row("410000", 2024, "rd_intensity_change", F_RD, 0.1)]))
    assert any("computed, never read from a source" in p for p in problems)


def test_validate_raises_one_clear_error() -> None:
    rows = urbanization_rows()
    rows[0]["source_title"] = ""
    with pytest.raises(IndicatorError, match=r"1 problem\(s\).*340000 2019 urbanization_rate.*missing source"):
        validate_indicators(frame(rows))


# ---- derived values and vintages -------------------------------------------------------------------------------------


def test_changes_are_computed_only_within_one_vintage_and_never_across_a_gap() -> None:
    rows = [*urbanization_rows(), row("340000", 2024, "urbanization_rate", YE, 62.57)]  # 2023 absent
    changes = with_derived(frame(rows)).query("indicator == 'urbanization_rate_change'")
    # 2019 (pre-census) -> census 2020 -> 2021: no growth shown; 2021 -> 2022 only; nothing filled in for 2023/2024
    assert changes[["year", "value"]].round(6).values.tolist() == [[2022, 0.76]]
    assert bool(changes["derived"].iloc[0])


def test_the_region_rd_intensity_is_sum_of_spending_over_sum_of_gdp() -> None:
    table = with_derived(frame(region_rd_rows()))
    region = table[(table["adcode"] == REGION) & (table["indicator"] == "rd_intensity")]
    assert region["value"].tolist() == pytest.approx([3.5])
    assert region["vintage"].tolist() == ["rd_gdp_post_econ_census"]
    spend = table[(table["adcode"] == REGION) & (table["indicator"] == "rd_expenditure")]
    assert spend["value"].tolist() == pytest.approx([21.0])


def test_the_region_is_absent_when_one_province_is() -> None:
    rows = [r for r in region_rd_rows() if not (r["adcode"] == "360000" and r["indicator"] == "rd_intensity")]
    table = with_derived(frame(rows))
    assert table[(table["adcode"] == REGION) & (table["indicator"] == "rd_intensity")].empty


def test_the_region_rd_intensity_never_mixes_vintages() -> None:
    rows = region_rd_rows(2023)
    rows[1] = row(PROVINCES[0], 2023, "rd_intensity", V_RD, 1.0)  # one province only in the revised vintage
    table = with_derived(frame(rows))
    assert table[(table["adcode"] == REGION) & (table["indicator"] == "rd_intensity")].empty


def test_gdp_per_capita_uses_the_average_population_of_one_vintage() -> None:
    rows = [
        row("430000", 2020, "gdp", "revised_nbs_database_2026-03", 100.0),  # 100M yuan = 1e10 yuan
        row("430000", 2019, "population", "year_end_nbs_database_2026-03", 90.0),  # 10k persons
        row("430000", 2020, "population", "year_end_nbs_database_2026-03", 110.0),
        row("430000", 2021, "population", YE, 120.0),  # another vintage: no 2021 per capita from it
        row("430000", 2021, "gdp", "revised_nbs_database_2026-03", 120.0),
    ]
    derived = with_derived(frame(rows)).query("indicator == 'gdp_per_capita'")
    assert derived[["year", "value"]].values.tolist() == [[2020, pytest.approx(10_000.0)]]


def test_documents_that_agree_fold_into_one_value_and_conflicts_name_the_lines(tmp_path) -> None:
    columns = ",".join(SOURCE_COLUMNS)
    low = "LOW CONFIDENCE: unattributed page"
    lines = [
        f"430000,2019,population,6918.4,10k persons,{YE},Page A,http://a,6918.4万人,unattributed_repost,false,{low}",
        f"430000,2019,population,6918.38,10k persons,{YE},Communiqué,http://b,6918.38万人,official_text_repost,true,",
    ]
    good = tmp_path / "good.csv"
    good.write_text("\n".join([columns, *lines]) + "\n", encoding="utf-8")
    table = load_indicators(path=good)
    sourced = table[~table["derived"]]
    assert len(sourced) == 1
    first = sourced.iloc[0]
    assert (first["value"], first["source_title"], first["n_documents"]) == (6918.38, "Communiqué", 2)
    assert not first["low_confidence"] and first["cross_checked"] and "Page A" in first["other_sources"]
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([columns, lines[0], lines[1].replace("6918.38", "6917.38")]) + "\n", encoding="utf-8")
    with pytest.raises(IndicatorError, match=r"lines 2, 3 .*disagree"):
        load_indicators(path=bad)


# ---- targets -------------------------------------------------------------------------------------------------------


def rd_table() -> pd.DataFrame:
    rows = [
        row(CHINA, 2023, "rd_intensity", F_RD, 2.65),
        row(CHINA, 2023, "rd_intensity", V_RD, 2.58),
        row(CHINA, 2024, "rd_intensity", F_RD, 2.69),
        row("340000", 2024, "rd_intensity", F_RD, 2.76),  # above
        row("430000", 2024, "rd_intensity", F_RD, 2.62),  # below
        row("420000", 2024, "rd_intensity", F_RD, 2.69),  # tie: reaching the average is on track
        row("360000", 2023, "rd_intensity", F_RD, 1.88),
        row("360000", 2023, "rd_intensity", V_RD, 1.85),
        row("140000", 2023, "rd_intensity", V_RD, 2.60),
    ]
    return with_derived(frame(rows))


def test_rd_intensity_against_the_national_average_of_the_same_year_and_vintage() -> None:
    table = rd_table()
    above, below, tie = (rd_intensity_status(table, adcode=a) for a in ("340000", "430000", "420000"))
    assert (above.status, above.gap_points) == (ON_TRACK, None)
    assert below.status == BEHIND and below.gap_points == pytest.approx(0.07)
    assert tie.status == ON_TRACK and tie.margin_points == pytest.approx(0)
    assert (below.year, below.reference, below.vintage) == (2024, 2.69, "rd_gdp_post_econ_census")


def test_rd_intensity_prefers_the_revised_vintage_and_never_crosses_vintages() -> None:
    table = rd_table()
    jiangxi = rd_intensity_status(table, adcode="360000")  # 2023 in both vintages: the revised one, against 2.58
    assert (jiangxi.variant, jiangxi.reference, jiangxi.gap_points) == (V_RD, 2.58, pytest.approx(0.73))
    shanxi = rd_intensity_status(table, adcode="140000")
    assert shanxi.status == ON_TRACK and shanxi.reference == 2.58  # not the first-published 2.65
    without_revised_nation = table[~((table["adcode"] == CHINA) & (table["variant"] == V_RD))]
    assert rd_intensity_status(without_revised_nation, adcode="140000").reason == "no_national_value"


def test_a_province_without_data_is_not_enough_data() -> None:
    status = rd_intensity_status(rd_table(), adcode="410000")
    assert (status.status, status.reason, status.value, status.gap_points) == (NOT_ENOUGH_DATA, "no_value", None, None)


def test_rd_as_of_an_earlier_year_uses_only_data_up_to_it() -> None:
    status = rd_intensity_status(rd_table(), adcode="340000", as_of=2023)
    assert status.status == NOT_ENOUGH_DATA  # Anhui has only 2024 here


def test_the_region_is_tracked_from_its_provinces() -> None:
    rows = [*region_rd_rows(), row(CHINA, 2024, "rd_intensity", F_RD, 3.5)]
    status = rd_intensity_status(with_derived(frame(rows)), adcode=REGION)
    assert status.status == ON_TRACK and status.derived and status.value == pytest.approx(3.5)  # a tie


def urban_table(latest: float) -> pd.DataFrame:
    rows = [
        *[r for r in urbanization_rows() if r["year"] != 2022],
        row("340000", 2024, "urbanization_rate", YE, latest),
        row("360000", 2019, "urbanization_rate", YE, 57.4),  # pre-census only before 2021
        row("360000", 2021, "urbanization_rate", YE, 61.46),
    ]
    return with_derived(frame(rows))


def test_urbanization_against_one_point_a_year_from_the_last_comparable_base() -> None:
    on_path = urbanization_status(urban_table(62.39), adcode="340000")  # 59.39 in 2021 + 3 x 1 point = 62.39: a tie
    assert (on_path.status, on_path.base_year, on_path.base_value, on_path.year) == (ON_TRACK, 2021, 59.39, 2024)
    assert on_path.reference == pytest.approx(62.39) and on_path.annual_change == pytest.approx(1.0)
    behind = urbanization_status(urban_table(61.89), adcode="340000")
    assert behind.status == BEHIND and behind.gap_points == pytest.approx(0.5)
    assert path_points(behind, through=2025)[-1] == (2025, pytest.approx(63.39))


def test_urbanization_never_takes_a_base_across_the_census_break() -> None:
    status = urbanization_status(urban_table(62.0), adcode="360000")  # 2019 is pre-census, 2020 only the census
    assert (status.status, status.reason, status.year) == (NOT_ENOUGH_DATA, "no_comparable_base", 2021)
    assert urbanization_status(urban_table(62.0), adcode="420000").reason == "no_value"
    region = urbanization_status(urban_table(62.0), adcode=REGION)
    assert region.reason == "incomplete_region" and "420000:2021:urbanization_rate" in region.missing


def test_the_region_urbanization_is_population_weighted_when_all_six_are_there() -> None:
    rows = []
    for year, rate in ((2021, 50.0), (2022, 52.0)):
        for n, adcode in enumerate(PROVINCES):
            rows.append(row(adcode, year, "urbanization_rate", YE, rate + (10 if n == 0 else 0)))
            rows.append(row(adcode, year, "population", YE, 300.0 if n == 0 else 100.0))
    table = with_derived(frame(rows))
    region = table[(table["adcode"] == REGION) & (table["indicator"] == "urbanization_rate")]
    # one province of 300 at rate+10, five of 100 at rate: (300 x 60 + 500 x 50) / 800 = 53.75 in 2021
    assert region["value"].tolist() == pytest.approx([53.75, 55.75])
    status = urbanization_status(table, adcode=REGION)
    assert status.status == ON_TRACK and status.annual_change == pytest.approx(2.0)


def test_sentences_come_from_a_strings_table_in_both_languages() -> None:
    behind = urbanization_status(urban_table(61.89), adcode="340000")
    assert sentence(behind).startswith("Anhui: behind by 0.50 points.")
    assert sentence(behind, lang="zh").startswith("安徽：落后0.50个百分点。")
    strings = {"xx": {"urbanization_plus_1_point.behind": "{name} -{gap:.1f}", "low_confidence": "?"}}
    assert sentence(behind, lang="xx", strings=strings, names={"xx": {"340000": "AH"}}) == "AH -0.5"
    missing = rd_intensity_status(rd_table(), adcode="410000")
    assert "not enough data" in sentence(missing) and "数据不足" in sentence(missing, lang="zh")


def test_trend_series_break_at_a_vintage() -> None:
    series = trend_series(rd_table(), indicator="rd_intensity")
    jiangxi = series[series["adcode"] == "360000"]
    assert set(jiangxi["series"]) == {"360000|rd_gdp_pre_econ_census", "360000|rd_gdp_post_econ_census"}
    assert CHINA in set(series["adcode"])


# ---- the guideline's words -------------------------------------------------------------------------------------------


def test_target_quotes_are_verbatim_in_their_sections() -> None:
    english = (GUIDELINE_DIR / "guideline-part1.txt").read_text(encoding="utf-8")
    section_1 = re.split(r"^\d\. [A-Z].*$", english, flags=re.MULTILINE)[1]
    chinese = (GUIDELINE_DIR / "guideline-zh-partial.txt").read_text(encoding="utf-8")
    body = "\n".join(line for line in chinese.splitlines() if not line.startswith("#"))
    targets = load_targets()
    assert [t["indicator"] for t in targets] == ["rd_intensity", "urbanization_rate"]
    for target in targets:
        assert target["section_en"] == "1. Development Objectives"
        assert target["quote_en"] in section_1 and target["due_phrase_en"] in section_1
        assert target["quote_zh"] in body and f"{target['due_phrase_zh']}，" in body


# ---- the bundled table -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return load_indicators()


def cells(table: pd.DataFrame, indicator: str, *, variants: tuple[str, ...] | None = None) -> set[tuple[str, int]]:
    rows = table[(table["indicator"] == indicator) & ~table["derived"] & table["year"].between(2019, 2024)]
    if variants is not None:
        rows = rows[rows["variant"].isin(variants)]
    return set(zip(rows["adcode"], rows["year"], strict=True))


def test_the_bundled_table_loads_validated_with_every_document(real: pd.DataFrame) -> None:
    assert find_problems(real) == []
    documents = load_indicator_documents()
    assert len(documents) == 339
    assert real.loc[~real["derived"], "n_documents"].sum() == 339  # every document row is folded in somewhere
    sourced = real[~real["derived"]]
    assert sourced[["source_title", "source_where", "excerpt"]].map(str.strip).ne("").all().all()


def test_the_bundled_coverage_is_as_the_issue_says(real: pd.DataFrame) -> None:
    everyone = {(a, y) for a in (*PROVINCES, CHINA) for y in range(2019, 2025)}
    assert cells(real, "rd_expenditure") == everyone
    assert cells(real, "rd_intensity", variants=(F_RD,)) == everyone
    assert cells(real, "rd_intensity", variants=(V_RD,)) == {(a, 2023) for a in (*PROVINCES, CHINA)}
    assert cells(real, "population") == everyone
    urban = cells(real, "urbanization_rate")
    assert len(urban) == 33
    assert everyone - urban == {
        *(("420000", y) for y in (2019, 2020, 2021, 2022)),
        *(("410000", y) for y in (2019, 2020, 2024)),
        ("430000", 2020),
        ("430000", 2023),
    }
    assert cells(real, "urbanization_rate", variants=("census_2020-11-01",)) == {
        (a, 2020) for a in (CHINA, "140000", "340000", "360000")
    }
    assert len(cells(real, "urbanization_rate", variants=(YE,))) == 29
    assert everyone - cells(real, "gdp") == {("140000", 2024), ("410000", 2024)}
    assert len(cells(real, "gdp_per_capita")) == 21


def test_low_confidence_is_flagged_from_the_notes(real: pd.DataFrame) -> None:
    rows = real[(real["indicator"] == "urbanization_rate") & (real["variant"] == YE) & real["low_confidence"]]
    low = set(zip(rows["adcode"], rows["year"], strict=True))
    assert low == {("140000", 2019), ("360000", 2019), ("360000", 2024)}  # COVERAGE.md: 3 rest only on such pages
    census = real[(real["indicator"] == "urbanization_rate") & (real["variant"] == "census_2020-11-01")]
    assert census.set_index("adcode")["low_confidence"].to_dict()["340000"]  # Anhui's census rate: a spam mirror


def test_published_rd_intensities_are_reproduced_by_spending_over_gdp_of_the_same_vintage(real: pd.DataFrame) -> None:
    checks = rd_intensity_checks(real)
    provinces = checks[checks["adcode"] != REGION]
    assert len(provinces) >= 30
    assert provinces["difference"].abs().max() <= 0.005 + 1e-9  # within the rounding of the printed intensity
    region = checks[checks["adcode"] == REGION]
    assert set(region["year"]) == {2023} and region["difference"].abs().max() < 0.005


def test_the_real_targets(real: pd.DataFrame) -> None:
    statuses = {(s.target, s.adcode): s for s in targets_table(real)}
    region_rd = statuses[("rd_intensity_national_average", REGION)]
    assert region_rd.year == 2024 and region_rd.reference == 2.69 and region_rd.status == BEHIND
    assert statuses[("rd_intensity_national_average", "340000")].status == ON_TRACK  # 2.76 against 2.69
    assert statuses[("urbanization_plus_1_point", REGION)].status == NOT_ENOUGH_DATA  # never all six in one year
    assert statuses[("urbanization_plus_1_point", "410000")].year == 2023  # Henan 2024 absent, not filled in
