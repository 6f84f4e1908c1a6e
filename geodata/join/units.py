"""The units a file is joined to: the detailed counties and the names of each level's units, and the counts table."""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa

from geodata._paths import BOUNDARIES_DIR, LEVELS
from geodata.join.errors import JoinInputError
from geodata.join.grid import CountyGrid
from geodata.join.grid_store import read_grid
from geodata.load import read_boundaries

#: Boundaries joined against: `detail` keeps the exact borders (light moves ~0.6% of random points).
RESOLUTION = "detail"
OUTSIDE = ("", "(outside the six provinces)", "（六省以外）")


@dataclass(frozen=True)
class Units:
    """The counties joined against and the names of each level's units: small, sent once to each worker.

    A county's position is its row in `counties`, which is sorted by adcode, so the smallest
    position a point touches is the smallest adcode (the border rule); position -1 is outside.
    """

    counties: gpd.GeoDataFrame
    names: dict[str, pd.DataFrame]  # level -> name_en, name_zh indexed by adcode (six provinces only)

    def __getstate__(self) -> dict:
        """The fields travel to dask workers, with the grid if it is built (so no worker builds it again)."""
        state = {"counties": self.counties, "names": self.names}
        if "grid" in self.__dict__:
            state["grid"] = self.__dict__["grid"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    @functools.cached_property
    def grid(self) -> CountyGrid:
        """The fast locator over the counties: the build's stored grid when it is theirs, else built on first use."""
        geometries = self.counties.geometry.to_numpy()
        return read_grid(geometries) or CountyGrid(geometries)

    @functools.cached_property
    def codes(self) -> dict[str, np.ndarray]:
        """Per level, the adcode of each county position's unit, and None last (what position -1 takes)."""
        columns = {"county": "adcode", "prefecture": "prefecture_adcode", "province": "province_adcode"}
        return {level: np.array([*self.counties[column], None], dtype=object) for level, column in columns.items()}

    @functools.cached_property
    def texts(self) -> dict[str, pa.Array]:
        """Every added column as text per county position, and "" last (outside), as the CSV output writes them."""
        located = pd.DataFrame({f"{level}_adcode": codes for level, codes in self.codes.items()})
        frame = unit_frame(located, level="county", units=self)
        return {column: pa.array(frame[column].fillna("").to_numpy(dtype=object), pa.string()) for column in frame}

    def locate(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The county position of each point (-1 outside or where a coordinate is NaN), by the border rule."""
        return self.grid.locate(x, y)

    def located(self, positions: np.ndarray, *, index: pd.Index | None = None) -> pd.DataFrame:
        """County, prefecture and province adcodes of each position (None outside), as locate_points gives them."""
        return pd.DataFrame({f"{level}_adcode": codes[positions] for level, codes in self.codes.items()}, index=index)

    def totals(self, positions: np.ndarray, values: np.ndarray, *, level: str) -> dict[str, tuple[float, int]]:
        """Per adcode of `level` ("" for outside): the sum of `values` and how many are not NaN."""
        valued = ~np.isnan(values)
        sums = np.bincount(positions + 1, weights=np.where(valued, values, 0.0), minlength=len(self.counties) + 1)
        numbers = np.bincount(positions + 1, weights=valued, minlength=len(self.counties) + 1)
        codes = np.append(OUTSIDE[0], self.codes[level][:-1])
        seen = numbers > 0
        frame = pd.DataFrame({"sum": sums[seen], "n": numbers[seen]}, index=codes[seen]).groupby(level=0).sum()
        return {
            str(code): (float(total), int(n))
            for code, total, n in zip(frame.index, frame["sum"], frame["n"], strict=True)
        }

    def counts(self, positions: np.ndarray, *, level: str) -> dict[str, int]:
        """Rows per adcode of `level` ("" for outside), for the positions seen."""
        per_position = np.bincount(positions + 1, minlength=len(self.counties) + 1)
        codes = np.append(OUTSIDE[0], self.codes[level][:-1])
        seen = per_position > 0
        totals = pd.Series(per_position[seen], index=codes[seen]).groupby(level=0).sum()
        return {str(code): int(count) for code, count in totals.items()}


@functools.cache
def atlas_units(*, resolution: str = RESOLUTION) -> Units:
    """The six provinces' counties and every unit's names, from the bundled boundaries."""
    return read_units(resolution=resolution)


def read_units(*, resolution: str = RESOLUTION, folder: Path = BOUNDARIES_DIR) -> Units:
    """The six provinces' counties (sorted by adcode) and every unit's names, from the boundaries in `folder`."""
    frames = {level: read_boundaries(level=level, resolution=resolution, folder=folder) for level in LEVELS}
    names = {
        level: frame.loc[frame["is_central"], ["adcode", "name_en", "name_zh"]].set_index("adcode")
        for level, frame in frames.items()
    }
    counties = frames["county"][["adcode", "prefecture_adcode", "province_adcode", "geometry"]]
    counties = counties.sort_values("adcode", kind="stable").reset_index(drop=True)
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


def counts_table(
    counts: Counter,
    *,
    level: str,
    units: Units,
    totals: dict[str, dict[str, tuple[float, int]]] | None = None,
    sums: tuple[str, ...] = (),
    means: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Rows per unit of `level` (every unit, zeros included), then one row for points outside them all.

    Then `{column}_sum` for each of `sums` and `{column}_mean` for each of `means`, over the rows
    whose cell is a number (empty where a unit has none).
    """
    names = units.names[level].sort_index()
    table = pd.DataFrame(
        {
            "adcode": [*names.index, OUTSIDE[0]],
            "name_en": [*names["name_en"], OUTSIDE[1]],
            "name_zh": [*names["name_zh"], OUTSIDE[2]],
        }
    )
    table["count"] = [counts.get(code, 0) for code in table["adcode"]]
    totals = totals or {}
    for column in sums:
        table[f"{column}_sum"] = [totals.get(column, {}).get(code, (0.0, 0))[0] for code in table["adcode"]]
    for column in means:
        found = [totals.get(column, {}).get(code, (0.0, 0)) for code in table["adcode"]]
        table[f"{column}_mean"] = [total / n if n else np.nan for total, n in found]
    return table
