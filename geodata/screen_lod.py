"""Screen level-of-detail boundaries: coarser coverages for the zoomed-out browser map (joins and print keep detail)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata import snapshot
from geodata._paths import BOUNDARIES_DIR, LEVELS
from geodata.load import Atlas

#: The screen LOD: `shapely.coverage_simplify` of the unsimplified units at this tolerance (degrees), per level.
#: At the fitted view (scale 1, about 0.016 degrees a pixel) 0.025 degrees is under 2 px.
SCREEN_TOLERANCE = 0.025
SCREEN_DECIMALS = 3  # a 0.001-degree grid (about 100 m, under 0.1 px at the fitted view), snapped validly
#: coverage_simplify's tolerance is Visvalingam-Whyatt's (the square root of an area), not a distance: a border can
#: move further. The build refuses a central unit that moves more than this from its unsimplified shape: 4 px at the
#: fitted view (about 16 degrees of longitude over about 1000 px).
MAX_DEVIATION_DEG = 0.064
#: The browser map draws the LOD while zoomed out below this projection scale, and the light files from it on.
LOD_MAX_SCALE = 1.6
LOD_NAME = "screen"
LOG_NAME = "screen-lod-log.json"


class ScreenLodError(RuntimeError):
    """The screen LOD files are missing or do not match the atlas."""


@dataclass(frozen=True)
class ScreenLevel:
    """One level's LOD geometry, keyed by adcode, with how it was made."""

    level: str
    geometry: pd.Series  # adcode -> shapely geometry


def lod_path(level: str, *, folder: Path = BOUNDARIES_DIR) -> Path:
    """The screen LOD file of one admin level."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
    return folder / f"{level}.{LOD_NAME}.geojson"


def simplify_level(raw: np.ndarray, *, tolerance: float = SCREEN_TOLERANCE) -> np.ndarray:
    """The coverage simplified (neighbours keep one shared border, no gaps or overlaps), snapped to the screen's grid.

    `shapely.set_precision` keeps every polygon valid where plain rounding can make a ring cross itself.
    """
    simplified = shapely.coverage_simplify(raw, tolerance)
    return shapely.set_precision(simplified, 10.0**-SCREEN_DECIMALS)


def check_lod(raw: np.ndarray, simplified: np.ndarray, rows: list[dict], *, label: str) -> None:
    """Fail naming the unit when a unit vanished, went invalid or (central) moved too far, or neighbours stop tiling."""
    for row, before, after in zip(rows, raw, simplified, strict=True):
        code = row["adcode"]
        if shapely.is_empty(after) or not shapely.is_valid(after):
            raise ScreenLodError(f"{label}: unit {code} is empty or invalid after simplification")
        moved = shapely.hausdorff_distance(before, after) if row["is_central"] else 0.0
        if moved > MAX_DEVIATION_DEG:
            raise ScreenLodError(f"{label}: unit {code} moved {moved:.3f} degrees (more than {MAX_DEVIATION_DEG})")
    if not shapely.coverage_is_valid(simplified):
        raise ScreenLodError(f"{label}: simplified units no longer form a clean coverage")


def write_level(level: str, rows: list[dict], raw: np.ndarray, *, out_dir: Path = BOUNDARIES_DIR) -> dict:
    """Write one level's LOD file (adcode and geometry, one feature per line); return its log entry."""
    codes = [row["adcode"] for row in rows]
    simplified = simplify_level(raw)
    check_lod(raw, simplified, rows, label=f"{level}/{LOD_NAME}")
    features = [
        f'{{"type":"Feature","properties":{{"adcode":"{code}"}},"geometry":{shapely.to_geojson(geom)}}}'
        for code, geom in zip(codes, simplified, strict=True)
    ]
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(features) + "\n]}\n"
    lod_path(level, folder=out_dir).write_text(text, encoding="utf-8")
    return {
        "units": len(codes),
        "tolerance_deg": SCREEN_TOLERANCE,
        "decimals": SCREEN_DECIMALS,
        "method": "shapely.coverage_simplify of the unsimplified WGS84 units",
        "max_deviation_deg_central": round(float(_max_deviation(raw, simplified, rows)), 4),
        "raw_vertices": int(shapely.get_num_coordinates(raw).sum()),
        "vertices": int(shapely.get_num_coordinates(simplified).sum()),
        "bytes": len(text.encode("utf-8")),
    }


