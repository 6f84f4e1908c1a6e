"""Print layouts: the on-screen view as a publication figure with title, legend, source, scale bar and north arrow."""

from __future__ import annotations

import html
import math
import unicodedata
from dataclasses import dataclass, replace

import plotly.graph_objects as go

from dashboard.config import THEME, Theme
from dashboard.figures import screen as figures
from dashboard.view import i18n
from dashboard.view.state import ViewState
from geodata import Atlas
from geodata.userdata import UserLayer

#: Round scale-bar lengths; the one nearest a fifth of the map's width is drawn.
SCALE_LENGTHS_KM = (10, 20, 50, 100, 200, 500)
#: Kilometres per degree of longitude at the equator (sphere of radius 6371 km, as d3-geo's Mercator).
KM_PER_DEGREE = 2 * math.pi * 6371.0 / 360
#: Print-only strings, English and Chinese.
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
        parts.append(f"{i18n.t('selected', state.lang)}: {i18n.name(row, state.lang)}")
    return " · ".join(parts)


def subtitle_text(atlas: Atlas, state: ViewState, *, options: PrintOptions) -> str:
    """The custom subtitle, else a story step's caption, else the view's description."""
    if options.subtitle is not None:
        return options.subtitle
    return figures.view_subtitle(state) if state.view else view_description(atlas, state)


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
    atlas: Atlas, state: ViewState, *, options: PrintOptions, upload: UserLayer | None = None
) -> go.Figure:
    """The view as a print figure of `options.width` x `options.height` CSS px."""
    k = text_scale(options)
    theme = print_theme(options)
    subtitle = subtitle_text(atlas, state, options=options)
    aspect = page_frame(options, subtitle=subtitle).aspect(options)
    fig = figures.map_figure(atlas, state, theme=theme, aspect=aspect, upload=upload)
    legend_px = legend_width(fig, font_px=theme.font_size)
    frame = page_frame(options, subtitle=subtitle, legend_px=legend_px, content=content_aspect(atlas, state))
    area = map_area(frame, options)  # labels are placed for the page's own map area
    fig = figures.map_figure(atlas, state, theme=theme, upload=upload, frame=area)
    geo = figures.layout_props(atlas, state, frame=area)["geo"]
    annotations = heading_annotations(figures.view_title(state), frame, show_title=options.title)
    if options.source:
        annotations.append(source_annotation(state.lang, frame))
    if options.north:
        annotations += north_arrow(state.lang, k=k)
    if options.scalebar:
        screen = figures.screen_map(atlas, state, area)
        fig.add_traces(scale_bar_traces(conic_scale_bar(screen), lang=state.lang, k=k))
    fig.update_layout(
        width=options.width,
        height=options.height,
        autosize=False,
        margin=frame.margin,
        title={"text": "", "subtitle": {"text": ""}},
        showlegend=options.legend,
        legend=legend_layout(frame, options),
        annotations=annotations,
        shapes=[map_frame_shape(k=k)],
        paper_bgcolor="white",
        hovermode=False,
    )
    fig.update_layout(geo=geo)
    fig.update_geos(bgcolor="white")
    return fig


def map_area(frame: Frame, options: PrintOptions) -> figures.MapFrame:
    """The page's map area in px, for placing labels and fitting the view."""
    width = options.width - frame.margin["l"] - frame.margin["r"]
    height = options.height - frame.margin["t"] - frame.margin["b"]
    return figures.MapFrame(width, height, True, 0)


def conic_scale_bar(screen: figures.ScreenMap) -> ScaleBar:
    """A round-length bar in the lower left corner, true along its parallel in the conic projection.

    Its length is the round figure nearest a fifth of the map's width, from the projection's scale factor there.
    """
    west, lat = screen.to_lonlat(0.035 * screen.width, 0.94 * screen.height)
    _, top = screen.to_lonlat(0.035 * screen.width, 0.915 * screen.height)
    km_per_px = 1 / (screen.px_per_km(lat))
    target = 0.2 * screen.width * km_per_px
    km = min(SCALE_LENGTHS_KM, key=lambda length: abs(math.log(length / target)))
    return ScaleBar(km=km, west=west, east=west + km / km_per_degree_lon(lat), lat=lat, tick=top - lat)
