"""Print layouts: the on-screen view as a publication figure with title, legend, source, scale bar and north arrow."""

from __future__ import annotations

import functools
import html
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import plotly.graph_objects as go

from dashboard.config import THEME, Theme
from dashboard.figures import indicators as indicator_figures
from dashboard.figures import labels
from dashboard.figures import screen as figures
from dashboard.figures.projection import ScreenMap
from dashboard.figures.relief import ShadeRaster, with_relief
from dashboard.view import i18n
from dashboard.view.scene import Scene, where_text
from dashboard.view.state import ViewState
from geodata import Atlas
from geodata.userdata import UserLayer

#: Round scale-bar lengths; the one nearest a fifth of the map's width is drawn.
SCALE_LENGTHS_KM = (10, 20, 50, 100, 200, 500)
#: Kilometres per degree of longitude at the equator (sphere of radius 6371 km, as d3-geo's Mercator).
KM_PER_DEGREE = 2 * math.pi * 6371.0 / 360
#: Ink colours of the page furniture.
INK = "#212529"
MUTED = "#495057"
FRAME = "#adb5bd"
SUBTITLE_MAX_LINES = 3


@dataclass(frozen=True)
class PrintOptions:
    """Page size (CSS px and a pixel scale for PNG) and which map furniture to draw.

    `subtitle`: None gives the default (a story step's caption, else the layers shown); "" gives none.
    """

    width: int = 1920
    height: int = 1080
    scale: float = 1.0
    title: bool = True
    subtitle: str | None = None
    title_text: str | None = None  # a custom title; None gives `default_title`
    legend: bool = True
    source: bool = True
    scalebar: bool = True
    north: bool = True


def text_scale(options: PrintOptions) -> float:
    """Type and symbols grow with the page height beyond A4 landscape (794 px), up to 1.6 times."""
    return round(min(max(options.height / 900, 1.0), 1.6), 2)


def print_theme(options: PrintOptions) -> Theme:
    """The screen theme on white paper, type and symbols scaled to the page."""
    k = text_scale(options)
    return replace(THEME, font_size=round(THEME.font_size * k), scale=THEME.scale * k, background="white")


def text_width(text: str, *, font_px: float) -> float:
    """Approximate rendered width: CJK and other wide characters a full em, the rest about half."""
    return sum(font_px if unicodedata.east_asian_width(ch) in "WF" else 0.52 * font_px for ch in text)


def wrap(text: str, *, width_px: float, font_px: float, max_lines: int = SUBTITLE_MAX_LINES) -> list[str]:
    """Break text into lines that fit `width_px` (at spaces for Latin text), ellipsized after `max_lines`."""
    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        if line and text_width(line + token, font_px=font_px) > width_px:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
    lines.append(line.rstrip())
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], lines[max_lines - 1].rstrip(" ,;") + "…"]
    return [line for line in lines if line]


def _tokens(text: str) -> list[str]:
    """Words with their leading space, and wide characters one by one (they may break anywhere)."""
    tokens: list[str] = []
    for ch in " ".join(text.split()):
        wide = unicodedata.east_asian_width(ch) in "WF"
        if not tokens or wide or ch == " " or unicodedata.east_asian_width(tokens[-1][-1]) in "WF":
            tokens.append(ch)
        else:
            tokens[-1] += ch
    return tokens


def view_description(atlas: Atlas, state: ViewState) -> str:
    """The default subtitle outside stories: the layers shown, and the selection."""
    parts = [i18n.layer_name(layer, state.lang) for layer in state.layers]
    row = figures.find_selection(atlas, state.select)
    if row is not None:
        parts.append(i18n.t("selected_item", state.lang, name=i18n.name(row, state.lang)))
    return " · ".join(parts)


def subtitle_text(atlas: Atlas, view: Scene | ViewState, *, options: PrintOptions) -> str:
    """The custom subtitle, else a story step's caption, else the view's description."""
    if options.subtitle is not None:
        return options.subtitle
    scene = figures.as_scene(view)
    return scene.subtitle if scene.step else view_description(atlas, scene.state)


def join_names(names: list[str], *, lang: str) -> str:
    """ "a", "a and b", "a, b and c" (Chinese: 、 and 和)."""
    if lang == "zh":
        return i18n.t("list_sep", lang).join(names)
    if len(names) > 1 and any(" and " in name for name in names):
        return " · ".join(names)  # "hubs and finance and trade" would not parse
    if len(names) == 1:
        return names[0]
    return i18n.t("list_and", lang, head=i18n.t("list_sep", lang).join(names[:-1]), last=names[-1])


def default_title(view: Scene | ViewState) -> str:
    """A title that reads well: the step's title in a story, an indicator map's subject, else the layers shown.

    e.g. "National logistics hubs and innovation centres", "Henan: Central cities"; never "4 layers".
    """
    scene = figures.as_scene(view)
    state = scene.state
    lang = state.lang
    if scene.step is not None or state.indicator:
        return figures.scene_title(scene)
    names = [i18n.layer_name(layer, lang) for layer in state.layers]
    names = [names[0], *(_lower_first(name) for name in names[1:])] if lang == "en" and names else names
    if not names:
        what = i18n.t("title_boundaries", lang, level=i18n.t(state.level, lang))
        what = what[0].upper() + what[1:]
    elif len(names) <= 3:
        what = join_names(names, lang=lang)
    else:
        more = len(names) - 2
        rest = i18n.t("title_more_layer" if more == 1 else "title_more_layers", lang, n=more)
        what = join_names([*names[:2], rest], lang=lang)
    if len(state.provinces) == 6:
        return what
    return i18n.t("title_where", lang, where=where_text(state), what=what)


def _lower_first(name: str) -> str:
    """Sentence case inside a title, unless the first word is a name (capitalised beyond its first letter)."""
    first = name.split(" ", 1)[0]
    return (
        name
        if (len(first) > 1 and any(ch.isupper() for ch in first[1:])) or first in PROPER_WORDS
        else (name[:1].lower() + name[1:])
    )


#: First words of layer names that are names (kept capitalised inside a title).
PROPER_WORDS = ("Yangtze", "Yellow", "Huai", "Dabie")


