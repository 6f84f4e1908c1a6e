"""Classed choropleths shared by the indicator maps and planners' tables: classes, legend labels, palettes, text colour.

`classify(values, method=..., k=...)` gives each value a class index (`NO_DATA`, -1, for a missing value: zero is
data and gets a class like any number), the class bounds and labels formatted for the data: integers for integer
data (never a tick at 0.5), as many decimals as needed to tell the bounds apart otherwise. Methods: `quantiles`,
`fisher_jenks`, `equal_interval` (mapclassify), `user` (your breaks), `rank` (one class per distinct value, in
order: the default for a handful of units such as the six provinces). Ties always share a class; with fewer
distinct values than `k`, `k` shrinks rather than leaving classes that cannot hold a value.

Palettes are sequential and colour-blind safe: ColorBrewer 2.0 schemes (Cynthia Brewer, colorbrewer2.org, Apache
2.0 licence) and matplotlib's viridis and cividis (van der Walt, Smith, Nuñez; CC0), as bundled with Plotly in
`plotly.colors.sequential`.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import SupportsFloat, SupportsIndex

import numpy as np
from plotly import colors as plotly_colors

NO_DATA = -1
METHODS = ("quantiles", "fisher_jenks", "equal_interval", "user", "rank")
DEFAULT_K = 5
#: Up to this many distinct values, ranking shows every value as its own class.
RANK_UP_TO = 7
NO_DATA_STYLE = {"label_en": "No data", "label_zh": "无数据", "color": "#ffffff", "pattern": "/", "line": "#969696"}
DASH = "–"  # en dash between the bounds of a class

#: Sequential, colour-blind-safe schemes, light to dark (ColorBrewer 9-class lists; viridis/cividis reversed so
#: that, like the others, darker means more).
PALETTES: dict[str, list[str]] = {
    "YlGnBu": list(plotly_colors.sequential.YlGnBu),
    "Blues": list(plotly_colors.sequential.Blues),
    "PuBu": list(plotly_colors.sequential.PuBu),
    "YlOrRd": list(plotly_colors.sequential.YlOrRd),
    "viridis": list(plotly_colors.sequential.Viridis)[::-1],
    "cividis": list(plotly_colors.sequential.Cividis)[::-1],
}
DEFAULT_PALETTE = "YlGnBu"


class ClassifyError(ValueError):
    """Bad options for a classification; the message says which."""


@dataclass(frozen=True)
class Classification:
    """Classes of a list of values, with the bounds and legend labels of each class."""

    method: str
    classes: tuple[int, ...]  # per value: class index, or NO_DATA
    bounds: tuple[tuple[float, float], ...]  # per class: (lower, upper); a value v is in class i if lower < v <= upper
    labels: tuple[str, ...]  # per class, formatted for the data
    counts: tuple[int, ...]  # values per class
    integer: bool
    decimals: int

    @property
    def k(self) -> int:
        """Number of classes."""
        return len(self.bounds)

    @property
    def n_no_data(self) -> int:
        """How many values are missing."""
        return sum(1 for c in self.classes if c == NO_DATA)


def _as_floats(values: Iterable[object]) -> np.ndarray:
    out = []
    for value in values:
        if value is None or (isinstance(value, str) and not value.strip()):
            out.append(math.nan)
            continue
        if not isinstance(value, (str, bytes, bytearray, memoryview, SupportsFloat, SupportsIndex)):
            raise ClassifyError(f"{value!r} is not a number")  # float() would refuse it with a TypeError
        try:
            out.append(float(value))
        except (TypeError, ValueError):
            raise ClassifyError(f"{value!r} is not a number") from None
    return np.array(out, dtype=float)


def _upper_bounds(data: np.ndarray, *, method: str, k: int, breaks: Sequence[float] | None) -> np.ndarray:
    distinct = np.unique(data)
    if method == "rank":
        return distinct
    if method == "user":
        if not breaks:
            raise ClassifyError("method 'user' needs breaks, e.g. breaks=[10, 20, 50]")
        bins = np.unique(np.asarray(breaks, dtype=float))
        return np.append(bins, data.max()) if data.max() > bins[-1] else bins
    if k < 1:
        raise ClassifyError(f"k must be at least 1, not {k}")
    if len(distinct) <= k and method != "equal_interval":
        return distinct  # each distinct value its own class: the best any method can do
    if len(distinct) == 1:
        return distinct
    import mapclassify  # here, not at import: it loads scipy.stats and scikit-learn (a second at start-up)

    classifier = {
        "quantiles": mapclassify.Quantiles,
        "fisher_jenks": mapclassify.FisherJenks,
        "equal_interval": mapclassify.EqualInterval,
    }[method]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ties: mapclassify warns and merges duplicate bins, as done below
        return np.unique(np.asarray(classifier(data, k=k).bins, dtype=float))


def _decimals_needed(bounds: Sequence[tuple[float, float]], data: np.ndarray) -> int:
    """The fewest decimals (at least the data's own, up to 2) that keep every printed bound distinct."""
    printed = [f"{v:.10f}".rstrip("0").split(".")[1] for v in data]
    own = min(max((len(p) for p in printed), default=0), 2)
    edges = sorted({v for pair in bounds for v in pair})
    for decimals in range(own, 7):
        if len({round(v, decimals) for v in edges}) == len(edges):
            return decimals
    return 6


def _bounds(uppers: np.ndarray, data: np.ndarray, *, integer: bool, method: str) -> list[tuple[float, float]]:
    """(lower, upper) per class; integer classes show the integers they hold, lower+1 .. upper."""
    if method == "rank":
        return [(u, u) for u in uppers.tolist()]
    lowers = [min(float(data.min()), float(uppers[0])), *uppers[:-1].tolist()]
    if integer:
        lowers = [lowers[0]] + [low + 1 for low in lowers[1:]]
    return list(zip(lowers, uppers.tolist(), strict=True))


def _fmt(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


def _labels(bounds: Sequence[tuple[float, float]], *, integer: bool, decimals: int, method: str) -> list[str]:
    labels = []
    for low, high in bounds:
        if method == "rank" or low == high:
            labels.append(_fmt(high, decimals))
        else:
            labels.append(f"{_fmt(low, decimals)}{DASH}{_fmt(high, decimals)}")
    return labels


def classify(
    values: Iterable[object],
    *,
    method: str = "rank",
    k: int = DEFAULT_K,
    breaks: Sequence[float] | None = None,
    integer: bool | None = None,
) -> Classification:
    """Class index per value (NaN/None -> NO_DATA), class bounds and labels; see the module docstring."""
    if method not in METHODS:
        raise ClassifyError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    array = _as_floats(values)
    present = np.isfinite(array)
    data = array[present]
    if integer is None:
        integer = bool(len(data)) and bool(np.all(data == np.round(data)))
    if not len(data):
        return Classification(method, tuple(NO_DATA for _ in array), (), (), (), integer, 0)
    uppers = _upper_bounds(data, method=method, k=k, breaks=breaks)
    if integer:  # an integer v <= u exactly when v <= floor(u): same classes, whole-number bounds
        uppers = np.unique(np.floor(uppers))
    bounds = _bounds(uppers, data, integer=integer, method=method)
    index = np.searchsorted(uppers, array, side="left")  # first upper bound >= value: lower < value <= upper
    classes = tuple(int(i) if ok else NO_DATA for i, ok in zip(index, present, strict=True))
    decimals = 0 if integer else _decimals_needed(bounds, data)
    counts = tuple(sum(1 for c in classes if c == i) for i in range(len(bounds)))
    labels = _labels(bounds, integer=integer, decimals=decimals, method=method)
    return Classification(method, classes, tuple(bounds), tuple(labels), counts, integer, decimals)


def default_method(values: Iterable[object]) -> str:
    """`rank` for a handful of distinct values (e.g. six provinces), else `quantiles`."""
    array = _as_floats(values)
    return "rank" if len(np.unique(array[np.isfinite(array)])) <= RANK_UP_TO else "quantiles"


# ---- colour ----------------------------------------------------------------------------------------------------


def _hex(colour: str) -> str:
    if colour.startswith("#"):
        return colour.lower()
    r, g, b = (int(x) for x in re.findall(r"\d+", colour)[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def palette(n: int, *, name: str = DEFAULT_PALETTE) -> list[str]:
    """`n` hex colours, light to dark, from a sequential scheme; picked from its own colours where n <= 8."""
    if name not in PALETTES:
        raise ClassifyError(f"unknown palette {name!r}; choose one of {', '.join(PALETTES)}")
    scheme = [_hex(c) for c in PALETTES[name]]
    if n <= 0:
        return []
    if n == 1:
        return [scheme[len(scheme) // 2]]
    if n <= len(scheme) - 1:  # skip the lightest colour, too close to the page and to the no-data fill
        picks = np.round(np.linspace(1, len(scheme) - 1, n)).astype(int)
        return [scheme[i] for i in picks]
    scale = plotly_colors.make_colorscale(scheme)
    return [_hex(c) for c in plotly_colors.sample_colorscale(scale, n)]


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a hex or rgb() colour."""
    code = _hex(colour).lstrip("#")
    channels = [int(code[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio between two colours (1 to 21)."""
    a, b = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def text_color(background: str, *, dark: str = "#000000", light: str = "#ffffff") -> str:
    """The one of `dark` and `light` that reads better over `background` (higher WCAG contrast)."""
    return dark if contrast_ratio(background, dark) >= contrast_ratio(background, light) else light


def legend(
    classification: Classification,
    *,
    palette_name: str = DEFAULT_PALETTE,
    lang: str = "en",
    no_data: bool | None = None,
) -> list[dict]:
    """Legend entries, one per class (label, colour, text colour, count), then "No data" if any value is missing.

    `no_data=True` always lists the no-data entry, False never; by default it is listed when a value is missing.
    """
    colours = palette(classification.k, name=palette_name)
    entries = [
        {"class": i, "label": label, "color": colour, "text_color": text_color(colour), "count": count}
        for i, (label, colour, count) in enumerate(
            zip(classification.labels, colours, classification.counts, strict=True)
        )
    ]
    if no_data or (no_data is None and classification.n_no_data):
        entries.append(
            {
                "class": NO_DATA,
                "label": NO_DATA_STYLE[f"label_{lang}"],
                "color": NO_DATA_STYLE["color"],
                "pattern": NO_DATA_STYLE["pattern"],
                "text_color": text_color(NO_DATA_STYLE["color"]),
                "count": classification.n_no_data,
            }
        )
    return entries


def legend_title(column: str, *, title: str | None = None, unit: str | None = None, year: int | None = None) -> str:
    """The legend heading: the user's title or the column name, then the unit and year, e.g. "GDP (100M yuan), 2024"."""
    text = (title or column).strip()
    if unit:
        text += f" ({unit})"
    if year is not None:
        text += f", {year}"
    return text


def colours_for(classification: Classification, *, palette_name: str = DEFAULT_PALETTE) -> list[str]:
    """The fill colour of each value (the no-data fill for a missing one), in input order."""
    colours = palette(classification.k, name=palette_name)
    return [NO_DATA_STYLE["color"] if c == NO_DATA else colours[c] for c in classification.classes]
