"""Physical context and place names: rivers, lakes and relief bands drawn lightly, and the labels of the map."""

from __future__ import annotations

import functools

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import polylabel

from dashboard.config import Theme
from dashboard.figures.labels import AREA_POSITIONS, Candidate
from dashboard.figures.projection import ScreenMap
from geodata import Atlas
from geodata.physical import Physical

#: Rivers drawn: label rank 1 (Yangtze, Yellow) to 3; rank 4 are rivers outside the region.
MAX_RIVER_RANK = 3
#: Lakes drawn and labelled: rank 4 lakes lie (almost) wholly outside the six provinces.
MAX_LAKE_RANK = 3
#: Line width of a river by its label rank.
RIVER_WIDTHS = {1: 1.6, 2: 1.1, 3: 0.7}
#: Zoom factor from which prefecture names are shown at every level.
PREFECTURE_NAMES_SCALE = 1.8
#: Label priorities by kind (lower is placed first); points of guideline layers sit between 10 and 20.
#: Where a province's name may move (in font sizes from its anchor) when a symbol covers the anchor: names always show.
PROVINCE_SHIFTS = ((0, 0), (0, 2), (0, -2), (3, 0), (-3, 0), (0, 3.5), (0, -3.5), (3, 2), (-3, 2), (3, -2), (-3, -2))
PRIORITY = {"province": 0, "river1": 22, "lake1": 24, "prefecture": 30, "river2": 32, "lake2": 36, "neighbour": 40}


@functools.cache
def rivers(phys: Physical) -> gpd.GeoDataFrame:
    """The drawn rivers, one row per name (parts merged), biggest first."""
    rows = phys.rivers[phys.rivers["label_rank"] <= MAX_RIVER_RANK]
    merged = rows.dissolve(by=["name_en", "name_zh"], aggfunc={"label_rank": "min"}, sort=False).reset_index()
    return merged.sort_values("label_rank", kind="stable").reset_index(drop=True)


@functools.cache
def lakes(phys: Physical) -> gpd.GeoDataFrame:
    """The drawn lakes and reservoirs (named, in or at the region)."""
    return phys.lakes[phys.lakes["label_rank"] <= MAX_LAKE_RANK].reset_index(drop=True)


@functools.cache
def relief_in_region(phys: Physical, atlas: Atlas) -> gpd.GeoDataFrame:
    """The elevation bands within the six provinces (the DEM extract is a box; the backdrop stays plain)."""
    provinces = atlas.provinces
    region = shapely.union_all(provinces[provinces["is_central"]].geometry.values).buffer(0.02)
    relief = phys.relief.reset_index(drop=True).copy()
    relief["geometry"] = shapely.simplify(shapely.intersection(relief.geometry.values, region), 0.01)
    return relief[~relief.geometry.is_empty].reset_index(drop=True)


def short_name(name: str, *, lang: str) -> str:
    """An autonomous prefecture's short map name (Enshi, 恩施州), other names unchanged."""
    if lang == "zh" and name.endswith("自治州"):
        return f"{name[:2]}州"
    if lang != "zh" and "Autonomous Prefecture" in name:
        return name.split(" ")[0]
    return name


def _line_coords(geom: shapely.Geometry) -> tuple[list, list]:
    lon: list = []
    lat: list = []
    for part in shapely.get_parts(geom):
        xy = np.round(shapely.get_coordinates(part), 4)
        lon += [*xy[:, 0].tolist(), None]
        lat += [*xy[:, 1].tolist(), None]
    return lon, lat


def river_trace(row: pd.Series, *, theme: Theme, first: bool) -> dict:
    """One river (all its parts) as a light line, named by its label; it takes no hover or click, so the guideline
    features along it (Zhengzhou on the Yellow River, Wuhan on the Yangtze) stay clickable."""
    lon, lat = _line_coords(row.geometry)
    rank = int(row["label_rank"])
    return {
        "type": "scattergeo",
        "mode": "lines",
        "lon": lon,
        "lat": lat,
        "line": {"color": theme.river_color, "width": round(RIVER_WIDTHS[rank] * theme.scale, 2)},
        "hoverinfo": "skip",
        "meta": {"role": "rivers", "name_en": row["name_en"], "name_zh": row["name_zh"]},
        "legendgroup": "context",
        "showlegend": first,
    }


