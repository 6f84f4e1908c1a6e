"""Guideline features joined to the admin units: points to the unit they lie in, zones to the units they cover."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from geodata._validate import check_declared_units, check_points_inside
from geodata.join.locate import locate_points

#: A zone "covers" an admin unit when at least this share of the unit's area lies inside it.
COVER_SHARE = 0.5


def overlap_shares(zones: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> pd.DataFrame:
    """Pairs of (zone index, unit adcode) that intersect, with the overlap's share of each."""
    pairs = gpd.sjoin(zones[["geometry"]], units[["adcode", "geometry"]], how="inner", predicate="intersects")
    if pairs.empty:
        return pd.DataFrame(columns=["zone", "adcode", "share_of_zone", "share_of_unit"])
    unit_geoms = units.set_index("adcode").geometry.loc[pairs["adcode"]].to_numpy()
    zone_geoms = zones.geometry.loc[pairs.index].to_numpy()
    overlap = shapely.area(shapely.intersection(zone_geoms, unit_geoms))
    return pd.DataFrame(
        {
            "zone": pairs.index,
            "adcode": pairs["adcode"].to_numpy(),
            "share_of_zone": overlap / shapely.area(zone_geoms),
            "share_of_unit": overlap / shapely.area(unit_geoms),
        }
    )


def _codes_per_zone(pairs: pd.DataFrame, index: pd.Index) -> pd.Series:
    kept = pairs.sort_values("adcode").groupby("zone")["adcode"].agg(list)
    return pd.Series([kept.get(i, []) for i in index], index=index, dtype=object)


def join_features(
    features: gpd.GeoDataFrame,
    *,
    prefectures: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """Add `province_adcodes`, `prefecture_adcodes`, `county_adcodes` and, for points, their units."""
    out = features.copy()
    is_point = out.geom_type == "Point"
    located = locate_points(out[is_point], counties=counties)
    check_points_inside(out[is_point].assign(county_adcode=located["county_adcode"]))
    if "province_adcode" in out:  # the curated rows declare their units: they must agree with the join
        check_declared_units(
            out[is_point].assign(
                joined_province_adcode=located["province_adcode"].fillna(""),
                joined_prefecture_adcode=located["prefecture_adcode"].fillna(""),
            )
        )
    for column in ("county_adcode", "prefecture_adcode"):
        out[column] = located[column].reindex(out.index).where(is_point, None)
    zones = out[~is_point]
    covered = {}
    for units, column in ((prefectures, "prefecture_adcode"), (counties, "county_adcode")):
        shares = overlap_shares(zones, units)
        covered[column] = shares[shares["share_of_unit"] >= COVER_SHARE].merge(
            units[["adcode", "province_adcode"]], on="adcode"
        )
        zone_codes = _codes_per_zone(covered[column], zones.index)
        out[f"{column}s"] = pd.concat([located[column].map(lambda code: [code]), zone_codes]).reindex(out.index)
    # A zone touches the provinces of the units it covers (both levels nest in the provinces,
    # so this avoids the slivers that comparing differently simplified levels would produce).
    touched = pd.concat(covered.values()).drop(columns="adcode").rename(columns={"province_adcode": "adcode"})
    zone_provinces = _codes_per_zone(touched.drop_duplicates(["zone", "adcode"]), zones.index)
    out["province_adcodes"] = pd.concat([located["province_adcode"].map(lambda code: [code]), zone_provinces]).reindex(
        out.index
    )
    return out
