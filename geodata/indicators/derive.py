"""Derived indicator rows, computed from sourced rows of one vintage: changes per year, region aggregates, per capita.

Every derived row names its inputs in `derived_from` (keys `adcode:year:indicator:variant` joined by `;`) and its
formula in `derivation`; `validate.find_problems` recomputes each one from those inputs. Nothing is interpolated: a
derived value exists only where every input exists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

import pandas as pd

from geodata.indicators.schema import (
    CHANGE_OF,
    CHINA,
    DERIVED_KIND,
    INDICATORS,
    PROVINCES,
    REGION,
    vintage_of,
)

Row: TypeAlias = pd.Series  # one indicator row (pandas ships no type information, so this is Any to mypy)


def key_of(row: Row) -> str:
    """The reference of a row in `derived_from`."""
    return f"{row['adcode']}:{int(row['year'])}:{row['indicator']}:{row['variant']}"


def parse_refs(text: str) -> list[tuple[str, int, str, str]]:
    """`derived_from` as (adcode, year, indicator, variant) keys; ValueError if malformed."""
    refs = []
    for part in str(text).split(";"):
        adcode, year, indicator, variant = part.strip().split(":")
        refs.append((adcode, int(year), indicator, variant))
    return refs


# ---- formulas: each takes the input rows (in `derived_from` order) and the derived row; returns (value, problem) --


def _same(rows: Sequence[Row], column: str) -> bool:
    return len({row[column] for row in rows}) == 1


def _change_per_year(inputs: Sequence[Row], row: Row) -> tuple[float | None, str]:
    if len(inputs) != 2:
        return None, "a change per year needs exactly two inputs"
    before, after = inputs
    base = CHANGE_OF.get(row["indicator"])
    if {before["indicator"], after["indicator"]} != {base} or not _same([*inputs, row], "adcode"):
        return None, f"a change of {base} needs two {base} values of the same unit"
    if int(after["year"]) != int(row["year"]) or int(before["year"]) != int(row["year"]) - 1:
        return None, "a change per year compares a year with the year before"
    if before["vintage"] != after["vintage"]:
        return None, (
            f"change across vintages: {int(before['year'])} is {before['vintage']}, "
            f"{int(after['year'])} is {after['vintage']}; a change across a vintage break is not growth"
        )
    return float(after["value"]) - float(before["value"]), ""


def _six_of_one_year(inputs: Sequence[Row], row: Row, indicator: str) -> list[Row] | str:
    rows = [r for r in inputs if r["indicator"] == indicator]
    if sorted(r["adcode"] for r in rows) != sorted(PROVINCES):
        return f"the region needs {indicator} of each of the six provinces exactly once"
    if any(int(r["year"]) != int(row["year"]) for r in rows):
        return f"the region's {indicator} inputs must all be of {int(row['year'])}"
    if not _same(rows, "vintage"):
        return f"the region's {indicator} inputs mix vintages {sorted({r['vintage'] for r in rows})}"
    return sorted(rows, key=lambda r: r["adcode"])


def _region_sum(inputs: Sequence[Row], row: Row) -> tuple[float | None, str]:
    rows = _six_of_one_year(inputs, row, row["indicator"])
    if isinstance(rows, str):
        return None, rows
    if len(inputs) != len(PROVINCES) or rows[0]["vintage"] != row["vintage"]:
        return None, "a regional sum takes the six provinces' values of its own vintage"
    return sum(float(r["value"]) for r in rows), ""


def _region_rd_intensity(inputs: Sequence[Row], row: Row) -> tuple[float | None, str]:
    spend = _six_of_one_year(inputs, row, "rd_expenditure")
    share = _six_of_one_year(inputs, row, "rd_intensity")
    if isinstance(spend, str):
        return None, spend
    if isinstance(share, str):
        return None, share
    if len(inputs) != 2 * len(PROVINCES) or share[0]["vintage"] != row["vintage"]:
        return None, "the region's R&D intensity takes six R&D expenditures and six intensities of its own vintage"
    # GDP as the communiqué itself used it: expenditure / intensity, province by province (same table).
    gdp = sum(float(e["value"]) / float(i["value"]) for e, i in zip(spend, share, strict=True))
    return sum(float(e["value"]) for e in spend) / gdp, ""


def _region_urbanization(inputs: Sequence[Row], row: Row) -> tuple[float | None, str]:
    rates = _six_of_one_year(inputs, row, "urbanization_rate")
    people = _six_of_one_year(inputs, row, "population")
    if isinstance(rates, str):
        return None, rates
    if isinstance(people, str):
        return None, people
    if len(inputs) != 2 * len(PROVINCES) or not _same([*rates, *people, row], "vintage"):
        return None, "the region's urbanization rate weights six rates by six populations, all of one vintage"
    urban = sum(float(r["value"]) * float(p["value"]) for r, p in zip(rates, people, strict=True))
    return urban / sum(float(p["value"]) for p in people), ""


def _per_capita(inputs: Sequence[Row], row: Row) -> tuple[float | None, str]:
    if len(inputs) != 3 or [r["indicator"] for r in inputs] != ["gdp", "population", "population"]:
        return None, "GDP per capita takes GDP of the year and the population at the end of it and the year before"
    gdp, start, end = inputs
    year = int(row["year"])
    if [int(gdp["year"]), int(start["year"]), int(end["year"])] != [year, year - 1, year]:
        return None, "GDP per capita takes GDP of the year and the population at the end of it and the year before"
    if not _same([*inputs, row], "vintage") or not _same([*inputs, row], "adcode"):
        return None, "GDP per capita takes GDP and population of one unit and one vintage"
    average = (float(start["value"]) + float(end["value"])) / 2  # 10k persons
    return float(gdp["value"]) * 1e8 / (average * 1e4), ""


@dataclass(frozen=True)
class Derivation:
    """A formula, with the title and note its rows carry."""

    compute: Callable[[Sequence[Row], Row], tuple[float | None, str]]
    title: str
    note: str


DERIVATIONS: dict[str, Derivation] = {
    "change_per_year": Derivation(
        _change_per_year,
        "Derived: change on the year before, within one vintage",
        "value of the year minus value of the year before, both of the same vintage",
    ),
    "region_sum": Derivation(
        _region_sum, "Derived: sum of the six provinces", "sum of the six provinces' values of one year and vintage"
    ),
    "region_rd_intensity": Derivation(
        _region_rd_intensity,
        "Derived: the region's R&D intensity = sum of R&D expenditure / sum of GDP",
        "sum of the six provinces' R&D expenditure / sum of their GDP as the same communiqué table used it "
        "(each province's expenditure / its intensity); intensities are printed to 0.01, so the GDP is good to "
        "about 0.3% and the region's intensity to about 0.005 points",
    ),
    "region_urbanization": Derivation(
        _region_urbanization,
        "Derived: the region's urbanization rate, weighted by resident population",
        "sum of rate x population / sum of population over the six provinces, one year and one vintage",
    ),
    "per_capita_average_population": Derivation(
        _per_capita,
        "Derived: GDP / average resident population of the year",
        "GDP / mean of the year-end population of the year and of the year before (the statistical convention for "
        "per-capita GDP), GDP and population from the same database vintage",
    ),
}


# ---- building the derived rows from a table of sourced rows ------------------------------------------------------


def _derived_row(*, adcode: str, year: int, indicator: str, variant: str, inputs: list[Row], how: str) -> dict:
    row = {"adcode": adcode, "year": year, "indicator": indicator, "variant": variant}
    row["vintage"] = vintage_of(indicator=indicator, variant=variant, year=year)
    value, problem = DERIVATIONS[how].compute(inputs, pd.Series(row))
    if problem:  # the builders below only pair inputs that fit; this is a bug, not bad data
        raise AssertionError(f"{how} for {adcode} {year} {indicator}: {problem}")
    refs = ";".join(key_of(r) for r in inputs)
    numbers = ", ".join(f"{float(r['value']):g}" for r in inputs)
    return {
        **row,
        "value": value,
        "unit": INDICATORS[indicator].unit,
        "source_title": DERIVATIONS[how].title,
        "source_where": "computed by geodata/indicators/derive.py from the rows in derived_from",
        "excerpt": f"{how}({numbers}) = {value:.6g}",
        "source_kind": DERIVED_KIND,
        "cross_checked": False,
        "note": DERIVATIONS[how].note,
        "derived": True,
        "low_confidence": any(bool(r["low_confidence"]) for r in inputs),
        "derivation": how,
        "derived_from": refs,
        "n_documents": 0,
        "other_sources": "",
        "csv_lines": "",
    }


def _groups(frame: pd.DataFrame, indicator: str) -> dict[tuple[int, str, str], dict[str, Row]]:
    """(year, variant, vintage) -> {adcode: row} for one indicator, provinces only."""
    groups: dict[tuple[int, str, str], dict[str, Row]] = {}
    rows = frame[(frame["indicator"] == indicator) & frame["adcode"].isin(PROVINCES)]
    for _, row in rows.iterrows():
        groups.setdefault((int(row["year"]), row["variant"], row["vintage"]), {})[row["adcode"]] = row
    return groups


def _complete(group: dict[str, Row]) -> list[Row] | None:
    return [group[a] for a in PROVINCES] if set(group) == set(PROVINCES) else None


def _complete_groups(frame: pd.DataFrame, indicator: str) -> dict[tuple[int, str, str], list[Row]]:
    """The groups of `_groups` that hold all six provinces, each as its rows in province order."""
    complete: dict[tuple[int, str, str], list[Row]] = {}
    for key, group in _groups(frame, indicator).items():
        if (rows := _complete(group)) is not None:
            complete[key] = rows
    return complete


def region_rows(frame: pd.DataFrame) -> list[dict]:
    """The six provinces together, only for a year and vintage where all six have the inputs."""
    out = []
    for indicator in ("gdp", "population", "rd_expenditure"):
        for (year, variant, _), group in sorted(_groups(frame, indicator).items()):
            if rows := _complete(group):
                out.append(
                    _derived_row(
                        adcode=REGION, year=year, indicator=indicator, variant=variant, inputs=rows, how="region_sum"
                    )
                )
    spend = {year: rows for (year, _, _), rows in _complete_groups(frame, "rd_expenditure").items()}
    for (year, variant, _), group in sorted(_groups(frame, "rd_intensity").items()):
        if (shares := _complete(group)) and year in spend:
            inputs = [*spend[year], *shares]
            out.append(
                _derived_row(
                    adcode=REGION,
                    year=year,
                    indicator="rd_intensity",
                    variant=variant,
                    inputs=inputs,
                    how="region_rd_intensity",
                )
            )
    people = {(year, vintage): rows for (year, _, vintage), rows in _complete_groups(frame, "population").items()}
    for (year, variant, vintage), group in sorted(_groups(frame, "urbanization_rate").items()):
        if (rates := _complete(group)) and (year, vintage) in people:
            inputs = [*rates, *people[(year, vintage)]]
            out.append(
                _derived_row(
                    adcode=REGION,
                    year=year,
                    indicator="urbanization_rate",
                    variant=variant,
                    inputs=inputs,
                    how="region_urbanization",
                )
            )
    return out


def change_rows(frame: pd.DataFrame) -> list[dict]:
    """Change on the year before, for each rate, only where both years are of the same vintage."""
    out = []
    for change, base in CHANGE_OF.items():
        rows = frame[frame["indicator"] == base]
        index = {(r["adcode"], int(r["year"]), r["vintage"]): r for _, r in rows.iterrows()}
        for (adcode, year, vintage), after in sorted(index.items()):
            before = index.get((adcode, year - 1, vintage))
            if before is not None:
                out.append(
                    _derived_row(
                        adcode=adcode,
                        year=year,
                        indicator=change,
                        variant=after["variant"],
                        inputs=[before, after],
                        how="change_per_year",
                    )
                )
    return out


PER_CAPITA_VARIANTS = {"gdp": "revised_nbs_database_2026-03", "population": "year_end_nbs_database_2026-03"}


def per_capita_rows(frame: pd.DataFrame) -> list[dict]:
    """GDP per capita from the one database vintage that holds both GDP and year-end population."""
    gdp = frame[(frame["indicator"] == "gdp") & (frame["variant"] == PER_CAPITA_VARIANTS["gdp"])]
    people = frame[(frame["indicator"] == "population") & (frame["variant"] == PER_CAPITA_VARIANTS["population"])]
    people_at = {(r["adcode"], int(r["year"])): r for _, r in people.iterrows()}
    out = []
    for _, row in gdp.iterrows():
        adcode, year = row["adcode"], int(row["year"])
        start, end = people_at.get((adcode, year - 1)), people_at.get((adcode, year))
        if start is not None and end is not None:
            out.append(
                _derived_row(
                    adcode=adcode,
                    year=year,
                    indicator="gdp_per_capita",
                    variant="derived_nbs_database_2026-03",
                    inputs=[row, start, end],
                    how="per_capita_average_population",
                )
            )
    return out


def with_derived(sourced: pd.DataFrame) -> pd.DataFrame:
    """The sourced rows plus every derived row their inputs allow (region first, so the region gets changes too)."""
    regional = pd.DataFrame(region_rows(sourced) + per_capita_rows(sourced))
    frame = pd.concat([sourced, regional], ignore_index=True) if len(regional) else sourced
    changes = pd.DataFrame(change_rows(frame))
    frame = pd.concat([frame, changes], ignore_index=True) if len(changes) else frame
    return frame.reset_index(drop=True)


def rd_intensity_checks(frame: pd.DataFrame) -> pd.DataFrame:
    """Published R&D intensities against expenditure / a sourced GDP of the matching vintage, where both exist.

    First-published intensities pair with first-published GDP; the 2023 intensities revised after the 5th economic
    census pair with the revised GDP of the NBS database. Also the region, where all six GDPs of a vintage exist.
    """
    pairs = {
        "as_first_published": "first_published_preliminary",
        "revised_after_5th_economic_census_GDP": "revised_nbs_database_2026-03",
    }
    sourced = frame[~frame["derived"].astype(bool)]
    value = {
        (r["adcode"], int(r["year"]), r["indicator"], r["variant"]): float(r["value"]) for _, r in sourced.iterrows()
    }
    region = frame[(frame["adcode"] == REGION) & (frame["indicator"] == "rd_intensity")]
    region_value = {(int(r["year"]), r["variant"]): float(r["value"]) for _, r in region.iterrows()}
    records = []
    years = sorted({int(y) for y in frame["year"]})
    for variant, gdp_variant in pairs.items():
        for year in years:
            spends, gdps = {}, {}
            for adcode in (*PROVINCES, CHINA):
                spend = value.get((adcode, year, "rd_expenditure", "as_published_in_year_communique"))
                gdp = value.get((adcode, year, "gdp", gdp_variant))
                published = value.get((adcode, year, "rd_intensity", variant))
                if spend is not None and gdp is not None:
                    spends[adcode], gdps[adcode] = spend, gdp
                    if published is not None:
                        records.append(_check(adcode, year, variant, gdp_variant, 100 * spend / gdp, published))
            if all(a in gdps for a in PROVINCES) and (year, variant) in region_value:
                computed = 100 * sum(spends[a] for a in PROVINCES) / sum(gdps[a] for a in PROVINCES)
                records.append(_check(REGION, year, variant, gdp_variant, computed, region_value[(year, variant)]))
    return pd.DataFrame(records)


def _check(adcode: str, year: int, variant: str, gdp_variant: str, computed: float, published: float) -> dict:
    return {
        "adcode": adcode,
        "year": year,
        "variant": variant,
        "gdp_variant": gdp_variant,
        "computed": computed,
        "compared_with": published,
        "difference": computed - published,
    }