def lake_trace(rows: gpd.GeoDataFrame, *, theme: Theme, geojson: dict) -> dict:
    """All lakes and reservoirs as one pale blue fill."""
    return {
        "type": "choropleth",
        "geojson": geojson,
        "locations": rows["id"].tolist(),
        "z": [0] * len(rows),
        "colorscale": [[0, theme.lake_fill], [1, theme.lake_fill]],
        "showscale": False,
        "marker": {"line": {"color": theme.river_color, "width": 0.5}},
        "hovertext": [f"<b>{en}</b><br>{zh}" for en, zh in zip(rows["name_en"], rows["name_zh"], strict=True)],
        "hovertemplate": "%{hovertext}<extra></extra>",
        "meta": {"role": "lakes", "names": [[en, zh] for en, zh in zip(rows["name_en"], rows["name_zh"], strict=True)]},
        "legendgroup": "context",
        "showlegend": True,
    }


def relief_trace(row: pd.Series, *, theme: Theme, index: int, geojson: dict) -> dict:
    """One elevation band as a light, translucent fill (no outline)."""
    fill = theme.relief_fills[min(index, len(theme.relief_fills) - 1)]
    return {
        "type": "choropleth",
        "geojson": geojson,
        "locations": [row["id"]],
        "z": [0],
        "colorscale": [[0, fill], [1, fill]],
        "showscale": False,
        "marker": {"line": {"width": 0}},
        "hoverinfo": "skip",
        "meta": {"role": "relief", "name_en": row["name_en"], "name_zh": row["name_zh"]},
        "legendgroup": "context",
        "showlegend": True,
    }


def _label_point(geom: shapely.Geometry, *, tolerance: float = 0.02) -> shapely.Point:
    """A point well inside a (multi)polygon: the pole of inaccessibility of its largest part, found to within
    `tolerance` degrees."""
    parts = list(shapely.get_parts(geom))
    biggest = max(parts, key=lambda p: p.area)
    return polylabel(biggest, tolerance=tolerance)


#: How near (as a share of the map's width) a neighbour's name must be to the best point of its part in view:
#: about ten pixels. polylabel's search took an eighth of a loaded server's time at 0.02 degrees for every pan.
NEIGHBOUR_PRECISION = 0.01


@functools.cache
def province_anchors(atlas: Atlas) -> tuple[tuple[str, str, str, float, float], ...]:
    """(adcode, name_en, name_zh, lon, lat) of each central province's name."""
    rows = atlas.provinces[atlas.provinces["is_central"]]
    out = []
    for _, row in rows.iterrows():
        point = _label_point(row.geometry)
        out.append((row["adcode"], row["name_en"], row["name_zh"], point.x, point.y))
    return tuple(out)


@functools.cache
def prefecture_anchors(atlas: Atlas) -> tuple[tuple[str, str, str, float, float], ...]:
    """(adcode, name_en, name_zh, lon, lat) inside each prefecture of the six provinces."""
    rows = atlas.prefectures[atlas.prefectures["is_central"]]
    out = []
    for _, row in rows.iterrows():
        point = _label_point(row.geometry)
        out.append((row["adcode"], row["name_en"], row["name_zh"], point.x, point.y))
    return tuple(out)


def _in_frame(screen: ScreenMap, lon: float, lat: float) -> tuple[float, float] | None:
    x, y = screen.to_px(np.array([lon]), np.array([lat]))
    if 0 <= x[0] <= screen.width and 0 <= y[0] <= screen.height:
        return float(x[0]), float(y[0])
    return None


def _name(en: str, zh: str, lang: str) -> str:
    return zh if lang == "zh" else en


