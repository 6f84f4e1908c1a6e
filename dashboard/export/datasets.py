"""Data beside the image: the features a view shows, with their joined admin units, as GeoJSON or CSV."""

from __future__ import annotations

import io
import re

import geopandas as gpd
import pandas as pd

from dashboard.figures import indicators as indicator_figures
from dashboard.figures import screen as figures
from dashboard.view import i18n
from dashboard.view.scene import bundled_indicators
from dashboard.view.state import ViewState
from geodata import Atlas
from geodata.indicators import INDICATORS
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
#: With an indicator on the map: its value of each province shown, with the value's sources.
INDICATOR_COLUMNS = (
    "indicator", "indicator_year", "indicator_variant", "indicator_value", "indicator_unit", "indicator_vintage",
    "indicator_class", "source_title", "source_where", "excerpt", "source_kind", "cross_checked", "low_confidence",
    "derived", "derivation", "note", "other_sources",
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


def features_in_view(
    atlas: Atlas, state: ViewState, *, upload: UserLayer | None = None, indicators: pd.DataFrame | None = None
) -> gpd.GeoDataFrame:
    """Features of the visible layers (and the planner's own) in or touching the chosen provinces, units named.

    `indicators`: the indicator table the view's indicator rows come from (the bundled one unless given)."""
    frames = [rows[figures.touches(rows, state.provinces)] for rows in (atlas.layers[x] for x in state.layers)]
    if upload is not None:
        frames.append(upload_rows(upload, state))
    indicator = indicator_rows(atlas, state, table=bundled_indicators() if indicators is None else indicators)
    if indicator is not None:
        frames.append(indicator)
    frames = [frame for frame in frames if len(frame)]
    extra = list(INDICATOR_COLUMNS) if indicator is not None else []
    if not frames:
        return gpd.GeoDataFrame(columns=[*COLUMNS, *extra, "geometry"], geometry="geometry", crs="EPSG:4326")
    rows = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    rows["layer_en"] = [_layer_name(layer, "en", upload) for layer in rows["layer"]]
    rows["layer_zh"] = [_layer_name(layer, "zh", upload) for layer in rows["layer"]]
    for level in LEVELS:
        rows = with_unit_names(rows, atlas, level=level)
    point = rows.geometry.where(rows.geom_type == "Point", rows.geometry.representative_point())
    rows["lon"], rows["lat"] = point.x.round(COORD_DECIMALS), point.y.round(COORD_DECIMALS)
    rows["approximate"] = rows["approximate"].fillna(False).astype(bool)
    return rows.reindex(columns=[*COLUMNS, *extra, "geometry"])


def indicator_rows(atlas: Atlas, state: ViewState, *, table: pd.DataFrame) -> gpd.GeoDataFrame | None:
    """The chosen provinces as the indicator map shows them: value (empty for no data), class and sources."""
    shown = indicator_figures.view_map(state, table=table)
    if shown is None:
        return None
    sel = shown.selection
    provinces = atlas.provinces.set_index("adcode")
    rows = shown.rows.assign(
        indicator_class=[
            shown.legend[c]["label"] if c >= 0 else shown.legend[-1]["label"] for c in shown.classes.classes
        ]
    )
    rows = rows[rows["adcode"].isin(state.provinces)]
    return gpd.GeoDataFrame(
        {
            "feature_id": [f"indicator-{sel.indicator}-{sel.year}-{code}" for code in rows["adcode"]],
            "layer": "indicator",
            "name_en": [provinces.loc[code, "name_en"] for code in rows["adcode"]],
            "name_zh": [provinces.loc[code, "name_zh"] for code in rows["adcode"]],
            "kind": "indicator",
            "members": [[] for _ in range(len(rows))],
            "approximate": False,
            "source": rows["source_title"].fillna("").tolist(),
            "province_adcodes": [[code] for code in rows["adcode"]],
            "prefecture_adcodes": [[] for _ in range(len(rows))],
            "county_adcodes": [[] for _ in range(len(rows))],
            "indicator": sel.indicator,
            "indicator_year": sel.year,
            "indicator_variant": sel.variant,
            "indicator_value": rows["value"].tolist(),
            "indicator_unit": INDICATORS[sel.indicator].unit,
            "indicator_vintage": rows["vintage"].tolist(),
            "indicator_class": rows["indicator_class"].tolist(),
            **{c: rows[c].tolist() for c in INDICATOR_COLUMNS[7:]},
        },
        geometry=[provinces.loc[code, "geometry"] for code in rows["adcode"]],
        crs="EPSG:4326",
    )


def _layer_name(layer: str, lang: str, upload: UserLayer | None) -> str:
    if layer == "indicator":
        return i18n.t("ind_heading", lang)
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
    columns = [*COLUMNS, *(c for c in INDICATOR_COLUMNS if c in frame)]
    table = pd.DataFrame({column: frame[column].map(_cell) for column in columns}, columns=columns)
    buffer = io.StringIO()
    table.to_csv(buffer, index=False, lineterminator="\n")
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_geojson_bytes(frame: gpd.GeoDataFrame) -> bytes:
    """A GeoJSON FeatureCollection (WGS84), lists as JSON arrays and missing values as null."""
    clean = frame.copy()
    for column in [*COLUMNS, *(c for c in INDICATOR_COLUMNS if c in frame)]:
        if column not in LIST_COLUMNS:
            clean[column] = clean[column].astype(object).where(clean[column].notna(), None)
    return clean.to_json(na="null", show_bbox=False, drop_id=True, ensure_ascii=False).encode("utf-8")


# ---- a planner's own layer, kept whole --------------------------------------------------------------------------

UNIT_LEVELS = ("province", "prefecture", "county")
#: Cells a spreadsheet would run as a formula (OWASP CSV injection): written with a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
STATS = ("sum", "mean", "min", "max")


def own_columns(layer: UserLayer) -> list[str]:
    """The planner's columns, in the file's order (the join's own columns and the geometry left out)."""
    added = {"geometry", "outside_central", *(f"{level}_adcode" for level in UNIT_LEVELS)}
    return [column for column in layer.frame.columns if column not in added]


def _unit_names() -> pd.DataFrame:
    from geodata.tables import unit_names

    return unit_names()[["name_en", "name_zh"]]


def layer_table(layer: UserLayer) -> gpd.GeoDataFrame:
    """Every uploaded column in order, then each level's code and names, then the outside flag (and geometry)."""
    frame = layer.frame
    out = frame[own_columns(layer)].copy()
    names = _unit_names()
    for level in UNIT_LEVELS:
        codes = frame[f"{level}_adcode"].astype(object).where(frame[f"{level}_adcode"].notna(), None)
        out[f"{level}_adcode"] = codes
        for lang in ("en", "zh"):
            out[f"{level}_name_{lang}"] = codes.map(names[f"name_{lang}"]).astype(object).where(codes.notna(), None)
    out["outside_central"] = frame["outside_central"].astype(bool)
    return gpd.GeoDataFrame(out, geometry=frame.geometry.to_numpy(), crs="EPSG:4326")


def _safe_cell(value: object) -> object:
    """A text cell a spreadsheet will not run as a formula; numbers and empty cells unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def layer_csv_bytes(layer: UserLayer) -> bytes:
    """The layer as UTF-8 CSV (with BOM); a `wkt` column when the file's own columns hold no coordinates."""
    table = pd.DataFrame(layer_table(layer).drop(columns="geometry"))
    geometry = layer.frame.geometry
    if geometry.notna().any() and "lon" not in table and not _has_coordinates(table):
        table["wkt"] = geometry.to_wkt().where(geometry.notna(), "")
    for column in table.columns:
        if pd.api.types.is_float_dtype(table[column]):  # shortest form: 300.0 -> "300", 120.5 -> "120.5"
            table[column] = table[column].map(lambda v: "" if pd.isna(v) else format(v, ".15g"))
        elif table[column].dtype == object or pd.api.types.is_string_dtype(table[column]):
            table[column] = table[column].map(_safe_cell)
    table["outside_central"] = table["outside_central"].map({True: "true", False: "false"})
    buffer = io.StringIO()
    table.to_csv(buffer, index=False, lineterminator="\n")
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _has_coordinates(table: pd.DataFrame) -> bool:
    from geodata.userdata import LAT_NAMES, LON_NAMES, common_name_columns

    columns = [str(c) for c in table.columns]
    return bool(common_name_columns(columns, names=LON_NAMES) and common_name_columns(columns, names=LAT_NAMES))


def layer_geojson_bytes(layer: UserLayer) -> bytes:
    """The layer as a GeoJSON FeatureCollection (WGS84), missing values as null."""
    frame = layer_table(layer)
    return frame.to_json(na="null", show_bbox=False, drop_id=True, ensure_ascii=False).encode("utf-8")


def layer_gpkg_bytes(layer: UserLayer) -> bytes:
    """The layer as a GeoPackage (one layer named after the file), written through a private temporary file."""
    import tempfile
    from pathlib import Path

    frame = layer_table(layer)
    with tempfile.TemporaryDirectory(prefix="atlas-gpkg-") as folder:
        path = Path(folder) / "layer.gpkg"
        frame.to_file(path, driver="GPKG", layer="upload", engine="pyogrio")
        return path.read_bytes()


def per_unit_table(layer: UserLayer, *, level: str) -> pd.DataFrame:
    """Per unit of `level` in the six provinces: adcode, both names, count and sum/mean/min/max of each number.

    The same grouping as the map (`geodata.userdata.unit_values`): rows by their `<level>_adcode`; units
    without rows have a count of 0 and empty statistics.
    """
    from geodata.tables import unit_table

    units = unit_table()
    units = units[units["level"] == level].set_index("adcode")[["name_en", "name_zh"]]
    key = f"{level}_adcode"
    frame = layer.frame[layer.frame[key].notna()]
    out = units.copy()
    out["count"] = frame.groupby(key).size().reindex(units.index).fillna(0).astype(int)
    for column in layer.numeric_columns:
        grouped = frame.groupby(key)[column].agg(list(STATS)).reindex(units.index)
        for stat in STATS:
            out[f"{column}_{stat}"] = grouped[stat]
    return out.reset_index()


def per_unit_csv_bytes(layer: UserLayer, *, level: str) -> bytes:
    """The per-unit table as UTF-8 CSV with a BOM."""
    buffer = io.StringIO()
    per_unit_table(layer, level=level).to_csv(buffer, index=False, lineterminator="\n")
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
