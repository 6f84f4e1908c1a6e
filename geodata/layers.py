"""The guideline's layers: their registry, and building them from the curated CSV files."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geodata._paths import GUIDELINE_DIR
from geodata._validate import GeodataError
from geodata.guideline_points import with_wgs84


@dataclass(frozen=True)
class LayerStyle:
    """How a layer is drawn: its colour, and for layers with points their marker and label placement."""

    color: str
    symbol: str | None = None  # Plotly marker symbol; point and mixed layers only
    size: int | None = None  # marker size in px at scale 1
    text_position: str | None = None  # where a marker's map label sits


@dataclass(frozen=True)
class LayerInfo:
    """One layer of the registry: what the data, the figures and the UI all read about it."""

    id: str
    name_en: str
    name_zh: str
    theme: str
    kind: str  # "point", "zone", "mixed" or "province"
    style: LayerStyle
    #: Where several layers' points share a place, the label goes to the shown layer with the lowest number.
    label_priority: int | None = None


THEMES = {
    "industry": ("Industry and transfer", "产业与转移"),
    "innovation": ("Innovation", "创新"),
    "logistics": ("Logistics and finance", "物流与金融"),
    "cities": ("Cities and urbanization", "城市与城镇化"),
    "rural": ("Rural and ecology", "乡村与生态"),
    "strategies": ("National strategies", "国家战略"),
}
LAYER_KINDS = ("point", "zone", "mixed", "province")

#: The river corridors follow the Xiang, Gan and Yangtze (江) and the Fen (河): hence 沿江沿河, not 沿江.
LAYERS = (
    LayerInfo(
        "transfer_zones", "Industrial transfer demonstration zones", "承接产业转移示范区", "industry", "zone",
        LayerStyle("#f08c00"),
    ),
    LayerInfo(
        "reform_zones", "Reform and grain zones", "改革试验区与粮食核心区", "industry", "zone", LayerStyle("#2b8a3e")
    ),
    LayerInfo(
        "innovation_centres", "Innovation centres", "创新中心", "innovation", "point",
        LayerStyle("#ae3ec9", "star", 17, "middle right"), label_priority=3,
    ),
    LayerInfo(
        "logistics_hubs", "National logistics hubs", "国家物流枢纽", "logistics", "point",
        LayerStyle("#1c7ed6", "square", 13, "bottom center"), label_priority=2,
    ),
    LayerInfo(
        "finance_trade", "Finance and trade", "金融与交易", "logistics", "mixed",
        LayerStyle("#e67700", "diamond", 14, "middle left"), label_priority=4,
    ),
    LayerInfo(
        "central_cities", "Central cities", "中心城市", "cities", "point",
        LayerStyle("#c92a2a", "circle", 12, "top center"), label_priority=1,
    ),
    LayerInfo("metro_circles", "Metropolitan circles", "都市圈", "cities", "zone", LayerStyle("#e03131")),
    LayerInfo("urban_agglomerations", "Urban agglomerations", "城市群", "cities", "zone", LayerStyle("#5c7cfa")),
    LayerInfo(
        "revolutionary_base_areas", "Old revolutionary base areas", "革命老区", "rural", "zone", LayerStyle("#a61e4d")
    ),
    LayerInfo(
        "river_corridors", "River development corridors", "沿江沿河发展带", "rural", "zone", LayerStyle("#1098ad")
    ),
    LayerInfo("province_roles", "Province roles", "各省定位", "strategies", "province", LayerStyle("#868e96")),
)  # fmt: skip
LAYER_IDS = tuple(layer.id for layer in LAYERS)


def layer_problems(layers: tuple[LayerInfo, ...] = LAYERS) -> list[str]:
    """What a registry lacks: names in both languages, a known theme and kind, a colour, marker and label priority."""
    problems = []
    for layer in layers:
        if not (layer.id and layer.name_en.strip() and re.search(r"[\u4e00-\u9fff]", layer.name_zh)):
            problems.append(f"{layer.id!r}: needs an id, an English name and a Chinese name")
        if layer.theme not in THEMES or layer.kind not in LAYER_KINDS:
            problems.append(f"{layer.id!r}: unknown theme {layer.theme!r} or kind {layer.kind!r}")
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", layer.style.color):
            problems.append(f"{layer.id!r}: colour {layer.style.color!r} is not #rrggbb")
        marker = (layer.style.symbol, layer.style.size, layer.style.text_position, layer.label_priority)
        if layer.kind in ("point", "mixed") and any(part is None for part in marker):
            problems.append(f"{layer.id!r}: a layer with points needs a symbol, size, text position and label priority")
    ids = [layer.id for layer in layers]
    priorities = [layer.label_priority for layer in layers if layer.label_priority is not None]
    if len(set(ids)) < len(ids) or len(set(priorities)) < len(priorities):
        problems.append("layer ids and label priorities must be unique")
    return problems


def label_order(layers: tuple[LayerInfo, ...] = LAYERS) -> tuple[str, ...]:
    """Ids of the layers with points, first the one whose label wins a shared place."""
    ranked = [layer for layer in layers if layer.label_priority is not None]
    return tuple(layer.id for layer in sorted(ranked, key=lambda layer: layer.label_priority or 0))


FEATURE_COLUMNS = [
    "feature_id", "layer", "kind", "name_en", "name_zh", "quote", "section",
    "source", "approximate", "approx_note",
]  # fmt: skip


def layer_info(layer_id: str) -> LayerInfo:
    """The registry entry of one layer id."""
    for layer in LAYERS:
        if layer.id == layer_id:
            return layer
    raise KeyError(f"unknown layer {layer_id!r}; known layers: {', '.join(LAYER_IDS)}")


def read_table(path: Path) -> pd.DataFrame:
    """A curated CSV as strings, with the file's row numbers kept for error messages."""
    if not path.exists():
        raise GeodataError(f"{path}: file is missing")
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    table = pd.DataFrame(rows, dtype=object).fillna("")
    table.index = pd.RangeIndex(2, len(rows) + 2, name="csv_line")
    table.attrs["path"] = str(path)
    return table


