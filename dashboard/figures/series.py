"""Page specs of a map series: one page per unit of a chosen set, each framed on its unit, after a cover page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from dashboard.view import i18n
from dashboard.view.state import ViewState, with_step
from geodata import Atlas
from geodata._paths import CENTRAL_PROVINCES

SET_KINDS = ("provinces", "prefectures", "layer", "story")


class SeriesError(ValueError):
    """A series set that does not exist; the message names what is allowed."""


@dataclass(frozen=True)
class SeriesSet:
    """Which units make the pages: every province, the prefectures of one, the features of a layer, a story."""

    kind: str
    arg: str | None = None
    story: Any = field(default=None, compare=False)  # a story set's Story, read by the export layer (parse_set)

    @property
    def text(self) -> str:
        """The set as written on the command line and in URLs."""
        return f"{self.kind}:{self.arg}" if self.arg else self.kind


@dataclass(frozen=True, eq=False)
class Page:
    """One unit's page: its number, the view framed on it, its name and the features inside it."""

    number: int
    code: str  # adcode, feature id or story step id
    title: str
    state: ViewState
    unit: BaseGeometry  # what the locator inset highlights
    features: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Series:
    """A cover (page 1: the region with every unit numbered, and the contents) and the unit pages after it."""

    set: SeriesSet
    title: str
    subtitle: str
    cover: ViewState
    pages: tuple[Page, ...]

    @property
    def total(self) -> int:
        """Pages in all, the cover included."""
        return len(self.pages) + 1


#: A zone counts as inside a unit when at least this share of its area (or of the unit's) lies in the unit:
#: zones built from other units' boundaries may overlap a neighbour by slivers along the shared border.
MIN_OVERLAP = 0.02


def features_inside(atlas: Atlas, unit: BaseGeometry, *, layers: tuple[str, ...], lang: str) -> tuple[str, ...]:
    """Names of the features of `layers` that lie in (or overlap) a unit, in layer order then by name."""
    names: list[str] = []
    for layer in layers:
        rows = atlas.layers[layer]
        geoms = rows.geometry.values
        hits = shapely.intersects(geoms, unit) & ~shapely.touches(geoms, unit)
        areas = shapely.area(geoms)
        shared = shapely.area(shapely.intersection(geoms, unit))
        low = [min(area, unit.area) for area in areas]
        enough = [
            area == 0 or part >= MIN_OVERLAP * small for area, part, small in zip(areas, shared, low, strict=True)
        ]
        inside = rows[hits & enough]
        names += sorted({i18n.name(row, lang) for _, row in inside.iterrows()})
    return tuple(dict.fromkeys(names))


def _page(atlas: Atlas, number: int, code: str, title: str, state: ViewState, unit: BaseGeometry) -> Page:
    features = features_inside(atlas, unit, layers=state.layers, lang=state.lang)
    return Page(number=number, code=code, title=title, state=state, unit=unit, features=features)


def _unit_pages(atlas: Atlas, units: object, *, base: ViewState, level: str) -> list[Page]:
    pages: list[Page] = []
    for row in units.itertuples():  # type: ignore[attr-defined]
        state = base.with_(select=row.adcode, fit="select", level=level, view=None)
        name = row.name_zh if base.lang == "zh" else row.name_en
        pages.append(_page(atlas, len(pages) + 2, row.adcode, name, state, row.geometry))
    return pages


def province_pages(atlas: Atlas, *, base: ViewState) -> list[Page]:
    """Each of the six provinces, in adcode order, at prefecture level."""
    provinces = atlas.provinces[atlas.provinces["adcode"].isin(CENTRAL_PROVINCES)].sort_values("adcode")
    return _unit_pages(atlas, provinces, base=base.with_(provinces=tuple(CENTRAL_PROVINCES)), level="prefecture")