@dataclass(frozen=True)
class Frame:
    """Where the map sits on the page (CSS px), and the type sizes around it."""

    margin: dict[str, int]
    title_px: int
    subtitle_px: int
    source_px: int
    subtitle_lines: tuple[str, ...]
    legend_beside: bool  # the legend in a column right of the map, else over its top right corner

    def aspect(self, options: PrintOptions) -> float:
        """Width / height of the map area."""
        width = options.width - self.margin["l"] - self.margin["r"]
        return width / (options.height - self.margin["t"] - self.margin["b"])


#: The legend moves beside the map only if that shrinks the mapped area by at most this factor.
LEGEND_BESIDE_SHRINK = 0.85


def content_aspect(atlas: Atlas, state: ViewState) -> float:
    """Width / height (in Mercator) of what the view must show: the chosen provinces or the selection."""
    west, south, east, north = figures.view_bounds(atlas, state)
    return math.radians(east - west) / (figures.mercator_y(north) - figures.mercator_y(south))


def page_frame(options: PrintOptions, *, subtitle: str, legend_px: int = 0, content: float = 1.0) -> Frame:
    """Margins for the title and subtitle above the map, the source line below and the legend beside it.

    `content`: the aspect of what must be shown; the legend goes beside the map when that barely shrinks it.
    """
    k = text_scale(options)
    pad = round(14 * k)
    title_px, subtitle_px, source_px = round(21 * k), round(14 * k), round(11 * k)
    lines = tuple(wrap(subtitle, width_px=options.width - 2 * pad, font_px=subtitle_px)) if subtitle else ()
    top = pad
    if options.title:
        top += round(title_px * 1.35)
    if lines:
        top += round(4 * k) + round(len(lines) * subtitle_px * 1.35)
    top += pad if (options.title or lines) else 0
    bottom = pad + (round(source_px * 1.4) + round(6 * k) if options.source else 0)
    right = pad + (legend_px + pad if options.legend and legend_px else 0)
    height = options.height - top - bottom
    needed = LEGEND_BESIDE_SHRINK * min(content, (options.width - 2 * pad) / height)
    beside = right > pad and (options.width - pad - right) / height >= needed
    margin = {"l": pad, "r": right if beside else pad, "t": top, "b": bottom, "pad": 0}
    return Frame(margin, title_px, subtitle_px, source_px, lines, beside)


def legend_width(fig: go.Figure, *, font_px: float) -> int:
    """An estimate of the legend's width in CSS px: symbol, gap and the longest entry or title."""
    names = [str(t.name) for t in fig.data if t.visible is not False and t.showlegend is not False and t.name]
    title = fig.layout.legend.title.text or ""
    widest = max((text_width(text, font_px=font_px) for text in [*names, title]), default=0.0)
    return round(widest + 3.6 * font_px) if names else 0


def legend_layout(frame: Frame, options: PrintOptions) -> dict:
    """Beside the map (top aligned), or over the map's top right corner as on screen."""
    if not frame.legend_beside:
        return {"x": 0.99, "xanchor": "right", "y": 0.99, "yanchor": "top", "bgcolor": "rgba(255,255,255,0.9)"}
    gap = round(14 * text_scale(options)) / (options.width - frame.margin["l"] - frame.margin["r"])
    return {"x": 1 + gap, "xanchor": "left", "y": 1, "yanchor": "top", "bgcolor": "rgba(0,0,0,0)", "borderwidth": 0}


def _escape(text: str) -> str:
    """Literal text for Plotly, which reads a subset of HTML in labels."""
    return html.escape(text, quote=False)


def heading_annotations(title: str, frame: Frame, *, show_title: bool) -> list[dict]:
    """The title and the subtitle lines, left-aligned above the map."""
    notes = []
    shift = 0
    if frame.subtitle_lines:
        height = round(len(frame.subtitle_lines) * frame.subtitle_px * 1.35)
        notes.append(
            _heading("subtitle", "<br>".join(map(_escape, frame.subtitle_lines)), frame.subtitle_px, MUTED, shift)
        )
        shift += height + round(frame.subtitle_px * 0.3)
    if show_title:
        notes.append(_heading("title", f"<b>{_escape(title)}</b>", frame.title_px, INK, shift + 4))
    return notes


def _heading(name: str, text: str, size: int, color: str, shift: int) -> dict:
    return {
        "name": name,
        "text": text,
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": 1,
        "xanchor": "left",
        "yanchor": "bottom",
        "yshift": shift + 6,
        "align": "left",
        "showarrow": False,
        "font": {"size": size, "color": color},
    }


def source_annotation(lang: str, frame: Frame) -> dict:
    """The data credit under the map's lower left corner."""
    return {
        "name": "source",
        "text": _escape(i18n.t("source_line", lang)),
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": 0,
        "xanchor": "left",
        "yanchor": "top",
        "yshift": -round(frame.source_px * 0.5),
        "showarrow": False,
        "font": {"size": frame.source_px, "color": MUTED},
    }


def indicator_source(scene: Scene) -> str:
    """The indicator map's source, appended to the print's credit line (empty without an indicator)."""
    shown = indicator_figures.view_map(scene.state, table=scene.indicator_table())
    return "; " + shown.source.replace("<br>", " ") if shown is not None and shown.source else ""


def north_arrow(lang: str, *, k: float) -> list[dict]:
    """An upward arrow with "N" (北) above it, in the map's top left corner (Mercator keeps north up)."""
    x_shift, tip = round(28 * k), -round(34 * k)
    arrow = {
        "name": "north-arrow",
        "text": "",
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": 1,
        "xshift": x_shift,
        "yshift": tip,
        "showarrow": True,
        "arrowhead": 2,
        "arrowsize": 1.2,
        "arrowwidth": round(2.5 * k, 1),
        "arrowcolor": INK,
        "ax": 0,
        "ay": round(34 * k),
    }
    letter = {
        "name": "north",
        "text": f"<b>{i18n.t('north', lang)}</b>",
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": 1,
        "xshift": x_shift,
        "yshift": tip + round(2 * k),
        "xanchor": "center",
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"size": round(17 * k), "color": INK},
    }
    return [arrow, letter]


def km_per_degree_lon(lat: float) -> float:
    """Kilometres along one degree of longitude at a latitude."""
    return KM_PER_DEGREE * math.cos(math.radians(lat))


def centre_latitude(lat_range: tuple[float, float]) -> float:
    """The latitude at the vertical middle of a Mercator map."""
    south, north = lat_range
    return figures.mercator_lat((figures.mercator_y(south) + figures.mercator_y(north)) / 2)


