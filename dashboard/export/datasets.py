"""Data beside the image: the features a view shows, with their joined admin units, as GeoJSON or CSV."""

from __future__ import annotations

import io
import re

import geopandas as gpd
import pandas as pd

from dashboard.figures import screen as figures
from dashboard.view import i18n
from dashboard.view.state import ViewState
from geodata import Atlas
from geodata.userdata import UserLayer

LEVELS = ("province", "prefecture", "county")
#: Exported columns in order (the geometry is appended for GeoJSON; CSV gets lon/lat of a point on it).
COLUMNS = (
    "feature_id", "layer", "layer_en", "layer_zh", "name_en", "name_zh", "kind", "tier", "site",
    "approximate", "approx_note", "section", "quote", "section_sectors", "quote_sectors",
    "section_strategy", "quote_strategy", "traditional_sectors_en", "traditional_sectors_zh",
    "national_strategy_en", "national_strategy_zh", "members",
    "province_adcodes", "province_names_en", "province_names_zh",
    "prefecture_adcodes", "prefecture_names_en", "prefecture_names_zh",
    "county_adcodes", "county_names_en", "county_names_zh",
    "source", "lon", "lat",
)  # fmt: skip
LIST_COLUMNS = tuple(c for c in COLUMNS if c.endswith(("_adcodes", "_names_en", "_names_zh")) or c == "members")
LIST_SEPARATOR = ";"
COORD_DECIMALS = 6


def upload_rows(layer: UserLayer, state: ViewState) -> gpd.GeoDataFrame:
    """The planner's own features in the feature columns: joined units as one-item lists, source = the file."""
    frame = layer.frame[layer.frame.geometry.notna()].reset_index(drop=True)
    label = (
        frame[state.upload_label].astype(str) if state.upload_label in frame else pd.Series([layer.name] * len(frame))
    )
    rows = gpd.GeoDataFrame(
        {
            "feature_id": [f"upload-{state.upload}-{i + 1}" for i in range(len(frame))],
            "layer": "upload",
            "name_en": label,
            "name_zh": label,
            "kind": "upload",
            "members": [[] for _ in range(len(frame))],
            "approximate": False,
            "source": f"uploaded file {layer.name} (CRS {layer.source_crs})",
            **{
                f"{level}_adcodes": [[code] if isinstance(code, str) else [] for code in frame[f"{level}_adcode"]]
                for level in LEVELS
            },
        },
        geometry=frame.geometry.to_numpy(),
        crs="EPSG:4326",
    )
    return rows


def features_in_view(atlas: Atlas, state: ViewState, *, upload: UserLayer | None = None) -> gpd.GeoDataFrame:
    """Features of the visible layers (and the planner's own) in or touching the chosen provinces, units named."""
    frames = [rows[figures.touches(rows, state.provinces)] for rows in (atlas.layers[x] for x in state.layers)]
    if upload is not None:
        frames.append(upload_rows(upload, state))
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return gpd.GeoDataFrame(columns=[*COLUMNS, "geometry"], geometry="geometry", crs="EPSG:4326")
    rows = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    rows["layer_en"] = [_layer_name(layer, "en", upload) for layer in rows["layer"]]
    rows["layer_zh"] = [_layer_name(layer, "zh", upload) for layer in rows["layer"]]
    for level in LEVELS:
        rows = with_unit_names(rows, atlas, level=level)
    point = rows.geometry.where(rows.geom_type == "Point", rows.geometry.representative_point())
    rows["lon"], rows["lat"] = point.x.round(COORD_DECIMALS), point.y.round(COORD_DECIMALS)
    rows["approximate"] = rows["approximate"].astype(bool)
    return rows.reindex(columns=[*COLUMNS, "geometry"])


def _layer_name(layer: str, lang: str, upload: UserLayer | None) -> str:
    return upload.name if layer == "upload" and upload is not None else i18n.layer_name(layer, lang)


def with_unit_names(rows: gpd.GeoDataFrame, atlas: Atlas, *, level: str) -> gpd.GeoDataFrame:
    """Add `<level>_names_en` and `<level>_names_zh` beside the joined `<level>_adcodes`."""
    units = atlas.units(level).set_index("adcode")
    codes = rows[f"{level}_adcodes"].map(lambda value: [str(code) for code in value] if _is_list(value) else [])
    rows = rows.assign(**{f"{level}_adcodes": codes})
    for lang in ("en", "zh"):
        names = units[f"name_{lang}"]
        rows[f"{level}_names_{lang}"] = codes.map(lambda found, names=names: [str(names.get(c, "")) for c in found])
    return rows


def _is_list(value: object) -> bool:
    return isinstance(value, list | tuple) or hasattr(value, "tolist")


#: Text a spreadsheet would run as a formula (OWASP CSV injection): = + - @ tab or carriage return first.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def neutralise(text: str) -> str:
    """Text starting like a formula prefixed with ' (so it shows as typed); plain numbers such as -3.5 unchanged."""
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def _cell(value: object) -> object:
    """A CSV cell: lists joined by ';', missing values empty, flags true/false, formula-like text neutralised."""
    if _is_list(value):
        return neutralise(LIST_SEPARATOR.join(str(item) for item in list(value)))
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return value


def to_csv_bytes(frame: gpd.GeoDataFrame) -> bytes:
    """UTF-8 CSV with a BOM (so spreadsheet programs read the Chinese names), one row per feature."""
    table = pd.DataFrame({column: frame[column].map(_cell) for column in COLUMNS}, columns=list(COLUMNS))
    buffer = io.StringIO()
    table.to_csv(buffer, index=False, lineterminator="\n")
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_geojson_bytes(frame: gpd.GeoDataFrame) -> bytes:
    """A GeoJSON FeatureCollection (WGS84), lists as JSON arrays and missing values as null."""
    clean = frame.copy()
    for column in COLUMNS:
        if column not in LIST_COLUMNS:
            clean[column] = clean[column].astype(object).where(clean[column].notna(), None)
    return clean.to_json(na="null", show_bbox=False, drop_id=True, ensure_ascii=False).encode("utf-8")