def prefecture_pages(atlas: Atlas, province: str, *, base: ViewState) -> list[Page]:
    """The prefecture-level units of one province, in adcode order, at county level."""
    units = atlas.prefectures[atlas.prefectures["province_adcode"] == province].sort_values("adcode")
    return _unit_pages(atlas, units, base=base.with_(provinces=(province,)), level="county")


def layer_pages(atlas: Atlas, layer: str, *, base: ViewState) -> list[Page]:
    """Every feature (zone or site) of one layer, in the guideline's order, with that layer shown."""
    layers = tuple(dict.fromkeys((*base.layers, layer)))
    pages: list[Page] = []
    for _, row in atlas.layers[layer].iterrows():
        state = base.with_(layers=layers, select=row["feature_id"], fit="select", view=None)
        pages.append(_page(atlas, len(pages) + 2, row["feature_id"], i18n.name(row, base.lang), state, row.geometry))
    return pages


def story_pages(atlas: Atlas, story: Any, *, base: ViewState) -> list[Page]:
    """The steps of a story (a dashboard.view.stories.Story), in order; each step's unit is its selection, else its
    provinces."""
    name = story.id
    pages: list[Page] = []
    for step in story.steps:
        state = with_step(base.with_(story=name), step)
        row = _selection_geometry(atlas, step.select)
        provinces = atlas.provinces[atlas.provinces["adcode"].isin(step.provinces)]
        unit = row if row is not None else shapely.union_all(provinces.geometry.values)
        pages.append(_page(atlas, len(pages) + 2, step.id, step.title[base.lang], state, unit))
    return pages


def _selection_geometry(atlas: Atlas, select: str | None) -> BaseGeometry | None:
    if not select:
        return None
    features = atlas.features
    hit = features[features["feature_id"] == select]
    if len(hit):
        return hit.geometry.iloc[0]
    for level in ("prefecture", "county", "province"):
        units = atlas.units(level)
        hit = units[units["adcode"] == select]
        if len(hit):
            return hit.geometry.iloc[0]
    return None


def series_title(atlas: Atlas, chosen: SeriesSet, *, lang: str) -> str:
    """The cover's title, e.g. "The six central provinces" or "Prefectures of Henan"."""
    if chosen.kind == "provinces":
        return i18n.t("series_provinces", lang)
    if chosen.kind == "prefectures":
        province = i18n.province_name(str(chosen.arg), lang)
        return i18n.t("series_prefectures", lang, province=province)
    if chosen.kind == "layer":
        return i18n.layer_name(str(chosen.arg), lang)
    return chosen.story.title[lang]


def build_series(atlas: Atlas, chosen: SeriesSet, *, base: ViewState | None = None) -> Series:
    """The series of a set, drawn in the language, labels and layers of `base` (the default view if None)."""
    base = (base or ViewState()).with_(present=False)
    if chosen.kind == "provinces":
        pages = province_pages(atlas, base=base)
    elif chosen.kind == "prefectures":
        pages = prefecture_pages(atlas, str(chosen.arg), base=base)
    elif chosen.kind == "layer":
        pages = layer_pages(atlas, str(chosen.arg), base=base)
    else:
        pages = story_pages(atlas, chosen.story, base=base)
    if not pages:
        raise SeriesError(f"the set {chosen.text!r} has no units to draw")
    provinces = pages[0].state.provinces if chosen.kind == "prefectures" else base.provinces
    level = "prefecture" if chosen.kind in ("provinces", "prefectures") else pages[0].state.level
    cover = base.with_(provinces=provinces, select=None, fit="provinces", view=None, level=level)
    if chosen.kind == "layer":
        cover = cover.with_(layers=pages[0].state.layers)
    count = len(pages)
    subtitle = i18n.t("series_subtitle", base.lang, count=count, last=count + 1)
    return Series(
        set=chosen,
        title=series_title(atlas, chosen, lang=base.lang),
        subtitle=subtitle,
        cover=cover,
        pages=tuple(pages),
    )