def province_candidates(atlas: Atlas, screen: ScreenMap, *, lang: str, size_px: float) -> list[Candidate]:
    """The six provinces' names in both languages (the view's first), always placed first."""
    out = []
    for code, en, zh, lon, lat in province_anchors(atlas):
        at = _in_frame(screen, lon, lat)
        if at:
            first, second = (zh, en) if lang == "zh" else (en, zh)
            small = round(size_px * 0.8)
            text = f"{first}<br><span style='font-size:{small}px'>{second}</span>"
            size = size_px * 1.15
            for k, (dx, dy) in enumerate(PROVINCE_SHIFTS):  # same key: the first that fits is placed, the rest dropped
                shifted = (at[0] + dx * size, at[1] + dy * size)
                out.append(_area(f"province:{code}", text, shifted, size, PRIORITY["province"] + k / 100, "province"))
    return out


def neighbour_candidates(atlas: Atlas, screen: ScreenMap, *, lang: str, size_px: float) -> list[Candidate]:
    """Neighbouring provinces' names, at the middle of the part of each that the map shows."""
    west, south, east, north = screen.visible_lonlat()
    box = shapely.box(west, south, east, north)
    rows = atlas.context[~atlas.context["is_central"]]
    shapes = rows.geometry.to_numpy()
    seen = shapely.intersects(shapes, box)
    parts = shapely.intersection(shapes[seen], box)  # one vectorised pass; pandas' iterrows cost more than this
    out = []
    for (adcode, en, zh), part in zip(rows.loc[seen, ["adcode", "name_en", "name_zh"]].to_numpy(), parts, strict=True):
        if part.is_empty or part.area < 0.5:
            continue
        point = _label_point(part, tolerance=max(0.02, NEIGHBOUR_PRECISION * (east - west)))
        at = _in_frame(screen, point.x, point.y)
        if at:
            text = _name(en, zh, lang)
            out.append(_area(f"neighbour:{adcode}", text, at, size_px, PRIORITY["neighbour"], "neighbour"))
    return out


def prefecture_candidates(atlas: Atlas, screen: ScreenMap, *, lang: str, size_px: float) -> list[Candidate]:
    """Prefecture names inside their units (shown at prefecture and county level, or when zoomed in)."""
    out = []
    for code, en, zh, lon, lat in prefecture_anchors(atlas):
        at = _in_frame(screen, lon, lat)
        if at:
            text = short_name(_name(en, zh, lang), lang=lang)
            out.append(_area(f"prefecture:{code}", text, at, size_px * 0.85, PRIORITY["prefecture"], "prefecture"))
    return out


def river_candidates(phys: Physical, screen: ScreenMap, *, lang: str, size_px: float) -> list[Candidate]:
    """River names on their lines: tried at the middle of the part in view, then at a third and two thirds."""
    west, south, east, north = screen.visible_lonlat()
    box = shapely.box(west, south, east, north)
    out = []
    for _, row in rivers(phys).iterrows():
        seen = shapely.intersection(row.geometry, box)
        if seen.is_empty:
            continue
        longest = max(shapely.get_parts(shapely.line_merge(seen)), key=lambda p: p.length)
        kind = "river1" if row["label_rank"] == 1 else "river2"
        if row["label_rank"] > 2:
            continue
        for share in (0.5, 0.35, 0.65, 0.2, 0.8):
            point = longest.interpolate(share, normalized=True)
            at = _in_frame(screen, point.x, point.y)
            if at:
                text = _name(row["name_en"], row["name_zh"], lang)
                out.append(_area(f"river:{row['name_en']}", text, at, size_px * 0.85, PRIORITY[kind], "river"))
    return out


def lake_candidates(phys: Physical, screen: ScreenMap, *, lang: str, size_px: float) -> list[Candidate]:
    """Names of the biggest lakes and reservoirs, beside or on them."""
    out = []
    for _, row in lakes(phys).iterrows():
        if row["label_rank"] > 2:
            continue
        point = _label_point(row.geometry)
        at = _in_frame(screen, point.x, point.y)
        if at:
            kind = "lake1" if row["label_rank"] == 1 else "lake2"
            text = _name(row["name_en"], row["name_zh"], lang)
            out.append(
                Candidate(f"lake:{row['id']}", text, *at, size_px * 0.8, PRIORITY[kind], radius=3.0, kind="lake")
            )
    return out


def _area(key: str, text: str, at: tuple[float, float], size: float, priority: float, kind: str) -> Candidate:
    return Candidate(key, text, at[0], at[1], size, priority, positions=AREA_POSITIONS, radius=0.0, kind=kind)
