"""The guideline's two 2025 targets, tracked: pure functions from the indicator table to status records and series.

R&D: each unit's R&D intensity against China's of the same year and variant (so the same vintage); on track when at
or above it ("reaching the national average"). Urbanization: the latest year-end rate against a path of +1 point a
year from the last comparable base, i.e. the earliest year-end value since `period_start` of the same vintage as
the latest one (the 2019 figures are on the pre-census basis, so for 2021+ values the base is 2021 or later). A value
on the path counts as on track; two-decimal figures cannot tell "more than 1 point" from exactly 1 point.
Wording is separate: `sentence()` fills a strings table.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from geodata.indicators.schema import CHINA, INDICATORS, NAMES, PROVINCES, REGION, TARGETS_CSV, VINTAGES
from geodata.layers import read_table

ON_TRACK, BEHIND, NOT_ENOUGH_DATA = "on_track", "behind", "not_enough_data"
RD_TARGET, URBANIZATION_TARGET = "rd_intensity_national_average", "urbanization_plus_1_point"
UNITS: tuple[str, ...] = (*PROVINCES, REGION)
#: Comparable variants of R&D intensity, latest basis first (2023 has both; the revised one compares with 2024).
RD_VARIANTS = ("revised_after_5th_economic_census_GDP", "as_first_published")
#: Year-end urbanization vintages; the census (2020-11-01) is a point survey, not a year-end figure.
YEAR_END_VINTAGES = ("year_end_post_census", "year_end_pre_census")
PERIOD_START = 2020  # the year before the guideline's 2021-2025 period; the earliest possible base
POINTS_PER_YEAR = 1.0


@dataclass(frozen=True)
class TargetStatus:
    """One unit against one target: the status, the numbers used and where they come from."""

    target: str
    adcode: str
    status: str  # on_track | behind | not_enough_data
    reason: str = ""  # why not enough data: no_value | no_national_value | no_comparable_base | incomplete_region
    year: int | None = None
    value: float | None = None
    reference: float | None = None  # the national average / the +1 point a year path, in the same year
    variant: str | None = None
    vintage: str | None = None
    base_year: int | None = None
    base_value: float | None = None
    low_confidence: bool = False  # any value used rests only on low-confidence documents
    derived: bool = False  # the unit's value is computed (the region)
    inputs: tuple[str, ...] = ()  # adcode:year:indicator:variant of every value used
    missing: tuple[str, ...] = ()  # adcode:year:indicator cells whose absence decided not_enough_data

    @property
    def margin_points(self) -> float | None:
        """Value minus reference, in percentage points (negative when behind)."""
        return None if self.value is None or self.reference is None else self.value - self.reference

    @property
    def gap_points(self) -> float | None:
        """How many points short of the reference, when behind."""
        margin = self.margin_points
        return -margin if self.status == BEHIND and margin is not None else None

    @property
    def annual_change(self) -> float | None:
        """Average change per year from the base (urbanization)."""
        if self.base_year is None or self.base_value is None or self.year is None or self.value is None:
            return None
        if self.year == self.base_year:
            return None
        return (self.value - self.base_value) / (self.year - self.base_year)

    def as_record(self) -> dict:
        """A plain dict with the computed properties, for tables and JSON."""
        record = dataclasses.asdict(self)
        record.update(margin_points=self.margin_points, gap_points=self.gap_points, annual_change=self.annual_change)
        return record


def _key(row: pd.Series) -> str:
    return f"{row['adcode']}:{int(row['year'])}:{row['indicator']}:{row['variant']}"


def _judge(margin: float) -> str:
    return ON_TRACK if round(margin, 9) >= 0 else BEHIND  # rounding keeps float noise from breaking a tie


def _rows(frame: pd.DataFrame, *, indicator: str, adcode: str, as_of: int | None) -> pd.DataFrame:
    rows = frame[(frame["indicator"] == indicator) & (frame["adcode"] == adcode)]
    return rows if as_of is None else rows[rows["year"] <= as_of]


def _absent(
    frame: pd.DataFrame, *, indicator: str, adcodes: Iterable[str], years: Iterable[int], vintage: str
) -> tuple[str, ...]:
    rows = frame[(frame["indicator"] == indicator) & (frame["vintage"] == vintage)]
    present = set(zip(rows["adcode"], rows["year"].astype(int), strict=True))
    return tuple(f"{a}:{y}:{indicator}" for y in years for a in adcodes if (a, y) not in present)


def rd_intensity_status(frame: pd.DataFrame, *, adcode: str, as_of: int | None = None) -> TargetStatus:
    """R&D intensity of `adcode` in its latest year (up to `as_of`) that China has in the same variant."""
    unit = _rows(frame, indicator="rd_intensity", adcode=adcode, as_of=as_of)
    unit = unit[unit["variant"].isin(RD_VARIANTS)]
    if unit.empty:
        missing: tuple[str, ...] = ()
        if adcode == REGION:
            years = sorted({int(y) for y in frame.loc[frame["indicator"] == "rd_intensity", "year"]})
            years = [y for y in years if as_of is None or y <= as_of][-1:]
            vintage = "rd_gdp_post_econ_census"
            missing = _absent(frame, indicator="rd_intensity", adcodes=PROVINCES, years=years, vintage=vintage)
        reason = "incomplete_region" if adcode == REGION else "no_value"
        return TargetStatus(RD_TARGET, adcode, NOT_ENOUGH_DATA, reason, missing=missing)
    nation = _rows(frame, indicator="rd_intensity", adcode=CHINA, as_of=as_of)
    pairs = unit.merge(nation, on=["year", "variant"], suffixes=("", "_nation"))
    if pairs.empty:
        latest = unit.sort_values("year").iloc[-1]
        return TargetStatus(RD_TARGET, adcode, NOT_ENOUGH_DATA, "no_national_value", year=int(latest["year"]))
    pairs = pairs.assign(_pref=pairs["variant"].map(RD_VARIANTS.index)).sort_values(["year", "_pref"])
    pairs = pairs[pairs["year"] == pairs["year"].max()]
    best = pairs.iloc[0]
    value, reference = float(best["value"]), float(best["value_nation"])
    nation_row = nation[(nation["year"] == best["year"]) & (nation["variant"] == best["variant"])].iloc[0]
    return TargetStatus(
        RD_TARGET,
        adcode,
        _judge(value - reference),
        year=int(best["year"]),
        value=value,
        reference=reference,
        variant=best["variant"],
        vintage=best["vintage"],
        low_confidence=bool(best["low_confidence"] or best["low_confidence_nation"]),
        derived=bool(best["derived"]),
        inputs=(_key(best), _key(nation_row)),
    )


def urbanization_status(
    frame: pd.DataFrame,
    *,
    adcode: str,
    as_of: int | None = None,
    period_start: int = PERIOD_START,
    points_per_year: float = POINTS_PER_YEAR,
) -> TargetStatus:
    """The latest year-end urbanization rate against +`points_per_year` a year from the last comparable base."""
    rows = _rows(frame, indicator="urbanization_rate", adcode=adcode, as_of=as_of)
    rows = rows[rows["vintage"].isin(YEAR_END_VINTAGES)].sort_values("year")
    if rows.empty:
        adcodes = PROVINCES if adcode == REGION else (adcode,)
        provincial = frame[(frame["indicator"] == "urbanization_rate") & frame["adcode"].isin(PROVINCES)]
        last_year = int(provincial["year"].max()) if as_of is None else as_of
        years = range(period_start, last_year + 1)
        missing = _absent(
            frame, indicator="urbanization_rate", adcodes=adcodes, years=years, vintage=YEAR_END_VINTAGES[0]
        )
        reason = "incomplete_region" if adcode == REGION else "no_value"
        return TargetStatus(URBANIZATION_TARGET, adcode, NOT_ENOUGH_DATA, reason, missing=missing)
    latest = rows.iloc[-1]
    year, vintage = int(latest["year"]), latest["vintage"]
    comparable = rows[(rows["vintage"] == vintage) & (rows["year"] >= period_start) & (rows["year"] < year)]
    common = {"year": year, "value": float(latest["value"]), "variant": latest["variant"], "vintage": vintage}
    if comparable.empty:
        before = range(period_start, year)
        missing = _absent(frame, indicator="urbanization_rate", adcodes=[adcode], years=before, vintage=vintage)
        return TargetStatus(
            URBANIZATION_TARGET, adcode, NOT_ENOUGH_DATA, "no_comparable_base", **common, missing=missing
        )
    base = comparable.iloc[0]
    base_year, base_value = int(base["year"]), float(base["value"])
    reference = base_value + points_per_year * (year - base_year)
    return TargetStatus(
        URBANIZATION_TARGET,
        adcode,
        _judge(common["value"] - reference),
        **common,
        reference=reference,
        base_year=base_year,
        base_value=base_value,
        low_confidence=bool(latest["low_confidence"] or base["low_confidence"]),
        derived=bool(latest["derived"]),
        inputs=(_key(base), _key(latest)),
    )


def targets_table(frame: pd.DataFrame, *, as_of: int | None = None) -> list[TargetStatus]:
    """Both targets for the six provinces and the region (the region computed from its provinces)."""
    rd = [rd_intensity_status(frame, adcode=a, as_of=as_of) for a in UNITS]
    urban = [urbanization_status(frame, adcode=a, as_of=as_of) for a in UNITS]
    return rd + urban


def trend_series(frame: pd.DataFrame, *, indicator: str, adcodes: Iterable[str] = (*UNITS, CHINA)) -> pd.DataFrame:
    """Points for small trend charts; `series` (adcode|vintage) never joins two vintages in one line."""
    if indicator == "rd_intensity":
        keep = frame["variant"].isin(RD_VARIANTS)
    elif indicator == "urbanization_rate":
        keep = frame["vintage"].isin(YEAR_END_VINTAGES)
    else:
        keep = pd.Series(True, index=frame.index)
    rows = frame[keep & (frame["indicator"] == indicator) & frame["adcode"].isin(list(adcodes))]
    columns = ["adcode", "year", "value", "variant", "vintage", "derived", "low_confidence"]
    out = rows[columns].sort_values(["adcode", "vintage", "year"]).reset_index(drop=True)
    out["series"] = out["adcode"] + "|" + out["vintage"]
    return out


def path_points(status: TargetStatus, *, through: int = 2025) -> list[tuple[int, float]]:
    """The +1 point a year path of an urbanization status, from its base year to `through`; empty without a base."""
    if status.base_year is None or status.base_value is None or status.reference is None or status.year is None:
        return []
    per_year = (status.reference - status.base_value) / (status.year - status.base_year)
    return [(y, status.base_value + per_year * (y - status.base_year)) for y in range(status.base_year, through + 1)]


# ---- the guideline's words and the sentences, kept apart from the logic -------------------------------------------


@functools.cache
def _targets() -> tuple[dict[str, str], ...]:
    return tuple(dict(row) for _, row in read_table(TARGETS_CSV).iterrows())


def load_targets() -> list[dict[str, str]]:
    """The two 2025 targets with the guideline's words (English section 1, Chinese part 一 item (二))."""
    return [dict(row) for row in _targets()]


