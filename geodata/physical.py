"""Physical context of the map: rivers, lakes, relief bands and a shaded relief image, loaded from the bundled files."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geodata._paths import DATA_DIR, RESOLUTIONS
from geodata._validate import GeodataError, check_frame

PHYSICAL_DIR = DATA_DIR / "physical"
INPUTS_DIR = PHYSICAL_DIR / "inputs"
PHYSICAL_LAYERS = ("rivers", "lakes", "relief")
SHADE_IMAGE = PHYSICAL_DIR / "relief.shade.png"
SHADE_SIDECAR = PHYSICAL_DIR / "relief.shade.json"
PHYSICAL_LOG = PHYSICAL_DIR / "build-log.json"

#: Kinds of feature per layer; a feature of another kind fails the load.
KINDS = {
    "rivers": ("river", "lake_centerline", "reservoir_reach"),
    "lakes": ("lake", "reservoir"),
    "relief": ("elevation_band",),
}


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one cached set per resolution
class Physical:
    """The physical context layers as EPSG:4326 GeoDataFrames, at one resolution."""

    rivers: gpd.GeoDataFrame
    lakes: gpd.GeoDataFrame
    relief: gpd.GeoDataFrame  # elevation bands, lowest first, not overlapping
    resolution: str


@dataclass(frozen=True)
class ReliefShade:
    """The shaded relief image for print and where it lies on the earth."""

    path: Path
    bounds: tuple[float, float, float, float]  # west, south, east, north: outer edges of the edge pixels
    crs: str  # the grid the pixels are laid on (columns even in longitude, rows even in latitude)
    size_px: tuple[int, int]  # width, height
    attribution: str


def physical_path(*, layer: str, resolution: str) -> Path:
    """The derived GeoJSON file of one physical layer at one resolution."""
    if layer not in PHYSICAL_LAYERS or resolution not in RESOLUTIONS:
        raise ValueError(f"unknown physical layer/resolution: {layer!r}/{resolution!r}")
    return PHYSICAL_DIR / f"{layer}.{resolution}.geojson"


def check_names(frame: gpd.GeoDataFrame, *, label: str) -> None:
    """Every feature that has a label rank carries both its English and its Chinese name."""
    labelled = frame[frame["label_rank"].notna()]
    missing = labelled[labelled["name_en"].fillna("").eq("") | labelled["name_zh"].fillna("").eq("")]
    if len(missing):
        raise GeodataError(f"{label}: labelled features without both names: {list(missing['id'])}")


def check_kinds(frame: gpd.GeoDataFrame, *, layer: str, label: str) -> None:
    """Only the kinds of feature this layer knows."""
    unknown = sorted(set(frame["kind"]) - set(KINDS[layer]))
    if unknown:
        raise GeodataError(f"{label}: unknown kind {unknown}; expected one of {', '.join(KINDS[layer])}")


def check_bands(frame: gpd.GeoDataFrame, *, label: str) -> None:
    """Bands run from low to high, each starting where the one below ends."""
    lows, highs = list(frame["min_m"]), list(frame["max_m"])
    if lows != sorted(lows) or any(high != low for high, low in zip(highs[:-1], lows[1:], strict=False)):
        raise GeodataError(f"{label}: elevation bands are not contiguous from low to high: {lows} / {highs}")


def read_physical(*, layer: str, resolution: str) -> gpd.GeoDataFrame:
    """One derived physical file, validated (CRS, ids, geometries, kinds, names, band order)."""
    path = physical_path(layer=layer, resolution=resolution)
    if not path.exists():
        raise GeodataError(f"{path} is missing: run `python -m geodata.build`")
    frame = gpd.read_file(path, engine="pyogrio")
    label = str(path)
    check_frame(frame, key="id", label=label)
    check_kinds(frame, layer=layer, label=label)
    if layer == "relief":
        frame["max_m"] = pd.to_numeric(frame["max_m"])  # the top band's upper bound is null
        check_bands(frame, label=label)
    else:
        frame["label_rank"] = frame["label_rank"].astype("Int64")
        check_names(frame, label=label)
    return frame


@functools.cache
def load_physical(*, resolution: str = "light") -> Physical:
    """Rivers, lakes and relief bands at `light` (browser) or `detail` (print) resolution; cached per resolution."""
    if resolution not in RESOLUTIONS:
        raise ValueError(f"unknown resolution {resolution!r}; choose one of {', '.join(RESOLUTIONS)}")
    frames = {layer: read_physical(layer=layer, resolution=resolution) for layer in PHYSICAL_LAYERS}
    return Physical(**frames, resolution=resolution)


@functools.cache
def relief_shade() -> ReliefShade:
    """The shaded relief PNG (black, shadow strength in alpha) and its bounds, from its sidecar JSON."""
    if not SHADE_IMAGE.exists() or not SHADE_SIDECAR.exists():
        raise GeodataError(f"{SHADE_IMAGE} or its sidecar is missing: run `python -m geodata.build`")
    meta = json.loads(SHADE_SIDECAR.read_text(encoding="utf-8"))
    west, south, east, north = (float(v) for v in meta["bounds"])
    if not (west < east and south < north):
        raise GeodataError(f"{SHADE_SIDECAR}: bounds {meta['bounds']} are not west, south, east, north")
    width, height = (int(v) for v in meta["size_px"])
    return ReliefShade(
        path=SHADE_IMAGE,
        bounds=(west, south, east, north),
        crs=meta["crs"],
        size_px=(width, height),
        attribution=meta["attribution"],
    )
