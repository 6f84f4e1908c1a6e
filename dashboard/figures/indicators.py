"""Pure builders of the indicator map and the targets charts: the indicator table and a view in, trace dicts out."""

from __future__ import annotations

import html
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from dashboard.view.state import ViewState
from geodata.classify import NO_DATA, NO_DATA_STYLE, Classification, classify, colours_for, legend, legend_title
from geodata.indicators import CHINA, INDICATORS, PROVINCES, REGION, VINTAGES
from geodata.indicators.schema import NAMES
from geodata.indicators.targets import trend_series

#: Six provinces give at most six classes: one choropleth trace (legend entry) per class slot.
CLASS_SLOTS = 6
#: Classes for quantiles, natural breaks and equal interval over six units.
INDICATOR_K = 4
#: The traces of the indicator map, in drawing order: class fills, the no-data fill, its hatch, the source line.
ROLES = ("indicator_class", "indicator_nodata", "indicator_hatch", "indicator_source")
SLOTS: tuple[tuple[str, int], ...] = (
    *(("indicator_class", i) for i in range(CLASS_SLOTS)),
    ("indicator_nodata", 0),
    ("indicator_hatch", 0),
    ("indicator_source", 0),
)
LEGEND_GROUP = "indicator"
HATCH_SPACING_DEG = 0.35
HATCH_COLOR = NO_DATA_STYLE["line"]
#: Okabe & Ito (2008) colour-blind-safe qualitative colours for the six provinces' lines (yellow left out), China black.
LINE_COLORS = dict(zip(PROVINCES, ("#e69f00", "#56b4e9", "#009e73", "#0072b2", "#d55e00", "#cc79a7"), strict=True))
LINE_COLORS[CHINA] = "#000000"
LINE_COLORS[REGION] = "#6c757d"
EXCERPT_CHARS = 160
WRAP_CHARS = 60

LABELS = {
    "en": {
        "vintage": "Vintage",
        "source": "Source",
        "sources": "Sources",
        "cross_checked": "Cross-checked",
        "yes": "yes",
        "no": "no",
        "low_confidence": "Low confidence: every document of this value is marked low confidence",
        "derived": "Derived",
        "no_data": "no data",
        "more": "and {n} other documents",
        "national": "China",
    },
    "zh": {
        "vintage": "口径",
        "source": "来源",
        "sources": "来源",
        "cross_checked": "已交叉核对",
        "yes": "是",
        "no": "否",
        "low_confidence": "可信度低：该数值的所有来源均标注为低可信度",
        "derived": "推算",
        "no_data": "无数据",
        "more": "另有{n}份文件",
        "national": "全国",
    },
}


@dataclass(frozen=True)
class Selection:
    """What the indicator map shows: one indicator, variant and year, classed and coloured."""

    indicator: str
    variant: str
    year: int
    method: str
    palette: str


def provincial(frame: pd.DataFrame, *, indicator: str) -> pd.DataFrame:
    """The rows of one indicator for the six provinces."""
    return frame[(frame["indicator"] == indicator) & frame["adcode"].isin(PROVINCES)]


def map_indicators(frame: pd.DataFrame) -> list[str]:
    """Indicators with at least one provincial value, in the schema's order."""
    present = set(frame.loc[frame["adcode"].isin(PROVINCES), "indicator"])
    return [name for name in INDICATORS if name in present]


def variants(frame: pd.DataFrame, *, indicator: str) -> list[str]:
    """Variants of an indicator with provincial values, the one with most values first."""
    counts = provincial(frame, indicator=indicator)["variant"].value_counts()
    return sorted(counts.index, key=lambda v: (-counts[v], v))


def years(frame: pd.DataFrame, *, indicator: str, variant: str) -> list[int]:
    """Years in which at least one province has a value of this indicator and variant."""
    rows = provincial(frame, indicator=indicator)
    return sorted({int(y) for y in rows.loc[rows["variant"] == variant, "year"]})


def resolve(frame: pd.DataFrame, state: ViewState) -> Selection | None:
    """The indicator, variant and year the view shows: the view's own, or the nearest that exists; None for none."""
    if not state.indicator or state.indicator not in map_indicators(frame):
        return None
    choices = variants(frame, indicator=state.indicator)
    variant = state.variant if state.variant in choices else choices[0]
    present = years(frame, indicator=state.indicator, variant=variant)
    year = state.year if state.year in present else present[-1]
    return Selection(state.indicator, variant, year, state.classes, state.palette)


