"""Read the bundled indicator table: one row per document read, then one value per key, derived rows, validated."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pandas as pd

from geodata import snapshot
from geodata.indicators.derive import with_derived
from geodata.indicators.schema import (
    COLUMNS,
    INDICATORS_CSV,
    KEY,
    SOURCE_COLUMNS,
    SOURCE_KINDS,
    IndicatorError,
    vintage_of,
)
from geodata.indicators.validate import validate_indicators
from geodata.layers import read_table

LOW_CONFIDENCE = re.compile(r"\blow(?:-medium)? confidence\b", re.IGNORECASE)
#: When several documents give one key, the row shown is the most trustworthy kind, then the most precise.
KIND_RANK = {kind: rank for rank, kind in enumerate(SOURCE_KINDS)}


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def _typed(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The CSV's strings as typed columns; a bad cell is an error naming its line."""
    absent = [c for c in SOURCE_COLUMNS if c not in table.columns]
    if absent:
        raise IndicatorError(f"{path.name}: missing columns {', '.join(absent)}")
    rows = []
    for line, row in table.iterrows():
        where = f"{path.name} line {line}"
        if not re.fullmatch(r"\d{4}", row["year"]) or not re.fullmatch(r"-?\d+(\.\d+)?", row["value"]):
            raise IndicatorError(f"{where}: year {row['year']!r} and value {row['value']!r} must be numbers")
        if row["cross_checked"] not in ("true", "false"):
            raise IndicatorError(f"{where}: cross_checked must be true or false, not {row['cross_checked']!r}")
        try:
            vintage = vintage_of(indicator=row["indicator"], variant=row["variant"], year=int(row["year"]))
        except IndicatorError as error:
            raise IndicatorError(f"{where}: {error}") from None
        rows.append(
            {
                **{c: row[c] for c in SOURCE_COLUMNS},
                "year": int(row["year"]),
                "value": float(row["value"]),
                "decimals": _decimals(row["value"]),
                "cross_checked": row["cross_checked"] == "true",
                "vintage": vintage,
                "low_confidence": bool(LOW_CONFIDENCE.search(row["note"])),
                "csv_line": int(line),
            }
        )
    return pd.DataFrame(rows)


@functools.cache
def _documents(path: Path) -> pd.DataFrame:
    return _typed(read_table(path), path)


def load_indicator_documents(*, path: Path = INDICATORS_CSV) -> pd.DataFrame:
    """Every row of the bundled CSV: one per value read in one document, with `vintage`, `low_confidence`, line."""
    return _documents(path).copy()


def _one_value(rows: pd.DataFrame) -> dict:
    """Several documents giving one key must agree within half a unit of the coarser printed precision."""
    if len(rows) > 1:
        half_unit = 0.5 * 10.0 ** -int(rows["decimals"].min())
        if rows["value"].max() - rows["value"].min() > half_unit + 1e-9:
            lines = ", ".join(str(n) for n in rows["csv_line"])
            key = ":".join(str(rows.iloc[0][c]) for c in KEY)
            raise IndicatorError(f"indicators.csv lines {lines} ({key}): values {sorted(rows['value'])} disagree")
    ranked = rows.assign(
        _kind=rows["source_kind"].map(KIND_RANK).fillna(len(KIND_RANK)),
        _neg_decimals=-rows["decimals"],
    ).sort_values(["low_confidence", "_kind", "_neg_decimals", "csv_line"], kind="stable")
    first, others = ranked.iloc[0], ranked.iloc[1:]
    return {
        **{c: first[c] for c in (*SOURCE_COLUMNS, "vintage")},
        "cross_checked": bool(rows["cross_checked"].any()),
        "low_confidence": bool(rows["low_confidence"].all()),
        "derived": False,
        "derivation": "",
        "derived_from": "",
        "n_documents": len(rows),
        "other_sources": " | ".join(f"{r['source_title']} ({r['source_where']})" for _, r in others.iterrows()),
        "csv_lines": ", ".join(str(n) for n in ranked["csv_line"]),
    }


def tidy(documents: pd.DataFrame) -> pd.DataFrame:
    """One row per (adcode, year, indicator, variant), plus derived rows, validated."""
    sourced = pd.DataFrame([_one_value(rows) for _, rows in documents.groupby(list(KEY), sort=True)])
    frame = with_derived(sourced)[list(COLUMNS)]
    frame["year"] = frame["year"].astype(int)
    frame["n_documents"] = frame["n_documents"].astype(int)
    for column in ("derived", "low_confidence", "cross_checked"):
        frame[column] = frame[column].astype(bool)
    return validate_indicators(frame)


@functools.cache
def _tidy(path: Path) -> pd.DataFrame:
    if path != INDICATORS_CSV:
        return tidy(_documents(path))
    return snapshot.cached("indicators", build=lambda: tidy(_documents(path)))  # the bundled table: kept between runs


def load_indicators(*, path: Path = INDICATORS_CSV) -> pd.DataFrame:
    """The indicator table: sourced values (one per key, several documents folded) and derived values, validated.

    Columns: see `schema.COLUMNS`. `adcode` is a string (six provinces, China `100000`, and `central` for the
    region in derived rows). Absent cells have no row. Cached per path; each call returns a fresh copy.
    """
    return _tidy(path).copy()