def scale_length_km(lon_range: tuple[float, float], lat_range: tuple[float, float]) -> int:
    """The round length nearest a fifth of the map's width at its centre latitude."""
    west, east = lon_range
    target = (east - west) * km_per_degree_lon(centre_latitude(lat_range)) / 5
    return min(SCALE_LENGTHS_KM, key=lambda km: abs(math.log(km / target)))


@dataclass(frozen=True)
class ScaleBar:
    """A scale bar's length and where it lies: from (west, lat) eastwards, true at `lat`."""

    km: int
    west: float
    east: float
    lat: float
    tick: float  # degrees of latitude of the end ticks


def scale_bar(lon_range: tuple[float, float], lat_range: tuple[float, float]) -> ScaleBar:
    """A round-length bar in the map's lower left corner (Mercator stretches east-west with latitude)."""
    west, east = lon_range
    bottom, top = figures.mercator_y(lat_range[0]), figures.mercator_y(lat_range[1])
    km = scale_length_km(lon_range, lat_range)
    lat = figures.mercator_lat(bottom + 0.06 * (top - bottom))
    start = west + 0.035 * (east - west)
    tick = figures.mercator_lat(bottom + 0.075 * (top - bottom)) - lat
    return ScaleBar(km=km, west=start, east=start + km / km_per_degree_lon(lat), lat=lat, tick=tick)


def scale_bar_traces(bar: ScaleBar, *, lang: str, k: float) -> list[dict]:
    """The bar (dark over a white halo, with end ticks) and its label."""
    lon = [bar.west, bar.west, bar.east, bar.east]
    lat = [bar.lat + bar.tick, bar.lat, bar.lat, bar.lat + bar.tick]
    common = {"type": "scattergeo", "lon": lon, "lat": lat, "mode": "lines", "hoverinfo": "skip", "showlegend": False}
    label = f"{bar.km} {i18n.t('scale_km', lang)}"
    return [
        {**common, "meta": {"role": "scalebar-halo"}, "line": {"color": "white", "width": round(6 * k, 1)}},
        {**common, "meta": {"role": "scalebar", "km": bar.km}, "line": {"color": INK, "width": round(2 * k, 1)}},
        {
            "type": "scattergeo",
            "meta": {"role": "scalebar-label"},
            "lon": [(bar.west + bar.east) / 2],
            "lat": [bar.lat + bar.tick * 0.6],
            "mode": "text",
            "text": [label],
            "textposition": "top center",
            "textfont": {"size": round(13 * k), "color": INK},
            "hoverinfo": "skip",
            "showlegend": False,
        },
    ]


def map_frame_shape(*, k: float) -> dict:
    """A thin neat line around the map area."""
    return {
        "type": "rect",
        "xref": "paper",
        "yref": "paper",
        "x0": 0,
        "y0": 0,
        "x1": 1,
        "y1": 1,
        "line": {"color": FRAME, "width": round(0.8 * k, 1)},
        "layer": "above",
    }


def print_figure(
    atlas: Atlas, view: Scene | ViewState, *, options: PrintOptions, upload: UserLayer | None = None
) -> go.Figure:
    """The view as a print figure of `options.width` x `options.height` CSS px (validated; see `print_spec`).

    `view`: a resolved scene (`dashboard.view.scene.resolve`), which carries the upload and the data drawn.
    """
    return go.Figure(print_spec(atlas, view, options=options, upload=upload))


def print_spec(
    atlas: Atlas,
    view: Scene | ViewState,
    *,
    options: PrintOptions,
    upload: UserLayer | None = None,
    shade: ShadeRaster | None = None,
) -> dict:
    """The view as a print figure dict, built without go.Figure validation from geometry simplified to the page.

    The legend is a compact block over the map's top right corner, sized by its content; the map takes the page.
    `shade`: a shaded relief drawn beneath the map when the view shows relief (print sizes pass one, slides not).
    """
    scene = figures.as_scene(view, upload=upload)
    state = scene.state
    k = text_scale(options)
    theme = print_theme(options)
    subtitle = subtitle_text(atlas, scene, options=options)
    frame = page_frame(options, subtitle=subtitle)
    area = map_area(frame, options)  # labels are placed for the page's own map area
    bounds = figures.fit_aspect(figures.view_bounds(atlas, state), frame.aspect(options))
    drawn = print_atlas(atlas, tolerance=print_tolerance(bounds, options=options))
    screen = figures.screen_map(drawn, state, area)
    bar = conic_scale_bar(screen) if options.scalebar else None
    furniture = furniture_boxes(screen, options=options, bar=bar, k=k, lang=state.lang)
    spec = map_spec(
        drawn,
        scene,
        theme=theme,
        aspect=frame.aspect(options),
        frame=area,
        furniture=furniture,
        legend_clear=options.legend,
    )
    layout = spec["layout"]
    geo = layout["geo"]
    annotations = heading_annotations(options.title_text or default_title(scene), frame, show_title=options.title)
    shaded = shade is not None and "relief" in state.context
    if options.source:
        annotations.append(source_annotation(state.lang, frame))
        annotations[-1]["text"] += indicator_source(scene)
        annotations[-1]["text"] += _escape(i18n.t("relief_shade_source", state.lang)) if shaded else ""
    if options.north:
        annotations += north_arrow(state.lang, k=k)
    if bar is not None:
        spec["data"] += scale_bar_traces(bar, lang=state.lang, k=k)
    layout.update(
        width=options.width,
        height=options.height,
        autosize=False,
        margin=frame.margin,
        title={"text": "", "subtitle": {"text": ""}},
        showlegend=options.legend,
        legend={**layout.get("legend", {}), **compact_legend(k=k)},
        annotations=annotations,
        shapes=[map_frame_shape(k=k)],
        paper_bgcolor="white",
        hovermode=False,
    )
    geo["bgcolor"] = "white"
    if shade is not None and shaded:
        with_relief(spec, shade, figures.screen_map(drawn, state, area))
    return spec


#: The compact legend's distance from the map's right edge (its top: 1.6 times that), a share of the map's size.
LEGEND_PAD = 0.012
TAG_RE = re.compile(r"<(?!br>)[^>]+>")


