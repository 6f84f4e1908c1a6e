"""Pure figure builders: the atlas and a view state in, a Plotly `geo` figure (or a patch) out."""

from __future__ import annotations

import functools
import json
import pkgutil
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely

from dashboard.config import (
    DEFAULT_ASPECT,
    DEFAULT_PANEL_WIDTH,
    MAP_PADDING_DEG,
    PRESENT_THEME,
    PROJECTION,
    THEME,
    Theme,
)
from dashboard.figures import context, labels, overlay
from dashboard.figures import indicators as indicator_figures
from dashboard.figures.projection import ScreenMap, fit_ranges
from dashboard.view import i18n
from dashboard.view.scene import Scene, where_text
from dashboard.view.state import SCALE_RANGE, ViewState
from geodata import Atlas, screen_lod
from geodata.layers import LAYER_IDS, LAYERS, THEMES, label_order
from geodata.physical import Physical
from geodata.userdata import UserLayer


@dataclass(frozen=True, eq=False)  # hashed by identity: specs are cached per atlas and level
class TraceSpec:
    """One trace of the map: its role, the layer it belongs to and the rows it draws."""

    role: str  # context | units | relief | lakes | rivers | province_outline | zones | outline | points | labels | ...
    layer: str | None
    rows: gpd.GeoDataFrame
    group: str | None = None  # province_roles: the strategy a fill trace draws
    group_index: int = 0

    @property
    def layer_id(self) -> str:
        """The layer a zones, outline or points trace draws."""
        if self.layer is None:
            raise ValueError(f"a {self.role} trace draws no layer")
        return self.layer


def feature_rows(atlas: Atlas, layer: str) -> gpd.GeoDataFrame:
    """One layer's features."""
    return atlas.layers[layer]


def level_units(atlas: Atlas, level: str) -> gpd.GeoDataFrame:
    """The admin units drawn at a level: those of the six provinces."""
    units = atlas.units(level)
    return units[units["is_central"]].reset_index(drop=True)


@functools.cache
def trace_specs(atlas: Atlas, level: str, *, phys: Physical) -> list[TraceSpec]:
    """Every trace of the map for one admin level, in drawing order; fixed for a given level and physical layers."""
    provinces = atlas.provinces
    specs = [
        TraceSpec("context", None, atlas.context[~atlas.context["is_central"]]),
        TraceSpec("units", None, level_units(atlas, level)),
    ]
    central = provinces[provinces["is_central"]]
    specs += [TraceSpec(role, None, central, group_index=i) for role, i in indicator_figures.SLOTS]
    specs += physical_specs(phys, atlas)
    specs.append(TraceSpec("province_outline", None, central))
    for layer in LAYER_IDS:
        specs += layer_specs(feature_rows(atlas, layer), layer)
    specs.append(TraceSpec("upload_lines", None, provinces.iloc[0:0]))
    specs.append(TraceSpec("upload_points", None, provinces.iloc[0:0]))
    specs.append(TraceSpec("labels", None, provinces.iloc[0:0]))
    specs.append(TraceSpec("selection", None, provinces.iloc[0:0]))
    return specs


def physical_specs(phys: Physical, atlas: Atlas) -> list[TraceSpec]:
    """Relief bands (lowest first), lakes, then rivers (one trace per river): the light physical context."""
    relief = context.relief_in_region(phys, atlas)
    specs = [TraceSpec("relief", "relief", relief.iloc[[i]], group_index=i) for i in range(len(relief))]
    specs.append(TraceSpec("lakes", "lakes", context.lakes(phys)))
    rivers = context.rivers(phys)
    specs += [TraceSpec("rivers", "rivers", rivers.iloc[[i]], group_index=i) for i in range(len(rivers))]
    return specs


def layer_specs(rows: gpd.GeoDataFrame, layer: str) -> list[TraceSpec]:
    """The fill, outline and point traces of one layer."""
    zones = rows[rows.geom_type != "Point"]
    points = rows[rows.geom_type == "Point"]
    specs: list[TraceSpec] = []
    if layer == "province_roles":
        for index, (strategy, group) in enumerate(zones.groupby("national_strategy_en", sort=False)):
            specs.append(TraceSpec("zones", layer, group, group=str(strategy), group_index=index))
    elif len(zones):
        specs.append(TraceSpec("zones", layer, zones))
        specs += [TraceSpec("outline", layer, zones.iloc[[i]]) for i in range(len(zones))]
    if len(points):
        specs.append(TraceSpec("points", layer, points))
    return specs


#: Decimals of the coordinates sent to the browser (about 11 m; the light geometry is ~1 km).
SCREEN_DECIMALS = 4


def rounded(geoms: gpd.GeoSeries) -> np.ndarray:
    """Geometries with coordinates rounded for the screen, exterior rings clockwise (as d3-geo wants)."""
    screen = shapely.transform(np.asarray(geoms), lambda xy: np.round(xy, SCREEN_DECIMALS))
    return shapely.orient_polygons(screen, exterior_cw=True)


