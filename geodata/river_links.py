"""Which guideline features follow which rivers, and how closely their geometry lies along them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

from geodata._validate import GeodataError

if TYPE_CHECKING:
    from geodata.load import Atlas

#: A conformal conic for the central region (WGS84), metres: distances within about 1 % over the six provinces.
METRIC_CRS = "+proj=lcc +lat_1=25 +lat_2=40 +lat_0=32 +lon_0=113 +datum=WGS84 +units=m +no_defs"
#: A river running this far through a unit makes the unit riparian.
MISSED_KM = 5.0
_CORRIDORS = "cities along the Xiangjiang River, Ganjiang River, Fenhe River, and the Yangtze River"
_BELT = "Hubei, Hunan, and Jiangxi province to play a greater role in the construction of Yangtze River Economic Belt"
_BASIN = (
    "Henan and Shanxi province to deeply participate in the implementation of Yellow River Basin "
    "ecological protection and high-quality development strategy"
)
_DELTA = "support Anhui province to take an active part in the integrated development of the Yangtze River Delta region"


@dataclass(frozen=True)
class RiverLink:
    """A guideline feature tied to a river: a corridor along it, or a province's strategy named after it."""

    feature_id: str
    river_zh: str  # `name_zh` of the river in the physical layer
    river_guideline: str  # the river as the guideline writes it
    relation: str  # "corridor": cities along the river; "strategy": a national strategy named after the river
    quote: str  # verbatim from the guideline
    section: str


RIVER_LINKS = (
    RiverLink("rc-xiangjiang", "湘江", "Xiangjiang River", "corridor", _CORRIDORS, "3"),
    RiverLink("rc-ganjiang", "赣江", "Ganjiang River", "corridor", _CORRIDORS, "3"),
    RiverLink("rc-fenhe", "汾河", "Fenhe River", "corridor", _CORRIDORS, "3"),
    RiverLink("rc-yangtze", "长江", "Yangtze River", "corridor", _CORRIDORS, "3"),
    RiverLink("role-140000", "黄河", "Yellow River", "strategy", _BASIN, "3"),
    RiverLink("role-410000", "黄河", "Yellow River", "strategy", _BASIN, "3"),
    RiverLink("role-420000", "长江", "Yangtze River", "strategy", _BELT, "3"),
    RiverLink("role-430000", "长江", "Yangtze River", "strategy", _BELT, "3"),
    RiverLink("role-360000", "长江", "Yangtze River", "strategy", _BELT, "3"),
    RiverLink("role-340000", "长江", "Yangtze River", "strategy", _DELTA, "3"),
)


@dataclass(frozen=True)
class CorridorFit:
    """How a guideline feature's geometry lies along its river."""

    feature_id: str
    river_zh: str
    river_km: float  # length of the river inside the provinces the feature touches
    share_near: float  # share of that length within `within_km` of the feature's geometry
    members_off: tuple[tuple[str, float], ...]  # member units farther than `within_km` from the river: (adcode, km)
    units_missed: tuple[str, ...]  # central units of the members' level the river runs through, left out
    within_km: float

    @property
    def on_river(self) -> bool:
        """The river runs along the feature for most of its length and no member lies off it."""
        return self.share_near >= 0.9 and not self.members_off and not self.units_missed


def link_for(feature_id: str) -> RiverLink:
    """The river link of one guideline feature."""
    for link in RIVER_LINKS:
        if link.feature_id == feature_id:
            return link
    raise KeyError(
        f"no river link for {feature_id!r}; linked features: {', '.join(li.feature_id for li in RIVER_LINKS)}"
    )


def links_of_river(river_zh: str) -> tuple[RiverLink, ...]:
    """Every guideline feature tied to one river (by its Chinese name)."""
    return tuple(link for link in RIVER_LINKS if link.river_zh == river_zh)


def river_line(rivers: gpd.GeoDataFrame, *, river_zh: str) -> shapely.Geometry:
    """The whole course of a named river (its river and lake-centerline pieces) as one geometry."""
    pieces = rivers[(rivers["name_zh"] == river_zh) & rivers["kind"].isin(["river", "lake_centerline"])]
    if pieces.empty:
        raise GeodataError(f"no river named {river_zh!r} in the physical layer")
    return shapely.union_all(pieces.geometry.to_numpy())


def _metric(geom: shapely.Geometry) -> shapely.Geometry:
    transformer = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
    return shapely.transform(geom, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def corridor_fit(
    feature: gpd.GeoSeries | dict,
    *,
    rivers: gpd.GeoDataFrame,
    atlas: Atlas,
    within_km: float = 5.0,
) -> CorridorFit:
    """Measure how a linked guideline feature (a row of `atlas.features`) lies along its river."""
    link = link_for(feature["feature_id"])
    river = _metric(river_line(rivers, river_zh=link.river_zh))
    level = atlas.prefectures if link.relation == "corridor" else atlas.provinces
    by_code = level.set_index("adcode").geometry
    provinces = atlas.provinces.set_index("adcode").geometry.loc[list(feature["province_adcodes"])]
    inside = shapely.intersection(river, _metric(shapely.union_all(provinces.to_numpy())))
    near = shapely.intersection(inside, shapely.buffer(_metric(feature["geometry"]), within_km * 1000))
    missed = units_missed(river, level=level[level["is_central"]], members=set(feature["members"]))
    off = []
    for code in feature["members"]:
        distance = shapely.distance(_metric(by_code.loc[code]), river) / 1000
        if distance > within_km:
            off.append((code, round(distance, 1)))
    return CorridorFit(
        feature_id=link.feature_id,
        river_zh=link.river_zh,
        river_km=round(inside.length / 1000, 1),
        share_near=round(near.length / inside.length, 3) if inside.length else 0.0,
        members_off=tuple(off),
        units_missed=missed if link.relation == "corridor" else (),
        within_km=within_km,
    )


def units_missed(river: shapely.Geometry, *, level: gpd.GeoDataFrame, members: set[str]) -> tuple[str, ...]:
    """Units the river runs through for more than `MISSED_KM` that the feature leaves out."""
    missed = []
    for code, geom in zip(level["adcode"], level.geometry, strict=True):
        if code not in members and shapely.intersection(river, _metric(geom)).length > MISSED_KM * 1000:
            missed.append(code)
    return tuple(missed)
