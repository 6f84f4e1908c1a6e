"""Which county each point lies in, by the border rule: a point on a shared border goes to the smallest adcode."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd


def locate_points(points: gpd.GeoDataFrame, *, counties: gpd.GeoDataFrame) -> pd.DataFrame:
    """County, prefecture and province of each point, indexed like `points`.

    Border rule: a point on a border shared by several counties goes to the one with the
    smallest adcode, so every point lands in exactly one unit (or none, outside them all).
    """
    units = counties[["adcode", "prefecture_adcode", "province_adcode", "geometry"]]
    joined = gpd.sjoin(points[["geometry"]], units, how="left", predicate="intersects")
    joined = joined.sort_values("adcode", kind="stable")
    joined = joined[~joined.index.duplicated(keep="first")].reindex(points.index)
    return joined.rename(columns={"adcode": "county_adcode"})[["county_adcode", "prefecture_adcode", "province_adcode"]]
