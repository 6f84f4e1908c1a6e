"""Where the bundled data files live, resolved from the package."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
BOUNDARIES_DIR = DATA_DIR / "boundaries"
GUIDELINE_DIR = DATA_DIR / "guideline"
BUILD_LOG = BOUNDARIES_DIR / "build-log.json"
#: The guideline features' joins to the admin units, computed by the build (geodata/build_joins.py).
JOINS_NAME = "guideline-joins.json"
#: The file join's grid over the detailed counties, stored by the build (geodata/join/grid_store.py).
GRID_NAME = "county-grid.npz"

LEVELS = ("province", "prefecture", "county")
RESOLUTIONS = ("light", "detail")
#: The province level also has a coarse overview, used for the muted context of the rest of China.
OVERVIEW = "overview"

#: The six provinces of the central region, by adcode.
CENTRAL_PROVINCES = {
    "140000": "Shanxi",
    "340000": "Anhui",
    "360000": "Jiangxi",
    "410000": "Henan",
    "420000": "Hubei",
    "430000": "Hunan",
}


def boundary_path(*, level: str, resolution: str, folder: Path = BOUNDARIES_DIR) -> Path:
    """The derived GeoJSON file of one admin level at one resolution."""
    known = (*RESOLUTIONS, OVERVIEW) if level == "province" else RESOLUTIONS
    if level not in LEVELS or resolution not in known:
        raise ValueError(f"unknown level/resolution: {level!r}/{resolution!r}")
    return folder / f"{level}.{resolution}.geojson"