def compact_legend(*, k: float) -> dict:
    """A legend block in the map's top right corner, as large as its entries (no column of its own)."""
    pad = LEGEND_PAD
    return {
        "x": 1 - pad,
        "xanchor": "right",
        "y": 1 - pad * 1.6,
        "yanchor": "top",
        "bgcolor": "rgba(255,255,255,0.92)",
        "bordercolor": FRAME,
        "borderwidth": max(1, round(0.8 * k)),
        "tracegroupgap": round(4 * k),
    }


# --- Map series pages: one template (frame, margins, legend place, furniture) for every page -------------------

#: Share of the plot width given to the side column (locator inset, legend, feature list) on series pages.
SIDE_SHARE = 0.25
LOCATOR_FILL = "#e8590c"
LOCATOR_TOLERANCE_DEG = 0.02


@dataclass(frozen=True)
class SeriesFrame:
    """The fixed page template of a series: margins, the map's and the locator's domains, the side column."""

    margin: dict[str, int]
    title_px: int
    subtitle_px: int
    source_px: int
    map_x: tuple[float, float]  # the main map's domain (fractions of the plot area)
    side_x: float  # where the side column starts
    locator_y: tuple[float, float]
    plot: tuple[int, int]  # plot area width and height in CSS px

    def map_aspect(self) -> float:
        """Width / height of the main map."""
        width, height = self.plot
        return (self.map_x[1] - self.map_x[0]) * width / height


def series_frame(options: PrintOptions) -> SeriesFrame:
    """The template, from the page size alone: every page of a series gets the same boxes."""
    k = text_scale(options)
    pad = round(14 * k)
    title_px, subtitle_px, source_px = round(21 * k), round(14 * k), round(11 * k)
    top = pad + round(title_px * 1.35) + round(4 * k) + round(subtitle_px * 1.35) + pad
    bottom = pad + round(source_px * 1.4) + round(6 * k)
    width, height = options.width - 2 * pad, options.height - top - bottom
    side = round(width * SIDE_SHARE)
    side_x = (width - side) / width
    locator_h = min(round(side * 0.8), round(height * 0.45))
    return SeriesFrame(
        margin={"l": pad, "r": pad, "t": top, "b": bottom, "pad": 0},
        title_px=title_px,
        subtitle_px=subtitle_px,
        source_px=source_px,
        map_x=(0.0, (width - side - pad) / width),
        side_x=side_x,
        locator_y=(1 - locator_h / height, 1.0),
        plot=(width, height),
    )


def _rect(x: tuple[float, float], y: tuple[float, float], *, k: float, name: str) -> dict:
    return {
        "type": "rect",
        "name": name,
        "xref": "paper",
        "yref": "paper",
        "x0": x[0],
        "x1": x[1],
        "y0": y[0],
        "y1": y[1],
        "line": {"color": FRAME, "width": round(0.8 * k, 1)},
        "layer": "above",
    }


def region_bounds(atlas: Atlas, provinces: tuple[str, ...]) -> tuple[float, float, float, float]:
    """The lon/lat box of some provinces."""
    rows = atlas.provinces[atlas.provinces["adcode"].isin(provinces)]
    west, south, east, north = rows.total_bounds
    return float(west), float(south), float(east), float(north)


def locator_traces(
    atlas: Atlas, *, provinces: tuple[str, ...], unit: object | None, code: str, extent: tuple[float, ...]
) -> list[dict]:
    """The locator inset (geo2): the region's provinces, the page's unit filled, the main map's extent boxed."""
    import shapely

    rows = atlas.provinces[atlas.provinces["adcode"].isin(provinces)]
    simple = shapely.simplify(rows.geometry.values, LOCATOR_TOLERANCE_DEG)
    lon, lat = figures.ring_lines(gpd_series(simple))
    traces: list[dict] = []
    if unit is not None:
        shape = shapely.orient_polygons(shapely.simplify(unit, LOCATOR_TOLERANCE_DEG / 2), exterior_cw=True)
        if shape.geom_type in ("Polygon", "MultiPolygon"):
            feature = {"type": "Feature", "id": code, "geometry": shapely.geometry.mapping(shape)}
            traces.append(
                {
                    "type": "choropleth",
                    "geo": "geo2",
                    "meta": {"role": "locator-unit", "code": code},
                    "geojson": {"type": "FeatureCollection", "features": [feature]},
                    "locations": [code],
                    "z": [1],
                    "colorscale": [[0, LOCATOR_FILL], [1, LOCATOR_FILL]],
                    "showscale": False,
                    "marker": {"line": {"color": LOCATOR_FILL, "width": 0.5}},
                    "hoverinfo": "skip",
                    "showlegend": False,
                }
            )
        else:
            point = shape.representative_point()
            traces.append(
                {
                    "type": "scattergeo",
                    "geo": "geo2",
                    "meta": {"role": "locator-unit", "code": code},
                    "lon": [point.x],
                    "lat": [point.y],
                    "mode": "markers",
                    "marker": {"color": LOCATOR_FILL, "size": 9},
                    "hoverinfo": "skip",
                    "showlegend": False,
                }
            )
    traces.append(
        {
            "type": "scattergeo",
            "geo": "geo2",
            "meta": {"role": "locator-region"},
            "lon": lon,
            "lat": lat,
            "mode": "lines",
            "line": {"color": MUTED, "width": 0.7},
            "hoverinfo": "skip",
            "showlegend": False,
        }
    )
    if unit is None:  # the cover: the whole region, no page extent to box
        return traces
    west, east, south, north = extent
    traces.append(
        {
            "type": "scattergeo",
            "geo": "geo2",
            "meta": {"role": "locator-extent"},
            "lon": [west, east, east, west, west],
            "lat": [south, south, north, north, south],
            "mode": "lines",
            "line": {"color": INK, "width": 1.2},
            "hoverinfo": "skip",
            "showlegend": False,
        }
    )
    return traces


def gpd_series(geoms: Iterable[object]) -> object:
    """Geometries as a GeoSeries (what the screen's ring helper reads)."""
    import geopandas as gpd

    return gpd.GeoSeries(list(geoms))