def shown_rows(frame: pd.DataFrame, selection: Selection) -> pd.DataFrame:
    """One row per province (in PROVINCES order) for the selection; an absent value stays NaN ("no data")."""
    rows = provincial(frame, indicator=selection.indicator)
    rows = rows[(rows["variant"] == selection.variant) & (rows["year"] == selection.year)]
    out = rows.set_index("adcode").reindex(list(PROVINCES)).reset_index()
    out["year"], out["indicator"], out["variant"] = selection.year, selection.indicator, selection.variant
    return out


def classification(rows: pd.DataFrame, selection: Selection) -> Classification:
    """Classes of the shown values; ties share a class, no data stays NO_DATA."""
    return classify(rows["value"].tolist(), method=selection.method, k=INDICATOR_K)


def unit_label(indicator: str) -> str:
    """The unit as printed in the legend: "%" for rates."""
    unit = INDICATORS[indicator].unit
    return "%" if unit == "percent" else unit


def indicator_label(indicator: str, lang: str) -> str:
    """The indicator's name in a language."""
    spec = INDICATORS[indicator]
    return spec.label_zh if lang == "zh" else spec.label_en


def title_text(selection: Selection, lang: str) -> str:
    """The legend heading: indicator (unit), year."""
    return legend_title(
        indicator_label(selection.indicator, lang), unit=unit_label(selection.indicator), year=selection.year
    )


