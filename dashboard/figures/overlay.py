"""A planner's own layer on the map: its traces (built column-wise), and the admin units classed by it."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import pandas as pd
import shapely

from dashboard.config import Theme
from dashboard.figures import labels as label_style
from dashboard.view import i18n
from dashboard.view.state import ViewState
from geodata import Atlas
from geodata import classify as classes
from geodata.userdata import UserDataError, UserLayer, unit_values

COLORS = {"violet": "#7048e8", "teal": "#0c8599", "orange": "#e8590c", "black": "#212529"}
#: Above this many points the screen draws an even sample (named in the trace); downloads keep every row.
MAX_POINTS = 20_000
#: Numeric columns shown in a feature's tooltip, at most.
TOOLTIP_COLUMNS = 6


T = TypeVar("T")


def _memo(layer: UserLayer, key: tuple, build: Callable[[], T]) -> T:
    """A value computed once per layer object (a toggle builds the old and the new view's traces from one layer)."""
    memo = layer.__dict__.setdefault("_overlay_memo", {})
    if key not in memo:
        memo[key] = build()
    return memo[key]


def _type_ids(layer: UserLayer) -> np.ndarray:
    """Shapely's type id of every geometry (-1 for none, 0 for a point), computed once per layer."""
    return _memo(layer, ("types",), lambda: shapely.get_type_id(layer.frame.geometry.to_numpy()))


def _points(layer: UserLayer) -> pd.DataFrame:
    geoms = layer.frame.geometry.to_numpy()
    keep = (_type_ids(layer) == 0) & ~shapely.is_empty(geoms)
    return layer.frame.iloc[np.flatnonzero(keep)]


def drawn_points(layer: UserLayer) -> tuple[pd.DataFrame, int]:
    """The points the screen draws (an even sample above MAX_POINTS) and how many points there are."""
    return _memo(layer, ("points",), lambda: _drawn_points(layer))


def _drawn_points(layer: UserLayer) -> tuple[pd.DataFrame, int]:
    points = _points(layer)
    if len(points) <= MAX_POINTS:
        return points, len(points)
    step = int(np.ceil(len(points) / MAX_POINTS))
    return points.iloc[::step], len(points)


def _text(column: pd.Series) -> pd.Series:
    """A column as display text, missing values empty (vectorised)."""
    return column.astype(object).where(column.notna(), "").astype(str)


def _number_text(column: pd.Series) -> pd.Series:
    values = pd.to_numeric(column, errors="coerce")
    text = values.map("{:,.6g}".format).astype(object)
    return text.where(values.notna(), "—").astype(str)


def tooltip_columns(layer: UserLayer, state: ViewState) -> list[str]:
    """The columns a feature's hover shows: the view's choice (those the layer has), else its numeric columns."""
    chosen = [c for c in state.tooltip_cols.split(",") if c in layer.text_columns] if state.tooltip_cols else []
    return chosen[:TOOLTIP_COLUMNS] if chosen else layer.numeric_columns[:TOOLTIP_COLUMNS]


def tooltips(frame: pd.DataFrame, layer: UserLayer, state: ViewState) -> list[str]:
    """Per feature: its label (or the file name), its numeric columns, its county code, the outside flag."""
    if frame.empty:
        return []
    label = _text(frame[state.upload_label]) if state.upload_label in frame else pd.Series(layer.name, frame.index)
    label = label.where(label != "", layer.name)
    text = "<b>" + label + "</b>"
    for column in tooltip_columns(layer, state):
        values = _number_text(frame[column]) if column in layer.numeric_columns else _text(frame[column])
        text = text + f"<br>{column}: " + values
    text = text + "<br>" + _text(frame["county_adcode"]).replace("", "—")
    outside = frame["outside_central"].astype(bool).to_numpy()
    return np.where(outside, text + i18n.t("outside_central", state.lang), text).tolist()


def upload_points_props(
    layer: UserLayer | None, state: ViewState, *, theme: Theme, backdrop: Backdrop | None = None
) -> dict:
    """The upload's points: position, colour, labels, hover with its columns and units (column-wise, capped).

    `backdrop`: the classed fills under the points; a label over a dark class turns light on a dark halo."""
    if layer is None:
        return {"visible": False, "lon": [], "lat": [], "text": [], "hovertext": [], "name": ""}
    points, total = drawn_points(layer)
    xy = _memo(layer, ("xy",), lambda: np.round(shapely.get_coordinates(points.geometry.to_numpy()), 5))
    label = state.upload_label if state.upload_label in points else None
    labels = _memo(layer, ("labels", label), lambda: _text(points[label]).tolist() if label else [""] * len(points))
    hover = _memo(layer, ("hover", label, state.tooltip_cols), lambda: tooltips(points, layer, state))
    shown: int | str = len(layer.frame)
    if len(points) < total:
        shown = i18n.t("drawn_of", state.lang, drawn=f"{len(points):,}", total=f"{total:,}")
    ink: str | list[str] = theme.text_color
    halo: str | list[str] = label_style.HALO
    if backdrop is not None and backdrop and label and len(points):
        level = f"{backdrop.level}_adcode"  # the units the upload's join put each point in
        fills = backdrop.fills_of(points[level].tolist(), points["province_adcode"].tolist())
        inks, halos = label_style.styles_over(fills, [theme.text_color] * len(points))
        ink, halo = (inks, halos) if label_style.DARK_HALO in halos else (ink, halo)
    return {
        "visible": state.upload_show,
        "name": i18n.t("count_suffix", state.lang, text=layer.name, count=shown),
        "lon": xy[:, 0].tolist(),
        "lat": xy[:, 1].tolist(),
        "text": labels,
        "mode": "markers+text" if state.upload_label else "markers",
        "hovertext": hover,
        "marker": {
            "color": COLORS[state.upload_color],
            "size": round(9 * theme.scale, 1),
            "symbol": "circle",
            "line": {"color": "white", "width": 1.0 * theme.scale},  # readable over dark classes
        },
        "textfont": {"color": ink, "shadow": halo},
    }


def upload_lines_props(layer: UserLayer | None, state: ViewState, *, theme: Theme) -> dict:
    """The upload's lines and polygon outlines, as one None-separated path (column-wise)."""
    if layer is None:
        return {"visible": False, "lon": [], "lat": []}
    lon, lat = _memo(layer, ("lines",), lambda: _line_path(layer))
    return {
        "visible": bool(lon) and state.upload_show,
        "lon": lon,
        "lat": lat,
        "name": layer.name,
        "line": {"color": COLORS[state.upload_color], "width": 1.6 * theme.scale},
    }


def _line_path(layer: UserLayer) -> tuple[list, list]:
    types = _type_ids(layer)
    shapes = layer.frame.geometry.to_numpy()[types > 0]
    polygons = np.isin(types[types > 0], [3, 6])  # Polygon, MultiPolygon: drawn by their rings
    lines = np.where(polygons, shapely.boundary(shapes), shapes) if len(shapes) else shapes
    parts = shapely.get_parts(lines) if len(lines) else np.array([])
    lon: list = []
    lat: list = []
    if len(parts):
        xy, index = shapely.get_coordinates(parts, return_index=True)
        xy = np.round(xy, 5)
        breaks = np.flatnonzero(np.diff(index)) + 1
        for chunk in np.split(xy, breaks):
            lon += [*chunk[:, 0].tolist(), None]
            lat += [*chunk[:, 1].tolist(), None]
    return lon, lat


def measure_title(layer: UserLayer, state: ViewState) -> str:
    """'Count of features' or 'Sum of <column>' in the view's language."""
    return i18n.t(f"measure_title_{state.measure}", state.lang, column=state.measure_col)


def legend_heading(layer: UserLayer, state: ViewState) -> str:
    """The legend's title: the planner's own, else the measure and column; then the unit."""
    return classes.legend_title(measure_title(layer, state), title=state.legend_title or None, unit=state.legend_unit)


def is_table(layer: UserLayer) -> bool:
    """A layer from a table without coordinates (every geometry missing)."""
    return bool(layer.frame.geometry.isna().all())


def unit_measure(layer: UserLayer | None, state: ViewState) -> pd.Series | None:
    """Values per admin unit at the view's level, or None when the units are not coloured."""
    if layer is None or not state.measure:
        return None
    key = ("values", state.level, state.measure, state.measure_col)
    return _memo(layer, key, lambda: _unit_values(layer, state))


def _unit_values(layer: UserLayer, state: ViewState) -> pd.Series | None:
    try:
        return unit_values(layer, level=state.level, measure=state.measure, column=state.measure_col)
    except UserDataError:
        return None


def unit_series(codes: list[str], layer: UserLayer | None, state: ViewState) -> pd.Series | None:
    """The measure of each unit on the map (NaN = no data; a count of points is 0 where none lie)."""
    values = unit_measure(layer, state)
    if values is None or layer is None:
        return None
    absent = 0.0 if state.measure == "count" and not is_table(layer) else np.nan
    return values.reindex(codes).astype(float).fillna(absent) if absent == 0.0 else values.reindex(codes)


def unit_classes(codes: list[str], layer: UserLayer | None, state: ViewState) -> classes.Classification | None:
    """The classes of the units' values, by the view's method (the same classes on screen and in every export)."""
    values = unit_series(codes, layer, state)
    if values is None:
        return None
    method = state.upload_classes or classes.default_method(values.tolist())
    breaks = [float(b) for b in state.breaks.split(",")] if state.breaks else None
    integer = True if state.measure == "count" else None
    try:
        return classes.classify(values.tolist(), method=method, breaks=breaks, integer=integer)
    except classes.ClassifyError:
        return classes.classify(values.tolist(), method=classes.default_method(values.tolist()), integer=integer)


def unit_legend(codes: list[str], layer: UserLayer | None, state: ViewState) -> list[dict]:
    """The choropleth's legend as data: one entry per class (label, colour, count), then no data if any."""
    found = unit_classes(codes, layer, state)
    return [] if found is None else classes.legend(found, lang=state.lang)


def _step_scale(colours: list[str]) -> list[list]:
    n = len(colours)
    if n == 1:
        return [[0.0, colours[0]], [1.0, colours[0]]]
    return [[edge, colour] for i, colour in enumerate(colours) for edge in (i / n, (i + 1) / n)]


def units_props(codes: list[str], layer: UserLayer | None, state: ViewState, *, theme: Theme) -> dict:
    """The admin units' fill: flat, or classes of the upload's measure with a stepped legend."""
    found = unit_classes(codes, layer, state)
    if found is None or not found.k or layer is None:
        return {"z": [0] * len(codes), "colorscale": [[0, theme.unit_fill], [1, theme.unit_fill]], "showscale": False}
    entries = classes.legend(found, lang=state.lang)
    low = classes.NO_DATA if found.n_no_data else 0
    slots = sorted(entries, key=lambda entry: entry["class"])  # no data (-1) first, then the classes
    return {
        "z": list(found.classes),
        "zmin": low,
        "zmax": found.k - 1 if found.k - 1 > low else low + 1,
        "colorscale": _step_scale([e["color"] for e in slots]),
        "showscale": True,
        "colorbar": {
            "title": {"text": legend_heading(layer, state)},
            "tickvals": [e["class"] for e in slots],
            "ticktext": [e["label"] for e in slots],
            "x": 0.0,
            "xanchor": "left",
            "len": min(0.9, 0.08 * len(slots) + 0.1),
        },
    }


def measure_suffixes(codes: list[str], layer: UserLayer | None, state: ViewState) -> list[str]:
    """Hover text additions: each unit's value (or no data)."""
    values = unit_series(codes, layer, state)
    if values is None or layer is None:
        return [""] * len(codes)
    title = measure_title(layer, state)
    shown = values.map("{:,.4g}".format).where(values.notna(), i18n.t("no_data", state.lang))
    return ["<br>" + i18n.t("measure_value", state.lang, title=title, value=value) for value in shown]


# ---- what lies under a label -------------------------------------------------------------------------------------


@functools.cache
def _unit_tree(atlas: Atlas, level: str) -> tuple[shapely.STRtree, list[str]]:
    units = atlas.units(level)
    units = units[units["is_central"]]
    return shapely.STRtree(units.geometry.to_numpy()), units["adcode"].tolist()


def unit_fill_colours(codes: list[str], layer: UserLayer | None, state: ViewState) -> dict[str, str]:
    """The classed fill of each unit the upload colours (no data included); empty when the units are plain."""
    found = unit_classes(codes, layer, state)
    if found is None or not found.k:
        return {}
    by_class = {entry["class"]: entry["color"] for entry in classes.legend(found, lang=state.lang)}
    return {code: by_class[c] for code, c in zip(codes, found.classes, strict=True) if c in by_class}


@dataclass(frozen=True, eq=False)
class Backdrop:
    """The classed fills a view draws: the indicator map's provinces over the upload's units at the view's level."""

    atlas: Atlas
    level: str
    unit_fills: dict[str, str] = field(default_factory=dict)  # adcode at `level` -> colour
    province_fills: dict[str, str] = field(default_factory=dict)  # province adcode -> colour (drawn on top)

    def _codes(self, level: str, lon: Sequence[float], lat: Sequence[float]) -> list[str | None]:
        tree, codes = _unit_tree(self.atlas, level)
        hits = tree.query(shapely.points(np.asarray(lon, float), np.asarray(lat, float)), predicate="within")
        out: list[str | None] = [None] * len(lon)
        for point, unit in zip(*hits, strict=True):
            out[point] = codes[unit]
        return out

    def __bool__(self) -> bool:
        return bool(self.unit_fills or self.province_fills)

    def fills_of(self, units: Sequence[str | None], provinces: Sequence[str | None]) -> list[str | None]:
        """The classed colour of places in these units (at the view's level) and provinces; None for no class."""
        top, low = self.province_fills, self.unit_fills
        return [(top.get(p or "") or low.get(u or "")) or None for u, p in zip(units, provinces, strict=True)]

    def under(self, lon: Sequence[float], lat: Sequence[float]) -> list[str | None]:
        """The classed colour under each point (None where the map shows no class there)."""
        if not self:
            return [None] * len(lon)
        units = self._codes(self.level, lon, lat) if self.unit_fills else [None] * len(lon)
        provinces = self._codes("province", lon, lat) if self.province_fills else [None] * len(lon)
        return self.fills_of(units, provinces)


def readable_labels(props: dict, backdrop: Backdrop, *, inks: list[str] | None = None) -> dict:
    """A labels trace's props with each label light on a dark halo where it lies over a dark class."""
    if not props.get("lon") or not backdrop:
        return props
    font = props["textfont"]
    own = inks or (font["color"] if isinstance(font.get("color"), list) else [font.get("color")] * len(props["lon"]))
    colours, halos = label_style.styles_over(backdrop.under(props["lon"], props["lat"]), own)
    return {**props, "textfont": {**font, "color": colours, "shadow": halos}}


def backdrop(atlas: Atlas, state: ViewState, layer: UserLayer | None, *, province_fills: dict[str, str]) -> Backdrop:
    """The view's classed fills: the upload's classes of the units at the view's level, the indicator's provinces."""
    _, codes = _unit_tree(atlas, state.level)
    return Backdrop(atlas, state.level, unit_fill_colours(codes, layer, state), province_fills)