def geojson(rows: gpd.GeoDataFrame, *, key: str) -> dict:
    """A minimal FeatureCollection (id and geometry only) for a choropleth trace."""
    features = [
        {"type": "Feature", "id": code, "geometry": shapely.geometry.mapping(geom)}
        for code, geom in zip(rows[key], rounded(rows.geometry), strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


def ring_lines(geoms: gpd.GeoSeries) -> tuple[list, list]:
    """Lon and lat of every ring of some polygons, rings separated by None."""
    lon: list = []
    lat: list = []
    for line in shapely.get_parts(shapely.boundary(rounded(geoms))):
        for part in shapely.get_parts(line):
            xy = shapely.get_coordinates(part)
            lon += [*xy[:, 0].tolist(), None]
            lat += [*xy[:, 1].tolist(), None]
    return lon, lat


def static_trace(spec: TraceSpec, *, theme: Theme) -> dict:
    """The heavy, state-independent part of a trace: its geometry and fixed styling."""
    if spec.role in indicator_figures.ROLES:
        key = {"geojson": geojson(spec.rows, key="adcode")} if spec.role in indicator_figures.ROLES[:2] else {}
        trace = indicator_figures.static_trace(
            spec.role, spec.rows, geojson=key.get("geojson", {}), line_color=theme.unit_line
        )
        return {"meta": {"role": spec.role, "layer": None, "group": None}, **trace}
    builders = {
        "context": _context_trace,
        "units": _units_trace,
        "province_outline": _province_outline_trace,
        "zones": _zones_trace,
        "outline": _outline_trace,
        "points": _points_trace,
        "selection": _selection_trace,
        "upload_lines": _upload_trace,
        "upload_points": _upload_trace,
        "relief": _relief_trace,
        "lakes": _lakes_trace,
        "rivers": _rivers_trace,
        "labels": _labels_trace,
    }
    trace = builders[spec.role](spec, theme)
    return {**trace, "meta": {**trace.get("meta", {}), "role": spec.role, "layer": spec.layer, "group": spec.group}}


def _flat_choropleth(rows: gpd.GeoDataFrame, *, key: str, fill: str, line: str, width: float) -> dict:
    return {
        "type": "choropleth",
        "geojson": geojson(rows, key=key),
        "locations": rows[key].tolist(),
        "z": [0] * len(rows),
        "colorscale": [[0, fill], [1, fill]],
        "showscale": False,
        "marker": {"line": {"color": line, "width": width}},
    }


def _relief_trace(spec: TraceSpec, theme: Theme) -> dict:
    trace = context.relief_trace(
        spec.rows.iloc[0], theme=theme, index=spec.group_index, geojson=geojson(spec.rows, key="id")
    )
    return {**trace, **legend_props("relief")}


def _lakes_trace(spec: TraceSpec, theme: Theme) -> dict:
    return {**context.lake_trace(spec.rows, theme=theme, geojson=geojson(spec.rows, key="id")), **legend_props("lakes")}


def _rivers_trace(spec: TraceSpec, theme: Theme) -> dict:
    trace = context.river_trace(spec.rows.iloc[0], theme=theme, first=spec.group_index == 0)
    return {**trace, **legend_props("rivers")}


#: A white halo around every label (CSS text-shadow), so names read over lines and fills.
HALO = labels.HALO


def _labels_trace(spec: TraceSpec, theme: Theme) -> dict:
    return {
        "type": "scattergeo",
        "mode": "text",
        "lon": [],
        "lat": [],
        "text": [],
        "textfont": {"family": theme.font_family, "shadow": HALO},
        "hoverinfo": "skip",
        "showlegend": False,
    }


def _context_trace(spec: TraceSpec, theme: Theme) -> dict:
    trace = _flat_choropleth(spec.rows, key="adcode", fill=theme.context_fill, line=theme.context_line, width=0.5)
    return {**trace, "hoverinfo": "skip", "showlegend": False}


def _units_trace(spec: TraceSpec, theme: Theme) -> dict:
    trace = _flat_choropleth(spec.rows, key="adcode", fill=theme.unit_fill, line=theme.unit_line, width=0.6)
    return {
        **trace,
        "customdata": [["unit", code] for code in spec.rows["adcode"]],
        "hovertemplate": "%{hovertext}<extra></extra>",
        "unselected": {"marker": {"opacity": 0.35}},
        "showlegend": False,
    }


def _province_outline_trace(spec: TraceSpec, theme: Theme) -> dict:
    lon, lat = ring_lines(spec.rows.geometry)
    return {
        "type": "scattergeo",
        "mode": "lines",
        "lon": lon,
        "lat": lat,
        "line": {"color": theme.province_line, "width": 1.8 * theme.scale},
        "hoverinfo": "skip",
        "showlegend": False,
    }


def _zones_trace(spec: TraceSpec, theme: Theme) -> dict:
    color = theme.layers[spec.layer_id].color
    if spec.group:
        color = theme.strategy_colors[spec.group_index % len(theme.strategy_colors)]
    fill = translucent(color, theme.zone_opacity)
    trace = _flat_choropleth(spec.rows, key="feature_id", fill=fill, line=color, width=0)
    return {
        **trace,
        "customdata": [["feature", fid] for fid in spec.rows["feature_id"]],
        "hovertemplate": "%{hovertext}<extra></extra>",
        "marker": {"opacity": 1.0, "line": {"color": color, "width": 0}},
        "unselected": {"marker": {"opacity": theme.dimmed_opacity}},
        **legend_props(spec.layer),
        "showlegend": True,
    }


def translucent(color: str, alpha: float) -> str:
    """A #rrggbb colour as rgba with some opacity: the legend swatch then shows the pale fill drawn."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return "rgba(" + ",".join((str(red), str(green), str(blue), f"{alpha:g}")) + ")"


#: The theme of each guideline layer, for grouping the legend.
THEME_OF = {layer.id: layer.theme for layer in LAYERS}


def legend_props(layer: str | None) -> dict:
    """Legend group (the layer's theme, or the physical context) and rank (the controls' order)."""
    if layer in ("relief", "lakes", "rivers"):
        return {"legendgroup": "context", "legendrank": 2000 + ("relief", "lakes", "rivers").index(layer)}
    theme = THEME_OF.get(layer or "", "")
    rank = list(THEMES).index(theme) * 100 + LAYER_IDS.index(layer) if layer in THEME_OF else 900
    return {"legendgroup": theme, "legendrank": 1000 + rank}


def _outline_trace(spec: TraceSpec, theme: Theme) -> dict:
    lon, lat = ring_lines(spec.rows.geometry)
    row = spec.rows.iloc[0]
    color = theme.layers[spec.layer_id].color
    return {
        "type": "scattergeo",
        "mode": "lines",
        "lon": lon,
        "lat": lat,
        "line": {"color": color, "width": 2.2 * theme.scale, "dash": "dash" if row["approximate"] else "solid"},
        "hoverinfo": "skip",
        **legend_props(spec.layer),
    }


def _points_trace(spec: TraceSpec, theme: Theme) -> dict:
    style = theme.layers[spec.layer_id]
    rows = spec.rows
    return {
        "type": "scattergeo",
        "lon": rows.geometry.x.round(5).tolist(),
        "lat": rows.geometry.y.round(5).tolist(),
        "customdata": [["feature", fid] for fid in rows["feature_id"]],
        "hovertemplate": "%{hovertext}<extra></extra>",
        "marker": {
            "color": style.color,
            "symbol": style.symbol,
            "size": round((style.size or 0) * theme.scale, 1),  # layer_problems(): layers with points have one
            "line": {"color": "white", "width": 1.2 * theme.scale},
        },
        "mode": "markers",
        "unselected": {"marker": {"opacity": theme.dimmed_opacity}},
        **legend_props(spec.layer),
    }


def _upload_trace(spec: TraceSpec, theme: Theme) -> dict:
    mode = "lines" if spec.role == "upload_lines" else "markers"
    hover = {"hoverinfo": "skip"} if mode == "lines" else {"hovertemplate": "%{hovertext}<extra></extra>"}
    return {"type": "scattergeo", "mode": mode, "lon": [], "lat": [], "textposition": "top center", **hover}


def _selection_trace(spec: TraceSpec, theme: Theme) -> dict:
    return {
        "type": "scattergeo",
        "mode": "lines+markers",
        "lon": [],
        "lat": [],
        "line": {"color": theme.highlight, "width": 3.5 * theme.scale},
        "marker": {
            "color": "rgba(0,0,0,0)",
            "size": 26 * theme.scale,
            "line": {"color": theme.highlight, "width": 3.5 * theme.scale},
        },
        "hoverinfo": "skip",
        "showlegend": False,
    }


def touches(rows: pd.DataFrame, provinces: tuple[str, ...]) -> list[bool]:
    """Which rows lie in or touch one of the chosen provinces."""
    chosen = set(provinces)
    if "province_adcodes" in rows:
        return [bool(chosen & set(codes)) for codes in rows["province_adcodes"]]
    column = "province_adcode" if "province_adcode" in rows else "adcode"
    return [code in chosen for code in rows[column]]


def selected_points(rows: pd.DataFrame, state: ViewState) -> list[int] | None:
    """Indices to keep at full strength, or None when nothing is dimmed."""
    inside = touches(rows, state.provinces)
    return None if all(inside) else [i for i, keep in enumerate(inside) if keep]


def hover_text(row: pd.Series, *, lang: str, layer_label: str) -> str:
    """Both names (the view's language first), then the layer (and the approximate flag)."""
    approx = f" · {i18n.t('approx_legend', lang)}" if bool(row.get("approximate", False)) else ""
    first, second = (row["name_zh"], row["name_en"]) if lang == "zh" else (row["name_en"], row["name_zh"])
    return f"<b>{first}</b><br>{second}<br>{layer_label}{approx}"


@functools.lru_cache(maxsize=1024)
def _hover_texts(spec: TraceSpec, lang: str, layer_label: str) -> tuple[str, ...]:
    return tuple(hover_text(row, lang=lang, layer_label=layer_label) for _, row in spec.rows.iterrows())


def hover_texts(spec: TraceSpec, *, lang: str, layer_label: str) -> list[str]:
    """Hover text of every row of a trace (computed once per trace and language)."""
    return list(_hover_texts(spec, lang, layer_label))


@functools.lru_cache(maxsize=4096)
def first_row(spec: TraceSpec) -> pd.Series:
    """The first row of a trace's rows (the row of a one-feature trace), taken once: read-only."""
    return spec.rows.iloc[0]


#: Legend words of the physical context (i18n keys `context_<name>`); "area"/"site" suffix layer names.
CONTEXT_NAMES = ("rivers", "lakes", "context", "area", "site")


def context_name(key: str, lang: str) -> str:
    """A context legend name in the view's language."""
    return i18n.t(f"context_{key}", lang)


def _backdrop(
    atlas: Atlas, state: ViewState, upload: UserLayer | None, indicators: pd.DataFrame | None
) -> overlay.Backdrop:
    """The classed fills under the labels: the indicator map's provinces over the upload's units."""
    shown = indicator_figures.view_map(state, table=indicators) if indicators is not None else None
    return overlay.backdrop(atlas, state, upload, province_fills=indicator_figures.province_fills(shown))


def context_props(spec: TraceSpec, state: ViewState) -> dict:
    """Visibility and legend name of a physical context trace."""
    visible = spec.layer in state.context
    if spec.role == "relief":
        row = first_row(spec)
        return {"visible": visible, "name": row["name_zh" if state.lang == "zh" else "name_en"]}
    if spec.role == "rivers" and spec.group_index:
        row = first_row(spec)
        return {"visible": visible, "name": row["name_zh" if state.lang == "zh" else "name_en"]}
    return {"visible": visible, "name": context_name(spec.role, state.lang)}


def dynamic_props(
    spec: TraceSpec,
    state: ViewState,
    *,
    atlas: Atlas,
    first_approx: bool = False,
    upload: UserLayer | None = None,
    placement: MapPlacement | None = None,
    indicators: pd.DataFrame | None = None,
) -> dict:
    """The light, state-dependent part of a trace: visibility, names, hover, dimming, labels.

    `indicators`: the indicator table (the scene's) the indicator traces class; without it they stay hidden."""
    if spec.role in ("context", "province_outline"):
        return {}
    if spec.role in indicator_figures.ROLES:
        if indicators is None:
            return dict(indicator_figures.HIDDEN)
        return indicator_figures.dynamic_props(spec.role, spec.group_index, state, rows=spec.rows, table=indicators)
    if spec.role in ("relief", "lakes", "rivers"):
        return context_props(spec, state)
    if spec.role == "labels":
        props = placement.label_props() if placement else {}
        return overlay.readable_labels(props, _backdrop(atlas, state, upload, indicators)) if props else props
    theme = theme_for(state)
    if spec.role == "units":
        label = i18n.t(state.level, state.lang)
        codes = spec.rows["adcode"].tolist()
        hovers = hover_texts(spec, lang=state.lang, layer_label=label)
        suffixes = overlay.measure_suffixes(codes, upload, state)
        return {
            "name": i18n.t("unit", state.lang),
            "hovertext": [text + suffix for text, suffix in zip(hovers, suffixes, strict=True)],
            "selectedpoints": selected_points(spec.rows, state),
            **overlay.units_props(codes, upload, state, theme=theme),
        }
    if spec.role == "upload_points":
        backdrop = _backdrop(atlas, state, upload, indicators) if upload is not None else None
        return overlay.upload_points_props(upload, state, theme=theme, backdrop=backdrop)
    if spec.role == "upload_lines":
        return overlay.upload_lines_props(upload, state, theme=theme)
    if spec.role == "selection":
        return selection_props(atlas, state)
    visible = spec.layer in state.layers
    name = i18n.layer_name(spec.layer_id, state.lang)
    if spec.group:
        groups = first_row(spec)
        strategy = groups["national_strategy_zh"] if state.lang == "zh" else groups["national_strategy_en"]
        name = i18n.t("layer_group", state.lang, layer=name, group=strategy)
    if spec.role == "outline":
        inside = touches(spec.rows, state.provinces)[0]
        return {
            "visible": visible,
            "opacity": 1.0 if inside else theme_for(state).dimmed_opacity,
            "name": i18n.t("approx_name", state.lang, name=name),
            "showlegend": first_approx,
        }
    props = {
        "visible": visible,
        "name": name,
        "hovertext": hover_texts(spec, lang=state.lang, layer_label=name),
        "selectedpoints": selected_points(spec.rows, state),
    }
    if spec.role == "points":
        if layer_has_zones(atlas, spec.layer_id):
            props["name"] = name + context_name("site", state.lang)
        if placement:
            props["lon"], props["lat"] = placement.point_lonlat(spec)
    elif spec.role == "zones" and not spec.group and layer_has_points(atlas, spec.layer_id):
        props["name"] = name + context_name("area", state.lang)
    return props


def group_title(group: str, lang: str) -> str:
    """A legend group's title: the theme's name, or "Physical context"."""
    return context_name("context", lang) if group == "context" else i18n.theme_name(group, lang)


@functools.cache
def layer_has_zones(atlas: Atlas, layer: str) -> bool:
    """Whether a layer draws areas (then its points' legend entry says "site")."""
    return bool((atlas.layers[layer].geom_type != "Point").any())


@functools.cache
def layer_has_points(atlas: Atlas, layer: str) -> bool:
    """Whether a layer draws points (then its areas' legend entry says "area")."""
    return bool((atlas.layers[layer].geom_type == "Point").any())


#: When points of several layers share a place, the label goes to the first of these shown (the registry's order).
LABEL_PRIORITY = label_order()


def _place(geom: shapely.Point) -> tuple[float, float]:
    return (round(geom.x, 3), round(geom.y, 3))


def point_labels(atlas: Atlas, layer: str, state: ViewState) -> list[str]:
    """Short map labels: the joined prefecture's name, once per place among the layers shown."""
    names = atlas.prefectures.set_index("adcode")["name_zh" if state.lang == "zh" else "name_en"]
    before = LABEL_PRIORITY[: LABEL_PRIORITY.index(layer)] if layer in LABEL_PRIORITY else LABEL_PRIORITY
    taken = {
        _place(geom)
        for other in before
        if other in state.layers
        for geom in atlas.layers[other].geometry
        if geom.geom_type == "Point"
    }
    rows = atlas.layers[layer]
    labels = []
    for code, geom in zip(rows["prefecture_adcode"], rows.geometry, strict=True):
        if geom.geom_type != "Point":
            continue
        labels.append("" if _place(geom) in taken else str(names.get(code, "")))
        taken.add(_place(geom))
    return labels


def all_dynamic_props(
    atlas: Atlas,
    specs: list[TraceSpec],
    state: ViewState,
    *,
    upload: UserLayer | None = None,
    placement: MapPlacement | None = None,
    indicators: pd.DataFrame | None = None,
    lod_specs: list[TraceSpec] | None = None,
) -> list[dict]:
    """dynamic_props for every trace; the first approximate outline of a layer carries its legend entry.

    The first shown trace of each legend group carries the group's title (its theme). `lod_specs`: the zoomed-out
    (LOD) twins of `specs` when the map is zoomed in: a hidden trace then carries its LOD geometry (lod_geometry).
    """
    seen: set[str | None] = set()
    out = []
    for spec in specs:
        first = spec.role == "outline" and bool(first_row(spec)["approximate"]) and spec.layer not in seen
        if first:
            seen.add(spec.layer)
        out.append(
            dynamic_props(
                spec, state, atlas=atlas, first_approx=first, upload=upload, placement=placement, indicators=indicators
            )
        )
    for spec, props in zip(specs, out, strict=True):
        if "name" in props:
            props["name"] = legend_wrap(props["name"], lang=state.lang)
        if props.get("visible", True) is False:
            props.update(hidden_geometry(spec.role, props))
    if lod_specs is not None:
        theme = theme_for(state)
        for spec, twin, props in zip(specs, lod_specs, out, strict=True):
            if props.get("visible", True) is False:
                props.update({k: v for k, v in lod_geometry(spec, twin, theme=theme).items() if k not in props})
    titled: set[str] = set()
    for spec, props in zip(specs, out, strict=True):
        group = legend_props(spec.layer)["legendgroup"] if spec.layer else None
        if group is None or (spec.role in ("outline",) and not props.get("showlegend")):
            continue
        if spec.role in ("zones", "points", "outline", "relief", "lakes", "rivers"):
            shown = props.get("visible", True) and (spec.role != "rivers" or spec.group_index == 0)
            title = ""
            if shown and group not in titled:
                titled.add(group)
                title = (
                    context_name("context", state.lang) if group == "context" else i18n.theme_name(group, state.lang)
                )
            props["legendgrouptitle"] = {"text": title}
    return out


#: Roles whose static trace holds polygons (geojson) or lines (lon/lat) that a hidden trace need not carry: the
#: indicator classes (six copies of the provinces, shown only with an indicator). Layer and context toggles keep
#: their geometry in the figure, so that turning one on stays a tiny patch.
GEOJSON_ROLES = ("indicator_class", "indicator_nodata")
LINE_ROLES: tuple[str, ...] = ()
#: The geometry a hidden trace carries: none (a patch sends the trace's geometry back when it is shown).
EMPTY_GEOJSON = {"type": "FeatureCollection", "features": []}


def hidden_geometry(role: str, props: dict) -> dict:
    """Props emptying a hidden trace's geometry, so the browser is not sent polygons it does not draw."""
    if role in GEOJSON_ROLES:
        return {"geojson": EMPTY_GEOJSON}
    if role in LINE_ROLES and "lon" not in props:
        return {"lon": [], "lat": []}
    return {}


#: Radius in px (times the theme's scale) of the ring on which co-located symbols are spread around their site.
SPREAD_PX = 9.0
#: Panels narrower than this (px) get the legend under the map instead of beside it.
NARROW_PX = 700


@dataclass(frozen=True)
class MapFrame:
    """The map area in px and the legend beside or under it."""

    width: float
    height: float
    legend_beside: bool
    legend_px: int  # width of the legend column (beside) or height of the legend strip (under)


def map_frame(view: Scene | ViewState, *, panel_width: float, aspect: float, atlas: Atlas) -> MapFrame:
    """The map area of a panel `panel_width` px wide whose map part has width / height `aspect`.

    The legend's width counts the names of the scene's relief bands and of the atlas's strategies (`atlas`)."""
    scene = as_scene(view)
    state = scene.state
    theme = theme_for(state)
    height = panel_width / aspect
    if panel_width >= NARROW_PX:
        legend = legend_width_px(state.lang, theme=theme, phys=scene.physical_layers(), atlas=atlas)
        return MapFrame(panel_width - legend, height, True, legend)
    return MapFrame(panel_width, height, False, 0)  # phones: the legend is a drawer (the toolbar's button)


#: Legend entries longer than this many characters (half for Chinese) are wrapped onto a second line.
LEGEND_WRAP = 34


def legend_wrap(name: str, *, lang: str) -> str:
    """A long legend entry broken at a space (English) or in the middle (Chinese), so the legend stays narrow."""
    limit = LEGEND_WRAP // 2 if lang == "zh" else LEGEND_WRAP
    if len(name) <= limit or "<br>" in name:
        return name
    if lang == "zh":
        return f"{name[: len(name) // 2]}<br>{name[len(name) // 2 :]}"
    words, lines, line = name.split(" "), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > limit:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "<br>".join([*lines, line])


def legend_entries(lang: str, *, phys: Physical, atlas: Atlas) -> list[str]:
    """Every legend entry and group title the map can show in a language (so the legend's width is stable).

    The strategies of the province-roles layer come from `atlas` (any resolution: the layer is the same)."""
    approx = i18n.t("approx_legend", lang)
    names = [i18n.layer_name(layer, lang) + context_name("area", lang) for layer in LAYER_IDS]
    names += [f"{i18n.layer_name(layer, lang)} ({approx})" for layer in LAYER_IDS]
    names += [context_name(key, lang) for key in CONTEXT_NAMES if key not in ("area", "site")]
    names += list(phys.relief["name_zh" if lang == "zh" else "name_en"])
    names += [i18n.theme_name(theme, lang) for theme in THEMES]
    roles = atlas.layers["province_roles"]
    column = "national_strategy_zh" if lang == "zh" else "national_strategy_en"
    names += [f"{i18n.layer_name('province_roles', lang)}: {strategy}" for strategy in roles[column].unique()]
    return [legend_wrap(name, lang=lang) for name in names]


@functools.lru_cache(maxsize=8)
def _legend_width(lang: str, font_size: int, phys: Physical, atlas: Atlas) -> int:
    lines = [line for name in legend_entries(lang, phys=phys, atlas=atlas) for line in name.split("<br>")]
    widest = max(labels.text_width(line, size_px=font_size) for line in lines)
    return round(widest + 4.2 * font_size)


def legend_font_px(theme: Theme) -> int:
    """The legend's type size: a little under the map's, and at most 17 px (presenter mode's legend stays narrow)."""
    return min(round(theme.font_size * 0.92), 17)


def legend_width_px(lang: str, *, theme: Theme, phys: Physical, atlas: Atlas) -> int:
    """Width of the legend column: symbol, gap and the widest entry, measured with the map's font."""
    return _legend_width(lang, legend_font_px(theme) + 1, phys, atlas)


def screen_map(atlas: Atlas, state: ViewState, frame: MapFrame) -> ScreenMap:
    """Where things land in the map frame: the fitted view, or the view's own centre and zoom."""
    lon_range, lat_range = fit_ranges(view_bounds(atlas, state), frame.width / frame.height)
    fitted = ScreenMap(frame.width, frame.height, lon_range, lat_range)
    if state.center is not None and state.scale is not None:
        return ScreenMap(frame.width, frame.height, lon_range, lat_range, center=state.center, scale=state.scale)
    return ScreenMap(frame.width, frame.height, lon_range, lat_range, center=fitted.middle, scale=1.0)


@dataclass(frozen=True)
class MapPlacement:
    """Positions on screen for one view: co-located symbols spread around their site, and the placed labels."""

    screen: ScreenMap
    offsets: dict  # feature_id -> (lon, lat) where its symbol is drawn
    placed: tuple  # labels.Placed, in placement order
    theme: Theme

    def point_lonlat(self, spec: TraceSpec) -> tuple[list[float], list[float]]:
        """Lon and lat of a point trace's symbols (spread where several share a site)."""
        lon, lat = [], []
        for fid, geom in zip(spec.rows["feature_id"], spec.rows.geometry, strict=True):
            x, y = self.offsets.get(fid, (geom.x, geom.y))
            lon.append(round(x, 5))
            lat.append(round(y, 5))
        return lon, lat

    def label_props(self) -> dict:
        """The labels trace: anchors, texts, positions, sizes and colours of the placed labels."""
        cands = [p.candidate for p in self.placed]
        lonlat = [self.screen.to_lonlat(*labels.text_anchor(p)) for p in self.placed]
        return {
            "lon": [round(lo, 5) for lo, _ in lonlat],
            "lat": [round(la, 5) for _, la in lonlat],
            "text": [c.text for c in cands],
            "textposition": [p.position for p in self.placed],
            "textfont": {
                "family": self.theme.font_family,
                "shadow": HALO,
                "size": [round(c.size_px, 1) for c in cands],
                "color": [label_color(c.kind, self.theme) for c in cands],
                "weight": [600 if c.kind == "province" else 400 for c in cands],
                "style": ["italic" if c.kind in ("river", "lake") else "normal" for c in cands],
            },
            "meta": {
                "role": "labels",
                "layer": None,
                "group": None,
                "boxes": [[round(v, 1) for v in p.box] for p in self.placed],
                "keys": [c.key for c in cands],
            },
        }


def label_color(kind: str, theme: Theme) -> str:
    """Ink of a label by what it names."""
    return {
        "province": theme.province_text,
        "neighbour": theme.neighbour_text,
        "prefecture": "#5c636a",
        "river": theme.water_text,
        "lake": theme.water_text,
    }.get(kind, theme.text_color)


def shown_points(atlas: Atlas, state: ViewState) -> list[tuple[str, str, shapely.Point]]:
    """(layer, feature_id, point) of every point of the layers shown, in label priority order."""
    order = [layer for layer in LABEL_PRIORITY if layer in state.layers]
    order += [layer for layer in state.layers if layer not in order]
    out = []
    for layer in order:
        rows = atlas.layers[layer]
        for fid, geom in zip(rows["feature_id"], rows.geometry, strict=True):
            if geom.geom_type == "Point":
                out.append((layer, fid, geom))
    return out


def spread_offsets(points: list, screen: ScreenMap, *, radius_px: float) -> dict:
    """Symbols sharing a site moved onto a ring around it, first at the top then clockwise; lone ones stay."""
    sites: dict[tuple, list] = {}
    for layer, fid, geom in points:
        sites.setdefault(_place(geom), []).append((layer, fid, geom))
    offsets = {}
    for members in sites.values():
        if len(members) < 2:
            continue
        geom = members[0][2]
        x, y = screen.to_px(np.array([geom.x]), np.array([geom.y]))
        for i, (_, fid, _) in enumerate(members):
            angle = -np.pi / 2 + 2 * np.pi * i / len(members)
            offsets[fid] = screen.to_lonlat(
                float(x[0] + radius_px * np.cos(angle)), float(y[0] + radius_px * np.sin(angle))
            )
    return offsets


def point_candidates(
    atlas: Atlas, state: ViewState, points: list, screen: ScreenMap, *, theme: Theme, radius_px: float
) -> list[labels.Candidate]:
    """One label per site of the points shown: the prefecture's name, clear of the (spread) symbols."""
    names = atlas.prefectures.set_index("adcode")["name_zh" if state.lang == "zh" else "name_en"]
    code_of = {
        fid: code for fid, code in zip(atlas.features["feature_id"], atlas.features["prefecture_adcode"], strict=True)
    }
    sites: dict[tuple, list] = {}
    for layer, fid, geom in points:
        sites.setdefault(_place(geom), []).append((layer, fid, geom))
    out = []
    for members in sites.values():
        layer, fid, geom = members[0]
        x, y = screen.to_px(np.array([geom.x]), np.array([geom.y]))
        size = (theme.layers[layer].size or 0) * theme.scale
        radius = size / 2 + (radius_px if len(members) > 1 else 0.0)
        rank = LABEL_PRIORITY.index(layer) if layer in LABEL_PRIORITY else len(LABEL_PRIORITY)
        text = str(names.get(code_of.get(fid), ""))
        out.append(
            labels.Candidate(
                "site:" + str(fid),
                text,
                float(x[0]),
                float(y[0]),
                theme.font_size,
                10 + rank,
                radius=radius,
                kind="point",
            )
        )
    return out


def symbol_obstacles(points: list, offsets: dict, screen: ScreenMap, *, theme: Theme) -> list[tuple]:
    """The boxes the drawn symbols cover (labels keep clear of them)."""
    boxes = []
    for layer, fid, geom in points:
        lon, lat = offsets.get(fid, (geom.x, geom.y))
        x, y = screen.to_px(np.array([lon]), np.array([lat]))
        radius = (theme.layers[layer].size or 0) * theme.scale / 2
        boxes.append(labels.symbol_box(float(x[0]), float(y[0]), radius=radius))
    return boxes


_PLACEMENTS: dict[tuple, MapPlacement] = {}
_MEMO_LOCK = threading.Lock()
#: Values being made, by (cache, key): the Future the other askers wait on.
_MAKING: dict[tuple, Future] = {}
T = TypeVar("T")


def remember(cache: dict[tuple, T], key: tuple, make: Callable[[], T], *, limit: int) -> T:
    """`cache[key]`, made by `make()` when missing; the oldest entries go past `limit`. Safe across threads (the
    server answers from several): a thread asking for a value another is making waits for it instead of making it
    again (at start the warm-up and the first visitor ask for the same traces, and both paid for them)."""
    slot = (id(cache), key)
    with _MEMO_LOCK:
        if key in cache:
            return cache[key]
        pending, owner = _MAKING.get(slot), False
        if pending is None:
            pending, owner = Future(), True
            _MAKING[slot] = pending
    if not owner:
        return pending.result()
    try:
        value = make()
    except BaseException as exc:
        with _MEMO_LOCK:
            _MAKING.pop(slot, None)
        pending.set_exception(exc)
        raise
    with _MEMO_LOCK:
        while len(cache) >= limit:
            cache.pop(next(iter(cache)))
        value = cache.setdefault(key, value)
        _MAKING.pop(slot, None)
    pending.set_result(value)
    return value


def map_placement(
    atlas: Atlas, view: Scene | ViewState, frame: MapFrame, *, theme: Theme | None = None
) -> MapPlacement:
    """Spread co-located symbols and place every label of the view (deterministic; the last 64 kept)."""
    scene = as_scene(view)
    state, phys = scene.state, scene.physical_layers()
    atlas = drawn_atlas(atlas, state)  # placed on the geometry drawn
    theme = theme or theme_for(state)
    key = (id(atlas), state, frame, id(theme), id(phys))
    return remember(_PLACEMENTS, key, lambda: place_labels(atlas, state, frame, theme=theme, phys=phys), limit=64)


def place_labels(
    atlas: Atlas,
    state: ViewState,
    frame: MapFrame,
    *,
    theme: Theme,
    phys: Physical,
    furniture: tuple[tuple[float, float, float, float], ...] = (),
    margin: float = 0.0,
) -> MapPlacement:
    """Every label candidate of the view placed clear of the symbols (and of a page's `furniture`, `margin` px
    inside the frame): the one placement the screen and print share. `atlas` is the drawn atlas."""
    screen = screen_map(atlas, state, frame)
    radius = SPREAD_PX * theme.scale
    points = [p for p in shown_points(atlas, state) if p[0] in state.layers]
    offsets = spread_offsets(points, screen, radius_px=radius)
    size = theme.font_size
    lang = state.lang
    cands = context.province_candidates(atlas, screen, lang=lang, size_px=size)
    if state.labels:
        cands += point_candidates(atlas, state, points, screen, theme=theme, radius_px=radius)
        if "rivers" in state.context:
            cands += context.river_candidates(phys, screen, lang=lang, size_px=size)
        if "lakes" in state.context:
            cands += context.lake_candidates(phys, screen, lang=lang, size_px=size)
        if state.level != "province" or (state.scale or 1.0) >= context.PREFECTURE_NAMES_SCALE:
            named = set(atlas.features.set_index("feature_id").loc[[fid for _, fid, _ in points], "prefecture_adcode"])
            prefectures = context.prefecture_candidates(atlas, screen, lang=lang, size_px=size)
            cands += [c for c in prefectures if c.key.split(":", 1)[1] not in named]
        cands += context.neighbour_candidates(atlas, screen, lang=lang, size_px=size)
    obstacles = [*symbol_obstacles(points, offsets, screen, theme=theme), *furniture]
    placed = labels.place(cands, frame=(frame.width, frame.height), obstacles=obstacles, margin=margin)
    return MapPlacement(screen, offsets, tuple(placed), theme)


def find_selection(atlas: Atlas, select: str | None) -> pd.Series | None:
    """The feature or admin unit a view selects, or None."""
    if not select:
        return None
    features = atlas.features
    hit = features[features["feature_id"] == select]
    if len(hit):
        return hit.iloc[0]
    for level in ("prefecture", "county", "province"):
        units = atlas.units(level)
        hit = units[units["adcode"] == select]
        if len(hit):
            return hit.iloc[0]
    return None


def selection_props(atlas: Atlas, state: ViewState) -> dict:
    """The highlight of the selected feature or unit."""
    row = find_selection(atlas, state.select)
    if row is None:
        return {"lon": [], "lat": [], "mode": "lines", "visible": False}
    geom = row.geometry
    if geom.geom_type == "Point":
        return {"lon": [round(geom.x, 5)], "lat": [round(geom.y, 5)], "mode": "markers", "visible": True}
    lon, lat = ring_lines(gpd.GeoSeries([geom]))
    return {"lon": lon, "lat": lat, "mode": "lines", "visible": True}


def mercator_y(lat: float) -> float:
    """Web Mercator's y (in radians of longitude) of a latitude in degrees."""
    return float(np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)))


def mercator_lat(y: float) -> float:
    """The latitude in degrees of a Web Mercator y."""
    return float(np.degrees(2 * np.arctan(np.exp(y)) - np.pi / 2))


def fit_aspect(bounds: tuple[float, float, float, float], aspect: float) -> tuple[float, float, float, float]:
    """Grow a lon/lat box about its centre until its Mercator shape has the panel's width / height."""
    west, south, east, north = bounds
    bottom, top = mercator_y(south), mercator_y(north)
    width, height = np.radians(east - west), top - bottom
    if width / height < aspect:
        grow = np.degrees(height * aspect - width) / 2
        return (west - grow, south, east + grow, north)
    grow = (width / aspect - height) / 2
    return (west, mercator_lat(bottom - grow), east, mercator_lat(top + grow))


def view_bounds(atlas: Atlas, state: ViewState) -> tuple[float, float, float, float]:
    """(west, south, east, north) the view fits: the selection, or the chosen provinces."""
    row = find_selection(atlas, state.select) if state.fit == "select" else None
    if row is not None:
        west, south, east, north = row.geometry.bounds
        pad = max(0.5, 0.15 * max(east - west, north - south))
    else:
        provinces = atlas.provinces[atlas.provinces["adcode"].isin(state.provinces)]
        west, south, east, north = provinces.total_bounds
        pad = MAP_PADDING_DEG
    return (west - pad, south - pad, east + pad, north + pad)


def as_scene(view: Scene | ViewState, *, upload: UserLayer | None = None) -> Scene:
    """The resolved scene a builder draws. A plain view is refused: resolving reads the bundled data, which is
    `dashboard.view.scene.resolve`'s work, done once before any builder runs."""
    if not isinstance(view, Scene):
        raise TypeError("figure builders take a resolved scene: pass dashboard.view.scene.resolve(view)")
    if upload is not None and upload is not view.upload:
        raise ValueError("a scene carries its upload; do not pass another")
    return view


def view_subtitle(view: Scene | ViewState) -> str:
    """A story step's caption (a guideline quote) with its section; empty outside stories."""
    return as_scene(view).subtitle


def scene_title(scene: Scene) -> str:
    """The scene's title; outside a story step, an indicator map names what is coloured, and where."""
    shown = indicator_figures.view_map(scene.state, table=scene.indicator_table()) if scene.step is None else None
    return f"{shown.title} · {where_text(scene.state)}" if shown is not None else scene.title


def view_title(view: Scene | ViewState) -> str:
    """A step's title in a story, else one naming the provinces, the boundary level and the layer count."""
    return scene_title(as_scene(view))


def layout_props(
    atlas: Atlas,
    view: Scene | ViewState,
    *,
    aspect: float = DEFAULT_ASPECT,
    panel_width: float = DEFAULT_PANEL_WIDTH,
    frame: MapFrame | None = None,
) -> dict:
    """The state-dependent part of the layout (`aspect`: the map panel's width / height below the title).

    `frame`, when given, is the map area itself (print pages lay out their own margins).
    """
    scene = as_scene(view)
    state = scene.state
    atlas = drawn_atlas(atlas, state)  # fitted to the geometry drawn
    frame = frame or map_frame(scene, panel_width=panel_width, aspect=aspect, atlas=atlas)
    screen = screen_map(atlas, state, frame)
    (west, east), (south, north) = screen.lon_range, screen.lat_range
    center = screen.center or screen.middle
    theme = theme_for(state)
    margin = {"r": frame.legend_px, "b": 0}
    place = (
        {"x": 1.0, "xanchor": "left", "y": 1.0, "yanchor": "top", "bgcolor": "rgba(0,0,0,0)"}
        if frame.legend_beside
        else {"x": 0.0, "xanchor": "left", "y": 1.0, "yanchor": "top", "bgcolor": "rgba(255,255,255,0.94)"}
    )
    return {
        "title": {
            "text": title_line(scene, frame=frame, theme=theme),
            "subtitle": {"text": caption_lines(scene, frame=frame, theme=theme)},
        },
        "margin": {**margin, "t": title_height(theme, story=state.view is not None)},
        "showlegend": frame.legend_beside,
        "legend": {"title": {"text": i18n.t("layers", state.lang) if frame.legend_beside else ""}, **place},
        "geo": {
            "lonaxis": {"range": [round(west, 4), round(east, 4)]},
            "lataxis": {"range": [round(south, 4), round(north, 4)]},
            "center": {"lon": round(center[0], 4), "lat": round(center[1], 4)},
            "projection": {"scale": round(screen.scale, 3)},
            "uirevision": f"{','.join(state.provinces)}|{state.fit}|{state.select if state.fit == 'select' else ''}",
        },
    }


#: Lines a story step's caption may take under the title (a longer quote ends in an ellipsis).
CAPTION_LINES = 2


def title_height(theme: Theme, *, story: bool = False) -> int:
    """Pixels above the map for the title and its subtitle (a story step's caption gets CAPTION_LINES lines)."""
    extra = (CAPTION_LINES - 1) * theme.font_size * labels.LINE_HEIGHT if story else 0.0
    return round(theme.font_size * 4.4 + extra)


#: Room the modebar takes at the right of the title strip, px.
MODEBAR_PX = 110


def title_line(scene: Scene, *, frame: MapFrame, theme: Theme) -> str:
    """The title on one line left of the modebar (a phone's narrow panel ends it with an ellipsis)."""
    width = (frame.width + frame.legend_px) * 0.97 - MODEBAR_PX
    return labels.wrap_text(scene_title(scene), width_px=width, size_px=round(theme.font_size * 1.5), max_lines=1)


def caption_lines(scene: Scene, *, frame: MapFrame, theme: Theme) -> str:
    """The step's caption wrapped to the figure's width, so a long quote is not cut at the right edge."""
    width = (frame.width + frame.legend_px) * 0.97
    return labels.wrap_text(scene.subtitle, width_px=width, size_px=theme.font_size, max_lines=CAPTION_LINES)


def theme_for(state: ViewState) -> Theme:
    """The presenter theme in presenter mode, else the screen theme."""
    return PRESENT_THEME if state.present else THEME


def base_layout(theme: Theme) -> dict:
    """The fixed part of the layout: an offline `geo` subplot with every base layer off."""
    return {
        "margin": {"l": 0, "r": 0, "t": title_height(theme), "b": 0, "pad": 0},
        "font": {"family": theme.font_family, "size": theme.font_size, "color": theme.text_color},
        "title": {
            "x": 0.01,
            "y": 0.985,
            "xanchor": "left",
            "yanchor": "top",
            "font": {"size": round(theme.font_size * 1.5)},
            "subtitle": {"font": {"size": theme.font_size, "color": "#495057"}},
        },
        "legend": {
            "x": 1.0,
            "y": 1.0,
            "xanchor": "left",
            "yanchor": "top",
            "bgcolor": "rgba(0,0,0,0)",
            "borderwidth": 0,
            "traceorder": "grouped",
            "tracegroupgap": 6,
            "groupclick": "togglegroup",
            "itemclick": False,
            "itemdoubleclick": False,
            "font": {"size": legend_font_px(theme)},
            "grouptitlefont": {"size": legend_font_px(theme) + 1, "color": "#495057"},
        },
        "geo": {
            "visible": False,
            "projection": {
                "type": PROJECTION["type"],
                "parallels": PROJECTION["parallels"],
                "rotation": PROJECTION["rotation"],
                "minscale": SCALE_RANGE[0],  # the zoom buttons and the wheel stop where the URL's scale does
                "maxscale": SCALE_RANGE[1],
            },
            "bgcolor": theme.background,
            "fitbounds": False,
        },
        "paper_bgcolor": theme.background,
        "dragmode": "pan",
        "uirevision": "atlas",
        "clickmode": "event",
        "hoverlabel": {"font": {"family": theme.font_family}},
    }


def figure_parts(
    atlas: Atlas,
    view: Scene | ViewState,
    *,
    theme: Theme | None,
    aspect: float,
    upload: UserLayer | None,
    panel_width: float,
    frame: MapFrame | None,
) -> tuple[Atlas, Scene, Theme, list[TraceSpec], MapFrame, list[dict]]:
    """What both figure builders start from: the drawn atlas, the scene, theme, trace specs, frame and dynamic props."""
    scene = as_scene(view, upload=upload)
    state = scene.state
    atlas = drawn_atlas(atlas, state)
    theme = theme or theme_for(state)
    specs = trace_specs(atlas, state.level, phys=scene.physical_layers())
    frame = frame or map_frame(scene, panel_width=panel_width, aspect=aspect, atlas=atlas)
    placement = map_placement(atlas, scene, frame, theme=theme)
    dynamic = all_dynamic_props(
        atlas,
        specs,
        state,
        upload=scene.upload,
        placement=placement,
        indicators=scene.indicator_table(),
        lod_specs=lod_twins(atlas, state.level, phys=scene.physical_layers()),
    )
    return atlas, scene, theme, specs, frame, dynamic


def map_figure(
    atlas: Atlas,
    view: Scene | ViewState,
    *,
    theme: Theme | None = None,
    aspect: float = DEFAULT_ASPECT,
    upload: UserLayer | None = None,
    panel_width: float = DEFAULT_PANEL_WIDTH,
    frame: MapFrame | None = None,
) -> go.Figure:
    """The whole map for a view (in the presenter theme when the view is presented), with the planner's layer.

    `view`: a resolved scene (`dashboard.view.scene.resolve`), which carries the upload and the data drawn.
    `panel_width` (px) and `aspect` give the panel's size: labels are placed for it.
    """
    parts = figure_parts(atlas, view, theme=theme, aspect=aspect, upload=upload, panel_width=panel_width, frame=frame)
    atlas, scene, theme, specs, frame, dynamic = parts
    traces = [_merge(static_trace(spec, theme=theme), props) for spec, props in zip(specs, dynamic, strict=True)]
    layout = _merge(base_layout(theme), layout_props(atlas, scene, frame=frame))
    return go.Figure(data=traces, layout=layout)


def map_figure_data(
    atlas: Atlas,
    view: Scene | ViewState,
    *,
    theme: Theme | None = None,
    aspect: float = DEFAULT_ASPECT,
    upload: UserLayer | None = None,
    panel_width: float = DEFAULT_PANEL_WIDTH,
    frame: MapFrame | None = None,
) -> dict:
    """What `map_figure` builds, as a plain dict: static traces cached per level and theme, no go.Figure validation.

    The fast path for the browser (orjson serialises plain dicts several times faster than a go.Figure); the
    result shares the cached geometry, so treat it as read-only.
    """
    parts = figure_parts(atlas, view, theme=theme, aspect=aspect, upload=upload, panel_width=panel_width, frame=frame)
    atlas, scene, theme, specs, frame, dynamic = parts
    traces = [
        _merge_set(cached_static_trace(spec, theme=theme), props) for spec, props in zip(specs, dynamic, strict=True)
    ]
    layout = _merge_set(base_layout(theme), layout_props(atlas, scene, frame=frame))
    return {"data": traces, "layout": {**layout, "template": default_template()}}


def _merge_set(base: dict, extra: dict) -> dict:
    """_merge leaving out keys set to None (a go.Figure drops them: plotly then uses its default); meta is free."""
    out = dict(base)
    for key, value in extra.items():
        if key == "meta":
            out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        elif value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge_set(out[key], value)
        else:
            out[key] = value
    return out


_STATIC: dict[tuple[int, int], tuple[TraceSpec, Theme, dict]] = {}


def cached_static_trace(spec: TraceSpec, *, theme: Theme) -> dict:
    """static_trace, built once per trace spec and theme (both held, so their ids stay theirs); read-only."""
    key = (id(spec), id(theme))
    if key not in _STATIC:
        _STATIC[key] = (spec, theme, static_trace(spec, theme=theme))
    return _STATIC[key][2]


@functools.cache
def default_template() -> dict:
    """The layout template a go.Figure fills in (plotly.io's default), as a plain dict.

    A built-in template is read from plotly's own JSON file (20 ms) rather than through go.layout.Template's
    validation (190 ms, paid by the first map after a start); both give the same dict (tested).
    """
    import plotly.io as pio

    name = pio.templates.default
    if not name:
        return {}
    return builtin_template(name) or go.layout.Template(pio.templates[name]).to_plotly_json()


def builtin_template(name: str) -> dict | None:
    """Plotly's built-in template `name` as its package stores it, or None when it has no such file."""
    try:
        data = pkgutil.get_data("plotly", "/".join(("package_data", "templates", name + ".json")))
    except (OSError, ValueError):
        return None
    return None if data is None else json.loads(data)


#: A patch value meaning "delete this key" (dash.Patch: `del patch[key]`).
DELETE = object()


def patch_updates(
    atlas: Atlas,
    old: Scene | ViewState,
    new: Scene | ViewState,
    *,
    aspect: float = DEFAULT_ASPECT,
    old_upload: UserLayer | None = None,
    new_upload: UserLayer | None = None,
    panel_width: float = DEFAULT_PANEL_WIDTH,
) -> list[tuple[tuple, object]]:
    """Paths into the figure dict and their new values (or DELETE), taking the `old` view's figure to the `new` one.

    Applied to the old figure they give exactly the new figure's data. Only valid when both views share the
    admin level and the theme (the traces are then the same).
    """
    old_scene, new_scene = as_scene(old, upload=old_upload), as_scene(new, upload=new_upload)
    old_state, new_state = old_scene.state, new_scene.state
    if old_state.level != new_state.level or old_state.present != new_state.present:
        raise ValueError("a level change or presenter mode redraws the figure; build a new one instead")
    old_atlas, atlas = drawn_atlas(atlas, old_state), drawn_atlas(atlas, new_state)
    specs = trace_specs(atlas, new_state.level, phys=new_scene.physical_layers())
    old_specs = trace_specs(old_atlas, old_state.level, phys=old_scene.physical_layers())
    updates: list[tuple[tuple, object]] = []
    old_place = _placement(old_atlas, old_scene, aspect, panel_width)
    new_place = _placement(atlas, new_scene, aspect, panel_width)
    before = view_dynamic_props(old_atlas, old_specs, old_scene, placement=old_place)
    after = view_dynamic_props(atlas, specs, new_scene, placement=new_place)
    theme = theme_for(new_state)
    for index, (spec, a, b) in enumerate(zip(specs, before, after, strict=True)):
        static = functools.partial(cached_static_trace, spec, theme=theme)
        old_static = cached_static_trace(old_specs[index], theme=theme)
        if old_atlas is not atlas:  # zoomed across LOD_MAX_SCALE: the geometry changes
            updates += geometry_updates(index, old_static, static(), b, old_dynamic=a)
        changes = _diff(a, b, base=static)
        if old_atlas is not atlas:
            changes = [(path, value) for path, value in changes if not held(path, value, a, old_static)]
        updates += [(("data", index, *path), value) for path, value in changes]
    layout_before = layout_props(old_atlas, old_scene, aspect=aspect, panel_width=panel_width)
    layout_after = layout_props(atlas, new_scene, aspect=aspect, panel_width=panel_width)
    layout = functools.cache(lambda: base_layout(theme))
    updates += [(("layout", *path), value) for path, value in _diff(layout_before, layout_after, base=layout)]
    return updates


#: The dynamic props of the last views patched (a patch's old view is the view the previous patch drew).
_DYNAMIC: dict[tuple, tuple[tuple, list[dict]]] = {}
DYNAMIC_KEPT = 64


def view_dynamic_props(atlas: Atlas, specs: list[TraceSpec], scene: Scene, *, placement: MapPlacement) -> list[dict]:
    """all_dynamic_props of a scene, kept for the last views without an upload (read-only: patches share them).

    The key holds the objects by identity (the cached atlas, trace specs, placement and indicator table), and the
    entry holds them, so an id is never reused while its entry lives.
    """
    table = scene.indicator_table()
    compute = functools.partial(
        all_dynamic_props,
        atlas,
        specs,
        scene.state,
        upload=scene.upload,
        placement=placement,
        indicators=table,
        lod_specs=lod_twins(atlas, scene.state.level, phys=scene.physical_layers()),
    )
    if scene.upload is not None:
        return compute()
    held = (atlas, specs, placement, table)
    key = (scene.state, *(id(obj) for obj in held))
    return remember(_DYNAMIC, key, lambda: (held, compute()), limit=DYNAMIC_KEPT)[1]


#: The keys of a static trace that hold its geometry.
GEOMETRY_KEYS = ("geojson", "lon", "lat")


def geometry_updates(
    index: int, old: dict, new: dict, dynamic: dict, *, old_dynamic: dict | None = None
) -> list[tuple[tuple, object]]:
    """The geometry keys of trace `index` whose new static value (no dynamic prop sets it) the old figure lacks.

    The old figure holds `old_dynamic`'s value of a key where it sets one, else the `old` static trace's.
    """
    was = old_dynamic or {}
    keys = [
        key
        for key in GEOMETRY_KEYS
        if key in new and key not in dynamic and not _same(was.get(key, old.get(key)), new[key])
    ]
    return [(("data", index, key), new[key]) for key in keys]


def held(path: tuple, value: object, old_dynamic: dict, old_static: dict) -> bool:
    """Whether a change of a trace's geometry key sets the value the old figure holds already (nothing to send)."""
    if len(path) != 1 or path[0] not in GEOMETRY_KEYS or value is DELETE:
        return False
    key = path[0]
    return _same(old_dynamic[key] if key in old_dynamic else old_static.get(key, DELETE), value)


def _same(a: object, b: object) -> bool:
    return a is b or a == b


def lod_twins(atlas: Atlas, level: str, *, phys: Physical) -> list[TraceSpec] | None:
    """The LOD atlas's traces, twins of the light atlas's (None when the map draws the LOD or print's atlas)."""
    if atlas.resolution != "light":
        return None
    return trace_specs(screen_lod.screen_atlas(atlas), level, phys=phys)


_LOD_GEOMETRY: dict[tuple[int, int, int], tuple[tuple, dict]] = {}


def lod_geometry(spec: TraceSpec, twin: TraceSpec, *, theme: Theme) -> dict:
    """The geometry keys in which the LOD twin's static trace differs from the trace's own (cached; read-only).

    A hidden trace of the zoomed-in map carries them: a zoom across LOD_MAX_SCALE then resends only the geometry
    of what is shown, and a hidden trace's geometry is never drawn anyway.
    """
    key = (id(spec), id(twin), id(theme))
    entry = _LOD_GEOMETRY.get(key)
    if entry is None:
        own, lod = cached_static_trace(spec, theme=theme), cached_static_trace(twin, theme=theme)
        diff = {k: lod[k] for k in GEOMETRY_KEYS if k in lod and k in own and not _same(own[k], lod[k])}
        entry = _LOD_GEOMETRY[key] = ((spec, twin, theme), diff)
    return entry[1]


def drawn_atlas(atlas: Atlas, state: ViewState) -> Atlas:
    """The atlas whose boundaries the browser map draws: the coarser screen LOD while zoomed out (light atlas only).

    Joins, names and points stay the atlas's own; print (the detail atlas) is never simplified further. Idempotent:
    the LOD atlas is returned as it is.
    """
    if atlas.resolution == "light" and screen_lod.uses_lod(state.scale):
        return screen_lod.screen_atlas(atlas)
    return atlas


def _placement(atlas: Atlas, scene: Scene, aspect: float, panel_width: float) -> MapPlacement:
    return map_placement(atlas, scene, map_frame(scene, panel_width=panel_width, aspect=aspect, atlas=atlas))


def _at(tree: dict, path: tuple) -> object:
    for key in path:
        if not isinstance(tree, dict) or key not in tree:
            return DELETE
        tree = tree[key]
    return tree


def _diff(a: dict, b: dict, *, base: Callable[[], dict], prefix: tuple = ()) -> list[tuple[tuple, object]]:
    """Changes taking base + `a` to base + `b` (the state-dependent parts over the fixed `base()`).

    A key `b` no longer sets goes back to base's value, or is deleted (DELETE) when base has none.
    """
    out: list[tuple[tuple, object]] = []
    for key, value in b.items():
        path = (*prefix, key)
        if isinstance(value, dict) and isinstance(a.get(key), dict):
            out += _diff(a[key], value, base=base, prefix=path)
        elif key not in a or a[key] != value:
            fixed = _at(base(), path) if isinstance(value, dict) else DELETE
            out.append((path, _merge(fixed, value) if isinstance(fixed, dict) else value))
    out += [((*prefix, key), _at(base(), (*prefix, key))) for key in a if key not in b]
    return out


def _merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out
