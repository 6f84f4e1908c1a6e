"""Rules every indicator table must keep, checked on any frame; each problem names the row at fault."""

from __future__ import annotations

import math

import pandas as pd

from geodata.indicators.derive import DERIVATIONS, parse_refs
from geodata.indicators.schema import (
    CITATION_COLUMNS,
    COLUMNS,
    DERIVED_KIND,
    INDICATORS,
    KEY,
    KNOWN_ADCODES,
    REGION,
    SOURCE_KINDS,
    IndicatorError,
    vintage_of,
)

#: Derived values are stored unrounded, so a recomputation must agree to float precision.
REL_TOLERANCE = 1e-9


def describe(row: pd.Series) -> str:
    """A row as a person finds it: its key and, for a bundled row, its line(s) in indicators.csv."""
    label = f"{row.get('adcode')} {row.get('year')} {row.get('indicator')} [{row.get('variant')}]"
    lines = str(row.get("csv_lines", "") or "")
    return f"{label} (indicators.csv line {lines})" if lines else f"{label} (row {row.name})"


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value).strip()


def _row_problems(row: pd.Series) -> list[str]:
    spec = INDICATORS.get(row["indicator"])
    if spec is None:
        return [f"unknown indicator {row['indicator']!r}"]
    problems = []
    derived = bool(row["derived"])
    if row["adcode"] not in KNOWN_ADCODES and not (derived and row["adcode"] == REGION):
        problems.append(f"unknown adcode {row['adcode']!r}; expected one of {', '.join(KNOWN_ADCODES)}")
    if row["unit"] != spec.unit:
        problems.append(f"unit {row['unit']!r} but {row['indicator']} is in {spec.unit!r}")
    try:
        value = float(row["value"])
    except (TypeError, ValueError):
        return [*problems, f"value {row['value']!r} is not a number"]
    if not math.isfinite(value):
        problems.append("no value (absent cells have no row; never store a blank or NaN)")
    elif not spec.low <= value <= spec.high:
        problems.append(f"value {value:g} outside {spec.low:g}-{spec.high:g} {spec.unit}")
    try:
        vintage = vintage_of(indicator=row["indicator"], variant=row["variant"], year=int(row["year"]))
    except IndicatorError as error:
        problems.append(str(error))
    else:
        if row["vintage"] != vintage:
            problems.append(f"vintage {row['vintage']!r}, expected {vintage!r}")
    if derived:
        if row["source_kind"] != DERIVED_KIND or row["derivation"] not in DERIVATIONS:
            problems.append(f"a derived row needs source_kind {DERIVED_KIND!r} and a known derivation")
    else:
        if spec.derived_only:
            problems.append(f"{row['indicator']} is computed, never read from a source: mark it derived")
        missing = [c for c in CITATION_COLUMNS if not _text(row[c])]
        if missing:
            problems.append(f"missing source: empty {', '.join(missing)}")
        if row["source_kind"] not in SOURCE_KINDS:
            problems.append(f"unknown source_kind {row['source_kind']!r}")
    return problems


def _derived_problems(row: pd.Series, by_key: dict[tuple, pd.Series]) -> list[str]:
    try:
        refs = parse_refs(row["derived_from"])
    except ValueError:
        return [f"derived_from {row['derived_from']!r} is not a list of adcode:year:indicator:variant"]
    absent = [":".join(map(str, ref)) for ref in refs if ref not in by_key]
    if absent:
        return [f"derived from rows that are not in the table: {', '.join(absent)}"]
    expected, problem = DERIVATIONS[row["derivation"]].compute([by_key[ref] for ref in refs], row)
    if problem:
        return [problem]
    if expected is None:  # the formulas give no value only with a problem; kept explicit rather than assumed
        return [f"derivation {row['derivation']} gave no value"]
    value = float(row["value"])
    if not math.isclose(value, expected, rel_tol=REL_TOLERANCE, abs_tol=1e-12):
        return [f"derived value {value:g} is inconsistent with its inputs, which give {expected:g}"]
    return []


def find_problems(frame: pd.DataFrame) -> list[str]:
    """Every broken rule in `frame` (a table shaped like `load_indicators()`), one message per problem."""
    absent = [c for c in COLUMNS if c not in frame.columns]
    if absent:
        return [f"indicator table lacks columns: {', '.join(absent)}"]
    problems: list[str] = []
    for _, row in frame.iterrows():
        problems.extend(f"{describe(row)}: {p}" for p in _row_problems(row))
    keys = frame[list(KEY)].astype(str).agg(":".join, axis=1)
    for key in sorted(set(keys[keys.duplicated()])):
        rows = frame[keys == key]
        where = ", ".join(describe(r) for _, r in rows.iterrows())
        problems.append(f"duplicate key {key}: one value per (adcode, year, indicator, variant), found {where}")
    by_key = {(r["adcode"], int(r["year"]), r["indicator"], r["variant"]): r for _, r in frame.iterrows()}
    for _, row in frame[frame["derived"].astype(bool)].iterrows():
        if row["derivation"] in DERIVATIONS:
            problems.extend(f"{describe(row)}: {p}" for p in _derived_problems(row, by_key))
    return problems


def validate_indicators(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` unchanged if it keeps every rule; else IndicatorError listing the problems (first ten)."""
    problems = find_problems(frame)
    if problems:
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise IndicatorError(f"{len(problems)} problem(s) in the indicator table: " + "; ".join(problems[:10]) + more)
    return frame