def _clip(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _wrapped(text: str) -> str:
    """Escaped text broken into lines of about WRAP_CHARS for a hover box."""
    words, lines, line = str(text).split(" "), [], ""
    for word in words:
        while len(word) > WRAP_CHARS:  # Chinese text has no spaces
            head, word = word[:WRAP_CHARS], word[WRAP_CHARS:]
            lines.append((line + " " + head).strip())
            line = ""
        if len(line) + len(word) + 1 > WRAP_CHARS and line:
            lines.append(line)
            line = word
        else:
            line = (line + " " + word).strip()
    lines.append(line)
    return "<br>".join(html.escape(part, quote=False) for part in lines if part)


def format_value(value: float, *, indicator: str) -> str:
    """A value with the unit, e.g. "2.05%" or "27,312 100M yuan"."""
    unit = unit_label(indicator)
    decimals = 2 if INDICATORS[indicator].rate or "points" in unit else (0 if abs(value) >= 1000 else 2)
    number = f"{value:,.{decimals}f}"
    return f"{number}%" if unit == "%" else f"{number} {unit}"


def hover_text(row: pd.Series, *, lang: str) -> str:
    """Province, value and year, vintage, source title, excerpt, cross-checked and the low-confidence flag."""
    words = LABELS[lang]
    names = NAMES[lang]
    head = f"<b>{html.escape(names.get(row['adcode'], row['adcode']))}</b><br>"
    label = html.escape(indicator_label(row["indicator"], lang))
    if pd.isna(row["value"]):
        return f"{head}{label}, {int(row['year'])}: {words['no_data']}"
    lines = [
        f"{label}: <b>{format_value(float(row['value']), indicator=row['indicator'])}</b> ({int(row['year'])})",
        f"{words['vintage']}: {html.escape(VINTAGES.get(row['vintage'], (row['vintage'],) * 2)[lang == 'zh'])}",
        f"{words['source']}: {_wrapped(_clip(row['source_title'], 120))}",
        f"“{_wrapped(_clip(row['excerpt'], EXCERPT_CHARS))}”",
        f"{words['cross_checked']}: {words['yes'] if bool(row['cross_checked']) else words['no']}",
    ]
    if bool(row["derived"]):
        lines.append(f"{words['derived']}: {html.escape(str(row['derivation']))}")
    if bool(row["low_confidence"]):
        lines.append(f"⚠ {words['low_confidence']}")
    return head + "<br>".join(lines)


def source_line(rows: pd.DataFrame, *, lang: str) -> str:
    """ "Source: " and the document most of the shown values come from, with how many others."""
    titles = rows["source_title"].dropna()
    if titles.empty:
        return ""
    counts = titles.value_counts()
    words = LABELS[lang]
    text = f"{words['source']}: {html.escape(_clip(counts.index[0], 48), quote=False)}"
    if len(counts) > 1:
        text += f"<br>({words['more'].format(n=len(counts) - 1)})"
    return text


@dataclass(frozen=True)
class IndicatorMap:
    """Everything the indicator traces need for one view: rows, classes, legend and texts."""

    selection: Selection
    rows: pd.DataFrame
    classes: Classification
    legend: list[dict]
    colours: list[str]
    hover: list[str]
    title: str
    source: str


def indicator_map(frame: pd.DataFrame, state: ViewState) -> IndicatorMap | None:
    """The classed map of a view, or None when no indicator is shown."""
    selection = resolve(frame, state)
    if selection is None:
        return None
    rows = shown_rows(frame, selection)
    classes = classification(rows, selection)
    return IndicatorMap(
        selection=selection,
        rows=rows,
        classes=classes,
        legend=legend(classes, palette_name=selection.palette, lang=state.lang),
        colours=colours_for(classes, palette_name=selection.palette),
        hover=[hover_text(row, lang=state.lang) for _, row in rows.iterrows()],
        title=title_text(selection, state.lang),
        source=source_line(rows, lang=state.lang),
    )


#: The last maps built, keyed by (table id, view); each entry keeps its table so that the id is not reused.
_MAPS: dict[tuple[int, ViewState], tuple[pd.DataFrame, IndicatorMap | None]] = {}
MAPS_KEPT = 64


def province_fills(shown: IndicatorMap | None) -> dict[str, str]:
    """The fill of each province the indicator map colours (no data included); empty without an indicator."""
    if shown is None:
        return {}
    return dict(zip(shown.rows["adcode"], shown.colours, strict=True))


def view_map(state: ViewState, *, table: pd.DataFrame) -> IndicatorMap | None:
    """indicator_map of a table the caller holds (a scene's), cached per table and view."""
    key = (id(table), state)
    if key not in _MAPS:
        if len(_MAPS) >= MAPS_KEPT:
            _MAPS.pop(next(iter(_MAPS)))
        _MAPS[key] = (table, indicator_map(table, state))
    return _MAPS[key][1]


# ---- traces ------------------------------------------------------------------------------------------------------


def hatch_lines(geom: shapely.Geometry, *, spacing: float = HATCH_SPACING_DEG) -> tuple[list, list]:
    """Lon and lat of diagonal (45°) hatch segments clipped to a polygon, segments separated by None."""
    west, south, east, north = geom.bounds
    span = (east - west) + (north - south)
    lines = [
        shapely.LineString([(west + offset, south), (west + offset - (north - south), north)])
        for offset in np.arange(spacing / 2, span, spacing)
    ]
    clipped = shapely.intersection(np.array(lines, dtype=object), geom)
    lon: list = []
    lat: list = []
    for part in shapely.get_parts(clipped):
        if part.is_empty or part.geom_type != "LineString":
            continue
        xy = np.round(shapely.get_coordinates(part), 4)
        lon += [*xy[:, 0].tolist(), None]
        lat += [*xy[:, 1].tolist(), None]
    return lon, lat


_HATCHES: dict[int, tuple[gpd.GeoDataFrame, dict[str, tuple[list, list]]]] = {}


def _hatches(rows: gpd.GeoDataFrame) -> dict[str, tuple[list, list]]:
    """Hatch lines per province, computed once per rows object (the trace specs are cached per atlas)."""
    if id(rows) not in _HATCHES:
        hatches = {code: hatch_lines(geom) for code, geom in zip(rows["adcode"], rows.geometry, strict=True)}
        _HATCHES[id(rows)] = (rows, hatches)  # the frame is kept so that its id is not reused
    return _HATCHES[id(rows)][1]


def static_trace(role: str, rows: gpd.GeoDataFrame, *, geojson: dict, line_color: str) -> dict:
    """The fixed part of an indicator trace: province geometry (choropleths) or an empty line (hatch, source)."""
    if role in ("indicator_class", "indicator_nodata"):
        return {
            "type": "choropleth",
            "geojson": geojson,
            "locations": [],
            "z": [],
            "showscale": False,
            "marker": {"line": {"color": line_color, "width": 0.8}},
            "hovertemplate": "%{hovertext}<extra></extra>",
            "legendgroup": LEGEND_GROUP,
            "visible": False,
        }
    if role == "indicator_hatch":
        return {
            "type": "scattergeo",
            "mode": "lines",
            "lon": [],
            "lat": [],
            "line": {"color": HATCH_COLOR, "width": 1},
            "hoverinfo": "skip",
            "legendgroup": LEGEND_GROUP,
            "visible": False,
        }
    return {  # the source line: a legend entry without a symbol
        "type": "scattergeo",
        "mode": "markers",
        "lon": [None],
        "lat": [None],
        "marker": {"size": 1, "opacity": 0},
        "hoverinfo": "skip",
        "legendgroup": LEGEND_GROUP,
        "visible": False,
    }


HIDDEN = {"visible": False, "showlegend": False}


def dynamic_props(role: str, slot: int, state: ViewState, *, rows: gpd.GeoDataFrame, table: pd.DataFrame) -> dict:
    """The state-dependent part of an indicator trace for an indicator table."""
    return trace_props(role, slot, view_map(state, table=table), rows=rows)


def trace_props(role: str, slot: int, shown: IndicatorMap | None, *, rows: gpd.GeoDataFrame) -> dict:
    """Locations, colours, hover and legend entry of one indicator trace; hidden when no indicator is shown."""
    if shown is None:
        return dict(HIDDEN)
    codes = shown.rows["adcode"].tolist()
    classes = shown.classes.classes
    if role == "indicator_class":
        if slot >= shown.classes.k:
            return dict(HIDDEN)
        return _fill_props(shown, [i for i, c in enumerate(classes) if c == slot], shown.legend[slot], slot == 0)
    missing = [i for i, c in enumerate(classes) if c == NO_DATA]
    if role == "indicator_nodata":
        if not missing:
            return dict(HIDDEN)
        return {**_fill_props(shown, missing, shown.legend[-1], shown.classes.k == 0), "showlegend": False}
    if role == "indicator_hatch":
        if not missing:
            return dict(HIDDEN)
        hatches = _hatches(rows)
        lon = [x for i in missing for x in hatches.get(codes[i], ([], []))[0]]
        lat = [y for i in missing for y in hatches.get(codes[i], ([], []))[1]]
        entry = shown.legend[-1]
        return {"visible": True, "showlegend": True, "lon": lon, "lat": lat, "name": entry["label"]}
    if not shown.source:
        return dict(HIDDEN)
    return {"visible": True, "showlegend": True, "name": shown.source}


def _fill_props(shown: IndicatorMap, picks: list[int], entry: dict, first: bool) -> dict:
    codes = shown.rows["adcode"].tolist()
    props = {
        "visible": True,
        "showlegend": True,
        "name": entry["label"],
        "locations": [codes[i] for i in picks],
        "z": [1] * len(picks),
        "colorscale": [[0, entry["color"]], [1, entry["color"]]],
        "hovertext": [shown.hover[i] for i in picks],
        "customdata": [["unit", codes[i]] for i in picks],
    }
    if first:
        props["legendgrouptitle"] = {"text": f"<b>{html.escape(shown.title)}</b>"}
    return props


def trend_key(indicator: str, *, lang: str) -> list[tuple[str, str, bool]]:
    """(name, colour, dashed) of each line of a trend chart, for a key drawn beside it."""
    codes = (*PROVINCES, CHINA) if indicator == "rd_intensity" else PROVINCES
    return [(NAMES[lang][code], LINE_COLORS[code], code == CHINA) for code in codes]


# ---- targets charts ----------------------------------------------------------------------------------------------


TREND_TITLES = {
    "rd_intensity": ("R&D intensity (%)", "R&D经费投入强度（%）"),
    "urbanization_rate": ("Urbanization (%)", "城镇化率（%）"),
}


def trend_figure(frame: pd.DataFrame, *, indicator: str, lang: str, year: int | None = None) -> dict:
    """A small line chart: one line per province (and China for R&D), never joining two vintages in one line."""
    adcodes = (*PROVINCES, CHINA) if indicator == "rd_intensity" else PROVINCES
    points = trend_series(frame, indicator=indicator, adcodes=adcodes)
    traces = []
    named: set[str] = set()
    for series, rows in points.groupby("series", sort=False):
        code = series.split("|")[0]
        rows = rows.sort_values("year")
        low = rows["low_confidence"].tolist()
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": rows["year"].tolist(),
                "y": rows["value"].tolist(),
                "name": NAMES[lang].get(code, code),
                "legendgroup": code,
                "showlegend": code not in named,  # one entry per unit, should a legend be shown
                "meta": {"adcode": code, "vintage": rows["vintage"].iloc[0]},
                "line": {
                    "color": LINE_COLORS[code],
                    "width": 3 if code == CHINA else 1.6,
                    "dash": "dash" if code == CHINA else "solid",
                },
                "marker": {"size": 6, "symbol": ["circle-open" if flag else "circle" for flag in low]},
                "hovertemplate": "%{fullData.name} %{x}: %{y:.2f}%<extra></extra>",
            }
        )
        named.add(code)
    shapes = []
    if year is not None:
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": year,
                "x1": year,
                "y0": 0,
                "y1": 1,
                "line": {"color": "#adb5bd", "dash": "dot"},
            }
        )
    return {
        "data": traces,
        "layout": {
            "title": {"text": TREND_TITLES[indicator][lang == "zh"], "font": {"size": 13}, "x": 0.01},
            "height": 200,
            "margin": {"l": 36, "r": 8, "t": 30, "b": 24},
            "xaxis": {"dtick": 1, "fixedrange": True},
            "yaxis": {"fixedrange": True, "ticksuffix": ""},
            "showlegend": False,  # the key is HTML beside the chart (trend_key), apart from the map's legend
            "shapes": shapes,
            "paper_bgcolor": "white",
            "plot_bgcolor": "white",
        },
    }
