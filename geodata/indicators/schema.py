"""The indicator table's vocabulary: columns, units and ranges, variants and the vintage each belongs to."""

from __future__ import annotations

import math
from dataclasses import dataclass

from geodata._paths import CENTRAL_PROVINCES, DATA_DIR
from geodata._validate import GeodataError

INDICATORS_DIR = DATA_DIR / "indicators"
INDICATORS_CSV = INDICATORS_DIR / "indicators.csv"
TARGETS_CSV = INDICATORS_DIR / "targets.csv"

#: The six provinces, China, and the six together (the region appears in derived rows only).
PROVINCES: tuple[str, ...] = tuple(CENTRAL_PROVINCES)
CHINA = "100000"
REGION = "central"
KNOWN_ADCODES: tuple[str, ...] = (*PROVINCES, CHINA)
NAMES = {
    "en": {**CENTRAL_PROVINCES, CHINA: "China", REGION: "Central region"},
    "zh": {
        "140000": "山西",
        "340000": "安徽",
        "360000": "江西",
        "410000": "河南",
        "420000": "湖北",
        "430000": "湖南",
        CHINA: "全国",
        REGION: "中部地区",
    },
}

KEY = ("adcode", "year", "indicator", "variant")
#: The columns of the source CSV, kept as they are.
SOURCE_COLUMNS = (
    "adcode",
    "year",
    "indicator",
    "value",
    "unit",
    "variant",
    "source_title",
    "source_where",
    "excerpt",
    "source_kind",
    "cross_checked",
    "note",
)
#: The columns of the tidy table `load_indicators()` returns, in order.
COLUMNS = (
    *SOURCE_COLUMNS,
    "vintage",
    "derived",
    "low_confidence",
    "derivation",
    "derived_from",
    "n_documents",
    "other_sources",
    "csv_lines",
)
CITATION_COLUMNS = ("source_title", "source_where", "excerpt")
SOURCE_KINDS = (
    "official_page_copy",
    "official_gov_page",
    "official_text_repost",
    "official_text_excerpt_captured_by_third_party",
    "secondary_dataset",
    "news_report_quoting_official",
    "news_quote_mirror",
    "qa_page_quoting_official",
    "unattributed_repost",
)
DERIVED_KIND = "derived"


class IndicatorError(GeodataError):
    """The indicator table breaks a rule; the message names the row."""


@dataclass(frozen=True)
class Indicator:
    """What one indicator measures, its unit and the values it may take."""

    unit: str
    low: float
    high: float
    label_en: str
    label_zh: str
    rate: bool = False  # a share in percent: 0-100
    derived_only: bool = False


INDICATORS: dict[str, Indicator] = {
    "gdp": Indicator("100M yuan", 0, math.inf, "GDP", "地区生产总值"),
    "gdp_per_capita": Indicator("yuan", 0, math.inf, "GDP per capita", "人均地区生产总值"),
    "population": Indicator("10k persons", 0, math.inf, "Resident population", "常住人口"),
    "rd_expenditure": Indicator("100M yuan", 0, math.inf, "R&D expenditure", "研究与试验发展(R&D)经费"),
    "rd_intensity": Indicator("percent", 0, 100, "R&D intensity (R&D / GDP)", "R&D经费投入强度", rate=True),
    "urbanization_rate": Indicator("percent", 0, 100, "Urbanization rate", "常住人口城镇化率", rate=True),
    "rd_intensity_change": Indicator(
        "percentage points per year", -100, 100, "R&D intensity, change", "R&D经费投入强度变化", derived_only=True
    ),
    "urbanization_rate_change": Indicator(
        "percentage points per year", -100, 100, "Urbanization rate, change", "城镇化率变化", derived_only=True
    ),
}
#: Each change indicator and the indicator it is the year-on-year change of.
CHANGE_OF = {"rd_intensity_change": "rd_intensity", "urbanization_rate_change": "urbanization_rate"}

