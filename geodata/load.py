"""Load the bundled atlas: boundaries at three levels plus the joined guideline layers."""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geodata import joins_store, snapshot
from geodata._paths import BOUNDARIES_DIR, CENTRAL_PROVINCES, LEVELS, OVERVIEW, RESOLUTIONS, boundary_path
from geodata._validate import GeodataError, check_frame
from geodata.join.features import join_features
from geodata.layers import LAYER_IDS, guideline_features


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one cached atlas per resolution
class Atlas:
    """Boundaries (EPSG:4326 GeoDataFrames) and the guideline layers, keyed by layer id."""

    provinces: gpd.GeoDataFrame
    prefectures: gpd.GeoDataFrame
    counties: gpd.GeoDataFrame
    context: gpd.GeoDataFrame  # every province, coarse: the muted backdrop
    layers: dict[str, gpd.GeoDataFrame]
    resolution: str

    def units(self, level: str) -> gpd.GeoDataFrame:
        """The boundary frame of one admin level."""
        frames = {"province": self.provinces, "prefecture": self.prefectures, "county": self.counties}
        if level not in frames:
            raise KeyError(f"unknown admin level {level!r}; choose one of {', '.join(LEVELS)}")
        return frames[level]

    @functools.cached_property
    def features(self) -> gpd.GeoDataFrame:
        """Every guideline feature of every layer in one frame (made once per atlas: treat it as read-only)."""
        return pd.concat(self.layers.values(), ignore_index=True)


def read_boundaries(*, level: str, resolution: str, folder: Path = BOUNDARIES_DIR) -> gpd.GeoDataFrame:
    """One derived boundary file, validated."""
    path = boundary_path(level=level, resolution=resolution, folder=folder)
    if not path.exists():
        raise GeodataError(f"{path} is missing: run `python -m geodata.build`")
    frame = gpd.read_file(path, engine="pyogrio")
    for column in ("adcode", "province_adcode", "prefecture_adcode"):
        if column in frame:
            frame[column] = frame[column].astype(str)
    frame["is_central"] = frame["is_central"].astype(bool)
    check_frame(frame, key="adcode", label=str(path))
    return frame


@functools.cache
def load_atlas(*, resolution: str = "light") -> Atlas:
    """The atlas at `light` (browser) or `detail` (print) resolution; cached per resolution.

    Read from this machine's snapshot while the package's code and data are unchanged (geodata.snapshot), else
    built from the bundled files and the snapshot written for the next process.
    """
    if resolution not in RESOLUTIONS:
        raise ValueError(f"unknown resolution {resolution!r}; choose one of {', '.join(RESOLUTIONS)}")
    parts = snapshot.cached(f"atlas-{resolution}", build=lambda: atlas_parts(build_atlas(resolution=resolution)))
    return Atlas(**parts)


def atlas_parts(atlas: Atlas) -> dict:
    """The atlas's fields by name (what the snapshot stores)."""
    return {field.name: getattr(atlas, field.name) for field in fields(atlas)}


def build_atlas(*, resolution: str) -> Atlas:
    """The atlas from the bundled files: boundaries read and checked, guideline features joined."""
    boundaries = {level: read_boundaries(level=level, resolution=resolution) for level in LEVELS}
    joined = joined_features(boundaries, resolution=resolution)
    layers = {layer: joined[joined["layer"] == layer].reset_index(drop=True) for layer in LAYER_IDS}
    return Atlas(
        provinces=boundaries["province"],
        prefectures=boundaries["prefecture"],
        counties=boundaries["county"],
        context=read_boundaries(level="province", resolution=OVERVIEW),
        layers=layers,
        resolution=resolution,
    )


def joined_features(
    boundaries: dict[str, gpd.GeoDataFrame], *, resolution: str, folder: Path = BOUNDARIES_DIR, stored: bool = True
) -> gpd.GeoDataFrame:
    """The guideline features, validated, with their units: as the build stored them, or joined afresh.

    The stored joins are used only while every file they were computed from is unchanged.
    """
    features = checked_features(boundaries)
    joined = joins_store.apply(features, resolution=resolution, folder=folder) if stored else None
    if joined is None:
        joined = join_features(features, prefectures=boundaries["prefecture"], counties=boundaries["county"])
    return joined


def checked_features(boundaries: dict[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """Every guideline feature, not yet joined, with unique ids and known layers."""
    units = pd.concat(boundaries.values(), ignore_index=True)
    features = guideline_features(provinces=boundaries["province"], units=units)
    check_frame(features, key="feature_id", label="guideline layers")
    unknown = sorted(set(features["layer"]) - set(LAYER_IDS))
    if unknown:
        raise GeodataError(f"guideline layers: unknown layer ids {unknown}")
    return features


def feature_counts(atlas: Atlas) -> pd.DataFrame:
    """Per central province (rows, by adcode), the count of features of each layer it touches."""
    features = atlas.features.explode("province_adcodes")
    table = pd.crosstab(features["province_adcodes"], features["layer"])
    return table.reindex(index=list(CENTRAL_PROVINCES), columns=list(LAYER_IDS), fill_value=0)


def features_in_unit(atlas: Atlas, *, adcode: str) -> gpd.GeoDataFrame:
    """Every guideline feature that lies in, touches or covers one admin unit (the join read backwards)."""
    features = atlas.features
    mask = pd.Series(False, index=features.index)
    for column in ("province_adcodes", "prefecture_adcodes", "county_adcodes"):
        mask |= features[column].map(lambda codes: adcode in codes)
    return features[mask]