STRINGS: dict[str, dict[str, str]] = {
    "en": {
        f"{RD_TARGET}.{ON_TRACK}": "{name}: on track. R&D intensity {value:.2f}% in {year}, at or above the "
        "national {reference:.2f}% ({vintage}).",
        f"{RD_TARGET}.{BEHIND}": "{name}: behind by {gap:.2f} points. R&D intensity {value:.2f}% in {year} against "
        "the national {reference:.2f}% ({vintage}).",
        f"{URBANIZATION_TARGET}.{ON_TRACK}": "{name}: on track. Urbanization {value:.2f}% in {year}, up "
        "{change:.2f} points a year since {base_year} ({base_value:.2f}%); the +1 point a year path gives "
        "{reference:.2f}%.",
        f"{URBANIZATION_TARGET}.{BEHIND}": "{name}: behind by {gap:.2f} points. Urbanization {value:.2f}% in "
        "{year}, up {change:.2f} points a year since {base_year} ({base_value:.2f}%); the +1 point a year path "
        "gives {reference:.2f}%.",
        "no_value": "{name}: not enough data. No {indicator} value.",
        "no_national_value": "{name}: not enough data. No national value of the same year and vintage.",
        "no_comparable_base": "{name}: not enough data. {year} is the only year-end value on a comparable basis "
        "since {period_start}.",
        "incomplete_region": "{name}: not enough data. The region is computed only for a year in which all six "
        "provinces have a value of one vintage; {n_missing} province-year values are missing.",
        "low_confidence": " One of the values rests on a low-confidence source.",
    },
    "zh": {
        f"{RD_TARGET}.{ON_TRACK}": "{name}：达到目标进度。{year}年R&D经费投入强度{value:.2f}%，"
        "不低于全国{reference:.2f}%（{vintage}）。",
        f"{RD_TARGET}.{BEHIND}": "{name}：落后{gap:.2f}个百分点。{year}年R&D经费投入强度{value:.2f}%，"
        "全国为{reference:.2f}%（{vintage}）。",
        f"{URBANIZATION_TARGET}.{ON_TRACK}": "{name}：达到目标进度。{year}年城镇化率{value:.2f}%，自{base_year}年"
        "（{base_value:.2f}%）起年均提高{change:.2f}个百分点；按年均提高1个百分点应为{reference:.2f}%。",
        f"{URBANIZATION_TARGET}.{BEHIND}": "{name}：落后{gap:.2f}个百分点。{year}年城镇化率{value:.2f}%，"
        "自{base_year}年（{base_value:.2f}%）起年均提高{change:.2f}个百分点；按年均提高1个百分点应为"
        "{reference:.2f}%。",
        "no_value": "{name}：数据不足，没有{indicator}数据。",
        "no_national_value": "{name}：数据不足，没有同年同口径的全国数据。",
        "no_comparable_base": "{name}：数据不足，{period_start}年以来可比口径的年末数只有{year}年。",
        "incomplete_region": "{name}：数据不足。只有六省同一年份、同一口径的数据齐全时才能计算全区数值；"
        "目前缺少{n_missing}个省份年度数据。",
        "low_confidence": "其中有数据来自可信度较低的来源。",
    },
}


def sentence(
    status: TargetStatus,
    *,
    lang: str = "en",
    strings: Mapping[str, Mapping[str, str]] = STRINGS,
    names: Mapping[str, Mapping[str, str]] = NAMES,
    period_start: int = PERIOD_START,
) -> str:
    """One plain sentence for a status, in `lang`, from a strings table (the logic never builds text)."""
    table = strings[lang]
    key = status.reason if status.status == NOT_ENOUGH_DATA else f"{status.target}.{status.status}"
    spec = INDICATORS["rd_intensity" if status.target == RD_TARGET else "urbanization_rate"]
    vintage = VINTAGES.get(status.vintage or "", ("", ""))[0 if lang == "en" else 1]
    text = table[key].format(
        name=names[lang].get(status.adcode, status.adcode),
        indicator=spec.label_en.lower() if lang == "en" else spec.label_zh,
        value=status.value,
        reference=status.reference,
        gap=status.gap_points,
        year=status.year,
        base_year=status.base_year,
        base_value=status.base_value,
        change=status.annual_change,
        vintage=vintage,
        period_start=period_start,
        n_missing=len(status.missing),
    )
    return text + table["low_confidence"] if status.low_confidence else text
