"""Checks on loaded data that fail loudly, naming the file, row or feature at fault."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd


class GeodataError(ValueError):
    """Bundled or curated data is inconsistent; the message names what is wrong."""


def check_frame(frame: gpd.GeoDataFrame, *, key: str, label: str) -> None:
    """Unique non-empty keys, valid non-null geometries, EPSG:4326."""
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        raise GeodataError(f"{label}: expected EPSG:4326, found {frame.crs}")
    keys = frame[key]
    if (keys == "").any() or keys.isna().any():
        raise GeodataError(f"{label}: empty {key}")
    dupes = sorted(set(keys[keys.duplicated()]))
    if dupes:
        raise GeodataError(f"{label}: duplicate {key} {dupes}")
    bad = frame.geometry.isna() | frame.geometry.is_empty | ~frame.geometry.is_valid
    if bad.any():
        raise GeodataError(f"{label}: invalid or empty geometry for {key} {list(keys[bad])}")


def check_declared_units(points: pd.DataFrame) -> None:
    """A point's declared province and prefecture must match the ones it was joined to."""
    for column in ("province_adcode", "prefecture_adcode"):
        joined = points[f"joined_{column}"]
        wrong = points[joined.ne(points[column])]
        if len(wrong):
            row = wrong.iloc[0]
            raise GeodataError(
                f"point {row['feature_id']!r} declares {column} {row[column]} "
                f"but lies in {row[f'joined_{column}'] or 'no admin unit of the atlas'}"
            )


def check_points_inside(points: pd.DataFrame) -> None:
    """Every point must fall inside a county of the atlas."""
    outside = points[points["county_adcode"].isna()]
    if len(outside):
        raise GeodataError(f"points outside every county of the atlas: {list(outside['feature_id'])}")