def _flags(table: pd.DataFrame) -> pd.Series:
    values = table["approximate"].str.strip().str.lower()
    bad = ~values.isin(["true", "false"])
    if bad.any():
        line = values[bad].index[0]
        raise GeodataError(f"{table.attrs['path']} line {line}: approximate must be true or false")
    return values == "true"


def points_layer(table: pd.DataFrame) -> gpd.GeoDataFrame:
    """Point features from points.csv, in EPSG:4326."""
    lon = pd.to_numeric(table["lon"], errors="coerce")
    lat = pd.to_numeric(table["lat"], errors="coerce")
    if lon.isna().any() or lat.isna().any():
        line = table.index[(lon.isna() | lat.isna()).to_numpy()][0]
        raise GeodataError(f"{table.attrs['path']} line {line}: lon/lat must be numbers")
    frame = table.assign(kind="point", approximate=_flags(table), members=[[] for _ in range(len(table))])
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def zones_layer(table: pd.DataFrame, *, units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Zone features from zones.csv, each the dissolve of its member admin units."""
    by_code = units.set_index("adcode").geometry
    members = table["members"].str.split()
    geoms = []
    for line, row_members in members.items():
        missing = [code for code in row_members if code not in by_code.index]
        if not row_members or missing:
            feature = table.at[line, "feature_id"]
            raise GeodataError(
                f"{table.attrs['path']} line {line}: zone {feature!r} names unknown member codes {missing}"
            )
        geoms.append(shapely.union_all(by_code.loc[row_members].to_numpy()))
    frame = table.assign(kind="zone", approximate=_flags(table), members=members)
    return gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326")


def roles_layer(table: pd.DataFrame, *, provinces: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Province roles, drawn on the province polygons."""
    geometry = provinces.set_index("adcode").geometry
    unknown = sorted(set(table["province_adcode"]) - set(geometry.index))
    if unknown:
        raise GeodataError(f"{table.attrs['path']}: unknown province codes {unknown}")
    frame = table.assign(
        layer="province_roles",
        kind="province",
        quote=table["quote_sectors"],
        section=table["section_sectors"],
        source="2021 central region guideline (the province names and roles are the guideline's own)",
        approximate=False,
        approx_note="",
        members=[[code] for code in table["province_adcode"]],
    )
    return gpd.GeoDataFrame(frame, geometry=geometry.loc[table["province_adcode"]].to_numpy(), crs="EPSG:4326")


def guideline_features(
    *, provinces: gpd.GeoDataFrame, units: gpd.GeoDataFrame, folder: Path = GUIDELINE_DIR
) -> gpd.GeoDataFrame:
    """Every guideline feature in one frame (not yet joined to the admin units)."""
    parts = [
        points_layer(with_wgs84(read_table(folder / "points.csv"), folder=folder)),
        zones_layer(read_table(folder / "zones.csv"), units=units),
        roles_layer(read_table(folder / "province_roles.csv"), provinces=provinces),
    ]
    return pd.concat(parts, ignore_index=True)
