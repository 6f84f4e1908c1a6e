"""A planner's own layer on the map: its traces, and the admin units coloured by it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from dashboard.config import Theme
from dashboard.view import i18n
from dashboard.view.state import ViewState
from geodata.userdata import UserDataError, UserLayer, unit_values

COLORS = {"violet": "#7048e8", "teal": "#0c8599", "orange": "#e8590c", "black": "#212529"}
SEQUENTIAL = [[0.0, "#f1f3f5"], [0.2, "#d0ebff"], [0.5, "#4dabf7"], [0.8, "#1971c2"], [1.0, "#0b3d75"]]


def _points(layer: UserLayer) -> pd.DataFrame:
    frame = layer.frame
    drawable = frame.geometry.notna() & ~frame.geometry.is_empty
    return frame[drawable & (frame.geom_type == "Point")]


def _label(row: pd.Series, column: str | None) -> str:
    value = row.get(column) if column else None
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def upload_points_props(layer: UserLayer | None, state: ViewState, *, theme: Theme) -> dict:
    """The upload's points: position, colour, labels, hover with the units they were joined to."""
    if layer is None:
        return {"visible": False, "lon": [], "lat": [], "text": [], "hovertext": [], "name": ""}
    points = _points(layer)
    hover = [
        f"<b>{_label(row, state.upload_label) or layer.name}</b><br>{row['county_adcode'] or '—'}"
        + (i18n.t("outside_central", state.lang) if row["outside_central"] else "")
        for _, row in points.iterrows()
    ]
    return {
        "visible": state.upload_show,
        "name": i18n.t("count_suffix", state.lang, text=layer.name, count=len(layer.frame)),
        "lon": points.geometry.x.round(5).tolist(),
        "lat": points.geometry.y.round(5).tolist(),
        "text": [_label(row, state.upload_label) for _, row in points.iterrows()],
        "mode": "markers+text" if state.upload_label else "markers",
        "hovertext": hover,
        "marker": {"color": COLORS[state.upload_color], "size": round(9 * theme.scale, 1), "symbol": "circle"},
    }


def upload_lines_props(layer: UserLayer | None, state: ViewState, *, theme: Theme) -> dict:
    """The upload's lines and polygon outlines."""
    if layer is None:
        return {"visible": False, "lon": [], "lat": []}
    frame = layer.frame
    shapes = frame[frame.geometry.notna() & (frame.geom_type != "Point")]
    lon: list = []
    lat: list = []
    for geom in shapes.geometry:
        lines = shapely.boundary(geom) if geom.geom_type.endswith("Polygon") else geom
        for part in shapely.get_parts(lines):
            xy = np.round(shapely.get_coordinates(part), 5)
            lon += [*xy[:, 0].tolist(), None]
            lat += [*xy[:, 1].tolist(), None]
    return {
        "visible": bool(lon) and state.upload_show,
        "lon": lon,
        "lat": lat,
        "name": layer.name,
        "line": {"color": COLORS[state.upload_color], "width": 1.6 * theme.scale},
    }


def measure_title(layer: UserLayer, state: ViewState) -> str:
    """'Count of features' or 'Sum of <column>' in the view's language."""
    return i18n.t(f"measure_title_{state.measure}", state.lang, column=state.measure_col)


def unit_measure(layer: UserLayer | None, state: ViewState) -> pd.Series | None:
    """Values per admin unit at the view's level, or None when the units are not coloured."""
    if layer is None or not state.measure:
        return None
    try:
        return unit_values(layer, level=state.level, measure=state.measure, column=state.measure_col)
    except UserDataError:
        return None


def units_props(codes: list[str], layer: UserLayer | None, state: ViewState, *, theme: Theme) -> dict:
    """The admin units' fill: flat, or a sequential colour scale of the upload's measure."""
    values = unit_measure(layer, state)
    if values is None:
        return {
            "z": [0] * len(codes),
            "colorscale": [[0, theme.unit_fill], [1, theme.unit_fill]],
            "showscale": False,
        }
    z = [float(values.get(code, 0.0 if state.measure == "count" else np.nan)) for code in codes]
    finite = [v for v in z if not np.isnan(v)] or [0.0]
    return {
        "z": [None if np.isnan(v) else round(v, 6) for v in z],
        "colorscale": SEQUENTIAL,
        "zmin": min(0.0, min(finite)),
        "zmax": max(finite) or 1.0,
        "showscale": True,
        "colorbar": {"title": {"text": measure_title(layer, state)}, "x": 0.0, "xanchor": "left", "len": 0.5},
    }


def measure_suffixes(codes: list[str], layer: UserLayer | None, state: ViewState) -> list[str]:
    """Hover text additions: each unit's value."""
    values = unit_measure(layer, state)
    if values is None:
        return [""] * len(codes)
    title = measure_title(layer, state)
    no_data = i18n.t("no_data", state.lang)
    lang = state.lang
    return [
        "<br>"
        + i18n.t("measure_value", lang, title=title, value=f"{values[code]:,.4g}" if code in values.index else no_data)
        for code in codes
    ]