def locator_geo(
    atlas: Atlas, frame: SeriesFrame, *, provinces: tuple[str, ...], extent: tuple[float, ...] | None = None
) -> dict:
    """The locator's `geo2` subplot: the whole region (and the main map's `extent`) fitted to its box."""
    width, height = frame.plot
    aspect = (1 - frame.side_x) * width / ((frame.locator_y[1] - frame.locator_y[0]) * height)
    west, south, east, north = region_bounds(atlas, provinces)
    if extent is not None:
        left, right, bottom, top = extent
        west, south, east, north = min(west, left), min(south, bottom), max(east, right), max(north, top)
    west, south, east, north = figures.fit_aspect((west - 0.3, south - 0.3, east + 0.3, north + 0.3), aspect)
    return {
        "domain": {"x": [frame.side_x, 1.0], "y": list(frame.locator_y)},
        "visible": False,
        "projection": {"type": "mercator"},
        "bgcolor": "white",
        "fitbounds": False,
        "lonaxis": {"range": [west, east]},
        "lataxis": {"range": [south, north]},
    }


def side_list(lines: list[str], *, heading: str, frame: SeriesFrame, top: float, font_px: int) -> dict | None:
    """A titled list at the foot of the side column, each item wrapped to the column, cut to the room below `top`."""
    width = (1 - frame.side_x) * frame.plot[0]
    line_px = font_px * 1.3
    room = max(int(top * frame.plot[1] // line_px) - 1, 0)
    if not lines or room < 2:
        return None
    for max_lines in (2, 1):  # long names on two lines while all fit, else each on one line (ellipsized)
        shown, complete = _fit_items(lines, width_px=width * 0.95, font_px=font_px, max_lines=max_lines, room=room)
        if complete:
            break
    text = f"<b>{_escape(heading)}</b><br>" + "<br>".join(_escape(line) for line in shown)
    return {
        "name": "features",
        "text": text,
        "xref": "paper",
        "yref": "paper",
        "x": frame.side_x,
        "y": 0,
        "xanchor": "left",
        "yanchor": "bottom",
        "align": "left",
        "showarrow": False,
        "font": {"size": font_px, "color": INK},
    }


def _fit_items(lines: list[str], *, width_px: float, font_px: int, max_lines: int, room: int) -> tuple[list[str], bool]:
    """The bulleted items wrapped to `max_lines` each, cut to `room` lines with "+ n …"; whether all fit."""
    wrapped = [_hanging(wrap(f"• {line}", width_px=width_px, font_px=font_px, max_lines=max_lines)) for line in lines]
    shown: list[str] = []
    for index, item in enumerate(wrapped):
        left = len(wrapped) - index
        if len(shown) + len(item) > room - (1 if left > 1 else 0):
            return [*shown, f"+ {left} …"], False
        shown += item
    return shown, True


def contents_box(lines: list[str], *, heading: str, frame: SeriesFrame, font_px: int, k: float) -> dict:
    """The cover's contents, written inside the box where the other pages have their locator inset."""
    pad = round(10 * k)
    width = (1 - frame.side_x) * frame.plot[0] - 2 * pad
    height = (frame.locator_y[1] - frame.locator_y[0]) * frame.plot[1] - 2 * pad
    room = max(int(height // (font_px * 1.3)) - 1, 1)
    wrapped = [_hanging(wrap(f"• {line}", width_px=width, font_px=font_px, max_lines=2)) for line in lines]
    shown: list[str] = []
    for index, item in enumerate(wrapped):
        if len(shown) + len(item) > room:
            shown = [*shown[: room - 1], f"+ {len(wrapped) - index} …"] if len(shown) >= room else [*shown, "…"]
            break
        shown += item
    text = f"<b>{_escape(heading)}</b><br>" + "<br>".join(_escape(line) for line in shown)
    return {
        "name": "features",
        "text": text,
        "xref": "paper",
        "yref": "paper",
        "x": frame.side_x,
        "y": frame.locator_y[1],
        "xshift": pad,
        "yshift": -pad,
        "xanchor": "left",
        "yanchor": "top",
        "align": "left",
        "showarrow": False,
        "font": {"size": font_px, "color": INK},
    }


def _hanging(lines: list[str]) -> list[str]:
    """A list item's lines after the first indented past its bullet (no-break spaces: SVG keeps them)."""
    return lines[:1] + ["\u00a0\u00a0\u00a0" + line for line in lines[1:]]


def legend_rows(traces: list[dict]) -> float:
    """How many entry lines the legend shows: wrapped names count each line, group titles one, gaps half."""
    entries = [t for t in traces if _in_legend(t)]
    lines = sum(str(t["name"]).count("<br>") + 1 for t in entries)
    groups = {t.get("legendgroup") or t.get("name") for t in entries}
    titles = {t.get("legendgroup") for t in entries if (t.get("legendgrouptitle") or {}).get("text")}
    return lines + len(titles) + len(groups) / 2


def _in_legend(trace: dict) -> bool:
    return (
        trace.get("visible") not in (False, "legendonly")
        and trace.get("showlegend") is not False
        and bool(trace.get("name"))
    )


def page_number_annotation(number: int, total: int, frame: SeriesFrame) -> dict:
    """ "k / n" under the page's lower right corner."""
    return {
        "name": "page-number",
        "text": f"{number} / {total}",
        "xref": "paper",
        "yref": "paper",
        "x": 1,
        "y": 0,
        "xanchor": "right",
        "yanchor": "top",
        "yshift": -round(frame.source_px * 0.5),
        "showarrow": False,
        "font": {"size": frame.source_px, "color": MUTED},
    }


def series_page_spec(
    atlas: Atlas,
    scene: Scene,
    *,
    options: PrintOptions,
    title: str,
    subtitle: str,
    number: int,
    total: int,
    unit: object | None,
    code: str,
    items: list[str],
    items_heading: str,
    labels: list[tuple[float, float, str]] | None = None,
) -> dict:
    """One page of a series as a plain figure dict, on the fixed template of `series_frame(options)`."""
    state = scene.state
    k = text_scale(options)
    theme = print_theme(options)
    frame = series_frame(options)
    bounds = figures.fit_aspect(figures.view_bounds(atlas, state), frame.map_aspect())
    share = frame.map_x[1] * frame.plot[0] / options.width
    drawn = print_atlas(atlas, tolerance=print_tolerance(bounds, options=options, share=share))
    area = figures.MapFrame((frame.map_x[1] - frame.map_x[0]) * frame.plot[0], frame.plot[1], True, 0)
    screen = figures.screen_map(drawn, state, area)
    bar = conic_scale_bar(screen) if options.scalebar else None
    furniture = (*furniture_boxes(screen, options=options, bar=bar, k=k, lang=state.lang), locator_box(frame))
    spec = map_spec(drawn, scene, theme=theme, aspect=frame.map_aspect(), frame=area, furniture=furniture)
    layout = spec["layout"]
    geo = layout["geo"]
    lon_range, lat_range = tuple(geo["lonaxis"]["range"]), tuple(geo["lataxis"]["range"])
    data = spec["data"]
    if labels:
        data.append(number_labels(below_names(labels, screen=screen, drop_px=NUMBER_DROP * theme.font_size), k=k))
    if bar is not None:
        data += scale_bar_traces(bar, lang=state.lang, k=k)
    if unit is not None:  # the cover's map is the whole region: its box holds the contents instead of a locator
        data += locator_traces(atlas, provinces=state.provinces, unit=unit, code=code, extent=(*lon_range, *lat_range))
    lines = tuple(wrap(subtitle, width_px=frame.plot[0], font_px=frame.subtitle_px, max_lines=1))
    heading = Frame(frame.margin, frame.title_px, frame.subtitle_px, frame.source_px, lines, False)
    annotations = heading_annotations(title, heading, show_title=True)
    annotations.append(source_annotation(state.lang, heading))
    annotations.append(page_number_annotation(number, total, frame))
    if options.north:
        annotations += north_arrow(state.lang, k=k)
    gap = round(14 * k) / frame.plot[1]
    legend_top = frame.locator_y[0] - gap
    rows = legend_rows(data) if options.legend else 0
    list_top = legend_top - (rows + 0.5) * theme.font_size * 1.45 / frame.plot[1] - gap if rows else legend_top
    listed: dict | None
    if unit is None:
        listed = contents_box(items, heading=items_heading, frame=frame, font_px=theme.font_size, k=k)
    else:
        listed = side_list(items, heading=items_heading, frame=frame, top=list_top, font_px=theme.font_size)
    if listed:
        annotations.append(listed)
    layout.update(
        width=options.width,
        height=options.height,
        autosize=False,
        margin=frame.margin,
        title={"text": "", "subtitle": {"text": ""}},
        showlegend=options.legend,
        legend={
            **layout.get("legend", {}),
            "x": frame.side_x,
            "xanchor": "left",
            "y": legend_top,
            "yanchor": "top",
            "bgcolor": "rgba(0,0,0,0)",
            "borderwidth": 0,
        },
        annotations=annotations,
        shapes=[
            _rect(frame.map_x, (0, 1), k=k, name="map-frame"),
            _rect((frame.side_x, 1.0), frame.locator_y, k=k, name="locator-frame"),
        ],
        paper_bgcolor="white",
        hovermode=False,
        geo2=locator_geo(atlas, frame, provinces=state.provinces, extent=(*lon_range, *lat_range)),
    )
    geo.update(bgcolor="white", domain={"x": list(frame.map_x), "y": [0, 1]})
    return spec


#: Page numbers sit this many label font sizes below their unit's name point (clear of a two-line name).
NUMBER_DROP = 2.6


def below_names(
    labels: list[tuple[float, float, str]], *, screen: ScreenMap, drop_px: float
) -> list[tuple[float, float, str]]:
    """The labels moved `drop_px` down the page from their points (the units' names are written at the points)."""
    moved = []
    for lon, lat, text in labels:
        x, y = screen.to_px(np.asarray(lon), np.asarray(lat))
        new_lon, new_lat = screen.to_lonlat(float(x), float(y) + drop_px)
        moved.append((new_lon, new_lat, text))
    return moved


def number_labels(labels: list[tuple[float, float, str]], *, k: float) -> dict:
    """Page numbers on the cover's units, each in a white disc with a dark ring (read over fills and lines)."""
    return {
        "type": "scattergeo",
        "meta": {"role": "page-labels"},
        "lon": [lon for lon, _, _ in labels],
        "lat": [lat for _, lat, _ in labels],
        "text": [f"<b>{text}</b>" for _, _, text in labels],
        "mode": "markers+text",
        "textposition": "middle center",
        "marker": {"size": round(22 * k), "color": "white", "line": {"color": INK, "width": round(1.2 * k, 1)}},
        "textfont": {"size": round(14 * k), "color": INK},
        "hoverinfo": "skip",
        "showlegend": False,
    }


#: Height in px of the map area assumed when a map spec is built from an aspect alone.
MAP_AREA_PX = 800


def map_spec(
    atlas: Atlas,
    view: Scene | ViewState,
    *,
    theme: Theme,
    aspect: float,
    upload: UserLayer | None = None,
    clip: bool = True,
    frame: figures.MapFrame | None = None,
    furniture: tuple[Box, ...] = (),
    legend_clear: bool = False,
) -> dict:
    """The screen map as a plain dict (no go.Figure validation): what `screen.map_figure` builds, faster.

    `clip`: polygons wholly off the page are left out of area traces (their geometry need not reach the browser).
    `frame`: the map area in px (labels are placed for it, kept `label_margin` inside its edges and clear of the
    `furniture` boxes, in the area's px); else an area of `aspect` with no legend column. `legend_clear`: labels
    also keep clear of the compact legend over the map's top right corner (placed again only if one lay under it).
    """
    scene = figures.as_scene(view, upload=upload)
    state = scene.state
    if frame is None:
        frame = figures.MapFrame(round(MAP_AREA_PX * aspect), MAP_AREA_PX, True, 0)
        placement = figures.map_placement(atlas, scene, frame, theme=theme)
    else:
        placement = print_placement(atlas, scene, frame, theme=theme, furniture=furniture)
    specs = figures.trace_specs(atlas, state.level, phys=scene.physical_layers())
    dynamic = figures.all_dynamic_props(
        atlas, specs, state, upload=scene.upload, placement=placement, indicators=scene.indicator_table()
    )
    layout = _merge(figures.base_layout(theme), figures.layout_props(atlas, scene, frame=frame))
    geo = layout["geo"]
    extent = (*geo["lonaxis"]["range"], *geo["lataxis"]["range"])
    traces = []
    for spec, props in zip(specs, dynamic, strict=True):
        if props.get("visible", True) is False:  # a hidden layer's geometry need not travel to the browser
            continue
        trace = _merge(static_trace(spec, theme=theme), props)
        traces.append(clip_areas(trace, spec.rows, extent=extent) if clip else trace)
    legend = legend_box(traces, layout.get("legend", {}), area=frame) if legend_clear else None
    if legend is not None and any(labels.overlaps(p.box, legend) for p in placement.placed):
        placement = print_placement(atlas, scene, frame, theme=theme, furniture=(*furniture, legend))
        traces = [_relabelled(t, specs, scene, atlas=atlas, placement=placement, theme=theme) for t in traces]
    return {"data": labels_on_top(traces), "layout": layout}


def _relabelled(
    trace: dict, specs: list, scene: Scene, *, atlas: Atlas, placement: figures.MapPlacement, theme: Theme
) -> dict:
    """The labels trace drawn from another placement (any other trace as it is)."""
    if (trace.get("meta") or {}).get("role") != "labels":
        return trace
    spec = next(spec for spec in specs if spec.role == "labels")
    props = figures.dynamic_props(
        spec, scene.state, atlas=atlas, upload=scene.upload, placement=placement, indicators=scene.indicator_table()
    )
    return _merge(static_trace(spec, theme=theme), props)


def labels_on_top(traces: list[dict]) -> list[dict]:
    """The labels trace moved over every other map trace (a selection's thick outline must not cut a name)."""
    on_top = [t for t in traces if (t.get("meta") or {}).get("role") == "labels"]
    return [t for t in traces if (t.get("meta") or {}).get("role") != "labels"] + on_top


#: The state-independent part of each trace (its geometry as GeoJSON, fixed styling), per trace spec and theme.
_static_traces: dict[tuple[figures.TraceSpec, str], dict] = {}
STATIC_TRACES_MAX = 4000
_geojsons: dict[figures.TraceSpec, dict] = {}


def static_trace(spec: figures.TraceSpec, *, theme: Theme) -> dict:
    """`screen.static_trace`, built once per spec (specs are cached per print atlas and level) and theme.

    Each call gets its own dicts, the geometry (never changed after) shared, so a page may edit its copy.
    """
    key = (spec, repr(theme))  # a Theme holds dicts: its repr is its value
    if key not in _static_traces:
        if len(_static_traces) >= STATIC_TRACES_MAX:
            _static_traces.clear()
            _geojsons.clear()
        trace = figures.static_trace(spec, theme=theme)
        if "geojson" in trace:  # the geometry does not depend on the theme: one copy for every page size
            trace["geojson"] = _geojsons.setdefault(spec, trace["geojson"])
        _static_traces[key] = trace
    return _fresh(_static_traces[key])


def _fresh(trace: dict) -> dict:
    """New dicts all the way down, except the GeoJSON, shared as it is."""
    return {
        key: value if key == "geojson" or not isinstance(value, dict) else _fresh(value) for key, value in trace.items()
    }


def clip_areas(trace: dict, rows: object, *, extent: tuple[float, ...]) -> dict:
    """A choropleth without the polygons whose bounding box misses the extent (west, east, south, north)."""
    features = (trace.get("geojson") or {}).get("features")
    if trace.get("type") != "choropleth" or not features or len(features) != len(rows):  # type: ignore[arg-type]
        return trace
    west, east, south, north = extent
    bounds = rows.bounds  # type: ignore[attr-defined]
    keep = (bounds["maxx"] >= west) & (bounds["minx"] <= east) & (bounds["maxy"] >= south) & (bounds["miny"] <= north)
    keep = keep.to_numpy()
    if keep.all():
        return trace
    index = [i for i, kept in enumerate(keep) if kept]
    count = len(features)
    out = dict(trace)
    out["geojson"] = {**trace["geojson"], "features": [features[i] for i in index]}
    for key, value in trace.items():
        if isinstance(value, list | tuple) and len(value) == count and key != "geojson":
            out[key] = [value[i] for i in index]
    if isinstance(trace.get("selectedpoints"), list | tuple):
        where = {old: new for new, old in enumerate(index)}
        out["selectedpoints"] = [where[i] for i in trace["selectedpoints"] if i in where]
    return out


def _merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


# --- Print geometry simplified to the page's pixel size ------------------------------------------------------

#: Tolerances (degrees) the print geometry is simplified to; the largest within a device pixel is used.
TOLERANCES_DEG = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02)
_print_atlases: dict[tuple[int, float], Atlas] = {}


def print_tolerance(bounds: tuple[float, float, float, float], *, options: PrintOptions, share: float = 1.0) -> float:
    """A device pixel in degrees of longitude across the map (`share`: the map's part of the page width), rounded down
    to one of TOLERANCES_DEG (coverage simplification keeps shared borders shared, so a pixel does not show)."""
    west, _, east, _ = bounds
    pixels = max(options.width * share * options.scale, 1.0)
    pixel = (east - west) / pixels
    fitting = [tol for tol in TOLERANCES_DEG if tol <= pixel]
    return fitting[-1] if fitting else 0.0


def print_atlas(atlas: Atlas, *, tolerance: float) -> Atlas:
    """The atlas with boundaries and zones simplified to `tolerance` degrees (coverages kept gap-free); cached."""
    if tolerance <= 0:
        return atlas
    key = (id(atlas), tolerance)
    if key not in _print_atlases:
        _print_atlases[key] = _simplified(atlas, tolerance)
    return _print_atlases[key]


def _simplified(atlas: Atlas, tolerance: float) -> Atlas:
    import shapely

    def coverage(frame):
        out = frame.copy()
        out["geometry"] = shapely.coverage_simplify(frame.geometry.values, tolerance, simplify_boundary=True)
        return out

    def zones(frame):
        out = frame.copy()
        polygons = out.geom_type != "Point"
        out.loc[polygons, "geometry"] = shapely.simplify(out.geometry[polygons].values, tolerance)
        return out

    return replace(
        atlas,
        provinces=coverage(atlas.provinces),
        prefectures=coverage(atlas.prefectures),
        counties=coverage(atlas.counties),
        layers={layer: zones(frame) for layer, frame in atlas.layers.items()},
        resolution=f"{atlas.resolution}@{tolerance:g}",
    )


def map_area(frame: Frame, options: PrintOptions) -> figures.MapFrame:
    """The page's map area in px, for placing labels and fitting the view."""
    width = options.width - frame.margin["l"] - frame.margin["r"]
    height = options.height - frame.margin["t"] - frame.margin["b"]
    return figures.MapFrame(width, height, True, 0)


def conic_scale_bar(screen: ScreenMap) -> ScaleBar:
    """A round-length bar in the lower left corner, true along its parallel in the conic projection.

    Its length is the round figure nearest a fifth of the map's width, from the projection's scale factor there.
    """
    west, lat = screen.to_lonlat(0.035 * screen.width, 0.94 * screen.height)
    _, top = screen.to_lonlat(0.035 * screen.width, 0.915 * screen.height)
    km_per_px = 1 / (screen.px_per_km(lat))
    target = 0.2 * screen.width * km_per_px
    km = min(SCALE_LENGTHS_KM, key=lambda length: abs(math.log(length / target)))
    return ScaleBar(km=km, west=west, east=west + km / km_per_degree_lon(lat), lat=lat, tick=top - lat)


# --- Print label placement: inside the map frame, clear of the scale bar, north arrow and locator inset ---------

Box = tuple[float, float, float, float]
#: Labels keep this share of their type size (and at least LABEL_MARGIN_PX) inside the map frame: the halo and the
#: glyphs' overshoot beyond the measured box must not be cut by the frame.
LABEL_MARGIN_EM = 0.3
LABEL_MARGIN_PX = 3.0
_print_placements: dict[tuple, figures.MapPlacement] = {}
PRINT_PLACEMENTS_MAX = 64


def label_margin(theme: Theme) -> float:
    """How far (px) every print label's box keeps inside the map frame."""
    return max(LABEL_MARGIN_PX, LABEL_MARGIN_EM * theme.font_size)


def north_box(*, k: float) -> Box:
    """The box (map-area px) the north arrow and its letter cover, as `north_arrow` draws them (with room round)."""
    x, tip = 28 * k, 34 * k
    letter_top = tip - 2 * k - 17 * k * 1.35
    return (x - 12 * k, max(letter_top - 2 * k, 0.0), x + 12 * k, tip + 34 * k + 3 * k)


def scale_box(bar: ScaleBar, screen: ScreenMap, *, k: float, lang: str) -> Box:
    """The box (map-area px) the scale bar, its halo and its label cover, as `scale_bar_traces` draws them."""
    xs, ys = screen.to_px(np.array([bar.west, bar.east, bar.west]), np.array([bar.lat, bar.lat, bar.lat + bar.tick]))
    label_y = float(ys[0]) + (float(ys[2]) - float(ys[0])) * 0.6
    font = 13 * k
    label = text_width(f"{bar.km} {i18n.t('scale_km', lang)}", font_px=font)
    middle = (float(xs[0]) + float(xs[1])) / 2
    halo = 3 * k
    return (
        min(float(xs[0]) - halo, middle - label / 2),
        label_y - font * 1.3 - halo,
        max(float(xs[1]) + halo, middle + label / 2),
        float(ys[0]) + halo,
    )


def furniture_boxes(
    screen: ScreenMap, *, options: PrintOptions, bar: ScaleBar | None, k: float, lang: str
) -> tuple[Box, ...]:
    """The map furniture drawn over the map (north arrow, scale bar), in map-area px: labels keep clear of them."""
    boxes: list[Box] = []
    if options.north:
        boxes.append(north_box(k=k))
    if bar is not None:
        boxes.append(scale_box(bar, screen, k=k, lang=lang))
    return tuple(boxes)


def locator_box(frame: SeriesFrame) -> Box:
    """The series page's locator inset in the main map's px (right of the map, in the side column)."""
    width, height = frame.plot
    left = frame.map_x[0] * width
    return (
        (frame.side_x - frame.map_x[0]) * width - left,
        (1 - frame.locator_y[1]) * height,
        (1 - frame.map_x[0]) * width - left,
        (1 - frame.locator_y[0]) * height,
    )


def print_placement(
    atlas: Atlas, view: Scene | ViewState, frame: figures.MapFrame, *, theme: Theme, furniture: tuple[Box, ...] = ()
) -> figures.MapPlacement:
    """The screen's label placement redone for a page: boxes `label_margin` inside the map frame and clear of the
    furniture (the screen's own candidates, symbols and priorities; the last PRINT_PLACEMENTS_MAX kept)."""
    scene = figures.as_scene(view)
    key = (id(atlas), scene.state, frame, repr(theme), id(scene.physical_layers()), furniture)
    make = functools.partial(_print_placement, atlas, scene, frame, theme=theme, furniture=furniture)
    return figures.remember(_print_placements, key, make, limit=PRINT_PLACEMENTS_MAX)


def _print_placement(
    atlas: Atlas, scene: Scene, frame: figures.MapFrame, *, theme: Theme, furniture: tuple[Box, ...]
) -> figures.MapPlacement:
    """The screen's placement under the print rules (a margin inside the frame, clear of the furniture)."""
    state, phys = scene.state, scene.physical_layers()
    drawn = figures.drawn_atlas(atlas, state)
    return figures.place_labels(
        drawn, state, frame, theme=theme, phys=phys, furniture=furniture, margin=label_margin(theme)
    )


#: Plotly's legend: a symbol column this many type sizes wide before the text, rows about this many sizes tall.
LEGEND_SYMBOL_EM = 3.6
LEGEND_ROW_EM = 1.45


def legend_box(traces: list[dict], legend: dict, *, area: figures.MapFrame) -> Box | None:
    """An estimate (map-area px, a little generous) of the compact legend block over the map's top right corner."""
    font = float((legend.get("font") or {}).get("size") or 12)
    entries = [t for t in traces if _in_legend(t)]
    if not entries:
        return None
    lines = [line for t in entries for line in TAG_RE.sub("", str(t["name"])).split("<br>")]
    titles = [str((t.get("legendgrouptitle") or {}).get("text") or "") for t in entries]
    heading = str((legend.get("title") or {}).get("text") or "")
    widest = max(
        [text_width(line, font_px=font) + (LEGEND_SYMBOL_EM + 0.5) * font for line in lines]
        + [text_width(title, font_px=font + 1) + font for title in [*titles, heading]]
    )
    rows = legend_rows(entries) + (1 if heading else 0)
    height = (rows + 0.5) * font * LEGEND_ROW_EM + font
    right, top = area.width * (1 - LEGEND_PAD), area.height * LEGEND_PAD * 1.6
    return (right - widest, top, right, top + height)
