"""The units a file is joined to: the detailed counties and the names of each level's units, and the counts table."""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geodata._paths import LEVELS
from geodata.join.errors import JoinInputError
from geodata.load import read_boundaries

#: Boundaries joined against: `detail` keeps the exact borders (light moves ~0.6% of random points).
RESOLUTION = "detail"
OUTSIDE = ("", "(outside the six provinces)", "（六省以外）")


@dataclass(frozen=True)
class Units:
    """The counties joined against and the names of each level's units: small, sent once to each worker."""

    counties: gpd.GeoDataFrame
    names: dict[str, pd.DataFrame]  # level -> name_en, name_zh indexed by adcode (six provinces only)


@functools.cache
def atlas_units(*, resolution: str = RESOLUTION) -> Units:
    """The six provinces' counties and every unit's names, from the bundled boundaries."""
    frames = {level: read_boundaries(level=level, resolution=resolution) for level in LEVELS}
    names = {
        level: frame.loc[frame["is_central"], ["adcode", "name_en", "name_zh"]].set_index("adcode")
        for level, frame in frames.items()
    }
    counties = frames["county"][["adcode", "prefecture_adcode", "province_adcode", "geometry"]]
    return Units(counties=counties, names=names)


def levels_down_to(level: str) -> tuple[str, ...]:
    """The levels whose columns --level adds: itself and every level above it."""
    if level not in LEVELS:
        raise JoinInputError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    return LEVELS[: LEVELS.index(level) + 1]


def unit_columns(level: str) -> list[str]:
    """The columns a join adds, grouped by level from the province down."""
    return [f"{name}_{key}" for name in levels_down_to(level) for key in ("adcode", "name_en", "name_zh")]


def unit_frame(located: pd.DataFrame, *, level: str, units: Units) -> pd.DataFrame:
    """Codes and names of the units each point lies in (missing outside the six provinces)."""
    columns = {}
    for name in levels_down_to(level):
        codes = located[f"{name}_adcode"]
        columns[f"{name}_adcode"] = codes
        columns[f"{name}_name_en"] = codes.map(units.names[name]["name_en"])
        columns[f"{name}_name_zh"] = codes.map(units.names[name]["name_zh"])
    return pd.DataFrame({key: pd.array(values, dtype="str") for key, values in columns.items()}, index=located.index)


def counts_table(counts: Counter, *, level: str, units: Units) -> pd.DataFrame:
    """Rows per unit of `level` (every unit, zeros included), then one row for points outside them all."""
    names = units.names[level].sort_index()
    table = pd.DataFrame(
        {
            "adcode": [*names.index, OUTSIDE[0]],
            "name_en": [*names["name_en"], OUTSIDE[1]],
            "name_zh": [*names["name_zh"], OUTSIDE[2]],
        }
    )
    table["count"] = [counts.get(code, 0) for code in table["adcode"]]
    return table