#: Vintages: series whose values can be compared with each other, with their labels.
VINTAGES: dict[str, tuple[str, str]] = {
    "year_end_pre_census": ("year-end, before the 2020 census revision", "年末数（第七次人口普查前口径）"),
    "year_end_post_census": ("year-end, 2020-census basis", "年末数（第七次人口普查口径）"),
    "census_2020": ("7th census, 2020-11-01", "第七次全国人口普查（2020年11月1日）"),
    "nbs_database_2026_03": ("NBS database, March 2026 (revised)", "国家统计局数据库（2026年3月，修订数）"),
    "nbs_database_2022_10": ("NBS database, October 2022", "国家统计局数据库（2022年10月）"),
    "first_published_pre_econ_census": (
        "first published, before the 5th economic census revision",
        "初步核算数（第五次全国经济普查修订前）",
    ),
    "first_published_post_econ_census": (
        "first published, after the 5th economic census revision",
        "初步核算数（第五次全国经济普查修订后）",
    ),
    "rd_gdp_pre_econ_census": (
        "R&D communiqué, GDP before the 5th economic census revision",
        "科技经费投入统计公报（第五次全国经济普查修订前GDP）",
    ),
    "rd_gdp_post_econ_census": (
        "R&D communiqué, GDP after the 5th economic census revision",
        "科技经费投入统计公报（第五次全国经济普查修订后GDP）",
    ),
    "rd_communique": ("R&D communiqué", "科技经费投入统计公报"),
    "preliminary_january_release": ("preliminary, January press release", "初步统计（一月发布）"),
    "preliminary_statistical_communique": ("preliminary, national statistical communiqué", "初步统计（统计公报）"),
}

# The last year on the old basis: year-end population and urbanization before the 2020 census results; GDP
# (and the R&D intensities computed on it) before the 5th economic census revision of December 2024.
LAST_PRE_CENSUS_YEAR = 2019
LAST_PRE_ECON_CENSUS_YEAR = 2023


def _by_year(last_old: int, old: str, new: str) -> dict[str, str]:
    return {"old": old, "new": new, "last_old": str(last_old)}


#: (indicator, variant) -> a vintage, or old/new vintages split at the last year of the old basis.
VARIANT_VINTAGES: dict[tuple[str, str], str | dict[str, str]] = {
    **{
        (ind, "year_end_first_published"): _by_year(LAST_PRE_CENSUS_YEAR, "year_end_pre_census", "year_end_post_census")
        for ind in ("population", "urbanization_rate")
    },
    ("population", "census_2020-11-01"): "census_2020",
    ("urbanization_rate", "census_2020-11-01"): "census_2020",
    ("population", "year_end_nbs_database_2026-03"): "nbs_database_2026_03",
    ("population", "year_end_nbs_database_2022-10"): "nbs_database_2022_10",
    ("gdp", "revised_nbs_database_2026-03"): "nbs_database_2026_03",
    ("gdp", "revised_nbs_database_2022-10"): "nbs_database_2022_10",
    ("gdp", "first_published_preliminary"): _by_year(
        LAST_PRE_ECON_CENSUS_YEAR, "first_published_pre_econ_census", "first_published_post_econ_census"
    ),
    ("gdp_per_capita", "first_published"): _by_year(
        LAST_PRE_ECON_CENSUS_YEAR, "first_published_pre_econ_census", "first_published_post_econ_census"
    ),
    ("gdp_per_capita", "derived_nbs_database_2026-03"): "nbs_database_2026_03",
    ("rd_intensity", "as_first_published"): _by_year(
        LAST_PRE_ECON_CENSUS_YEAR, "rd_gdp_pre_econ_census", "rd_gdp_post_econ_census"
    ),
    ("rd_intensity", "revised_after_5th_economic_census_GDP"): "rd_gdp_post_econ_census",
    ("rd_intensity", "preliminary_estimate_Jan_release"): "preliminary_january_release",
    ("rd_intensity", "preliminary_in_national_statistical_communique"): "preliminary_statistical_communique",
    ("rd_expenditure", "as_published_in_year_communique"): "rd_communique",
    ("rd_expenditure", "preliminary_estimate_Jan_release"): "preliminary_january_release",
    ("rd_expenditure", "preliminary_in_national_statistical_communique"): "preliminary_statistical_communique",
}


def vintage_of(*, indicator: str, variant: str, year: int) -> str:
    """The vintage of a value: which other values it can be compared with (a change across two is never growth)."""
    base = CHANGE_OF.get(indicator, indicator)
    rule = VARIANT_VINTAGES.get((base, variant))
    if rule is None:
        raise IndicatorError(f"unknown variant {variant!r} for indicator {indicator!r}")
    if isinstance(rule, str):
        return rule
    return rule["old"] if year <= int(rule["last_old"]) else rule["new"]


def variants_of(indicator: str) -> tuple[str, ...]:
    """The variants an indicator may have."""
    base = CHANGE_OF.get(indicator, indicator)
    return tuple(variant for ind, variant in VARIANT_VINTAGES if ind == base)