def _max_deviation(raw: np.ndarray, simplified: np.ndarray, rows: list[dict]) -> float:
    central = np.array([bool(row["is_central"]) for row in rows])
    return float(shapely.hausdorff_distance(raw[central], simplified[central]).max()) if central.any() else 0.0


def write_log(entries: dict, *, source: str, out_dir: Path = BOUNDARIES_DIR) -> None:
    """The provenance of the LOD files: source, method, tolerance and counts per level."""
    log = {"source": source, "used_for": "the browser map zoomed out (scale below LOD_MAX_SCALE)", "levels": entries}
    (out_dir / LOG_NAME).write_text(json.dumps(log, indent=2) + "\n", encoding="utf-8")


@functools.cache
def read_level(level: str, *, folder: Path = BOUNDARIES_DIR) -> ScreenLevel:
    """One level's LOD geometry by adcode (cached)."""
    path = lod_path(level, folder=folder)
    if not path.exists():
        raise ScreenLodError(f"{path} is missing: run `python -m geodata.build`")
    frame = gpd.read_file(path, engine="pyogrio")
    return ScreenLevel(level, pd.Series(frame.geometry.to_numpy(), index=frame["adcode"].astype(str)))


def with_geometry(frame: gpd.GeoDataFrame, geometry: pd.Series, *, label: str) -> gpd.GeoDataFrame:
    """The frame with each unit's geometry swapped for its LOD geometry (by adcode)."""
    missing = sorted(set(frame["adcode"]) - set(geometry.index))
    if missing:
        raise ScreenLodError(f"{label}: no screen geometry for {missing[:5]}: run `python -m geodata.build`")
    return frame.set_geometry(geometry.loc[frame["adcode"]].to_numpy(), crs=frame.crs)


def lod_layer(rows: gpd.GeoDataFrame, *, units: pd.Series, provinces: pd.Series) -> gpd.GeoDataFrame:
    """A guideline layer drawn from LOD units: zones dissolved from their members, province roles on the provinces."""
    geoms = list(rows.geometry)
    for i, (kind, members) in enumerate(zip(rows["kind"], rows["members"], strict=True)):
        if kind == "zone":
            geoms[i] = shapely.union_all(units.loc[list(members)].to_numpy())
        elif kind == "province":
            geoms[i] = provinces.loc[members[0]]
    return rows.set_geometry(geoms, crs=rows.crs)


@functools.cache
def screen_atlas(atlas: Atlas) -> Atlas:
    """The atlas with LOD boundaries and zones for the zoomed-out screen; joins, names and points are the atlas's."""
    levels = snapshot.cached("screen-levels", build=lambda: {level: read_level(level).geometry for level in LEVELS})
    units = pd.concat(levels.values())
    frames = {
        "provinces": with_geometry(atlas.provinces, levels["province"], label="province"),
        "prefectures": with_geometry(atlas.prefectures, levels["prefecture"], label="prefecture"),
        "counties": with_geometry(atlas.counties, levels["county"], label="county"),
    }
    layers = {layer: lod_layer(rows, units=units, provinces=levels["province"]) for layer, rows in atlas.layers.items()}
    return replace(atlas, **frames, layers=layers, resolution=f"{atlas.resolution}+{LOD_NAME}")


def uses_lod(scale: float | None) -> bool:
    """Whether a view at this projection scale draws the screen LOD (zoomed out) rather than the light files."""
    return (scale or 1.0) < LOD_MAX_SCALE
