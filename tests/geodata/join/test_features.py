"""Joining the guideline features: points land in the unit they name, zones cover their members, bad data fails."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geodata import GeodataError
from geodata._paths import GUIDELINE_DIR
from geodata.join import COVER_SHARE, join_features, overlap_shares
from geodata.layers import read_table, zones_layer


def test_every_point_lands_in_the_prefecture_its_row_declares(atlas) -> None:
    declared = read_table(GUIDELINE_DIR / "points.csv").set_index("feature_id")
    points = atlas.features[atlas.features.geom_type == "Point"].set_index("feature_id")
    assert set(points.index) == set(declared.index)
    for feature_id, row in points.iterrows():
        assert row["prefecture_adcode"] == declared.at[feature_id, "prefecture_adcode"], feature_id
        assert row["province_adcodes"] == [declared.at[feature_id, "province_adcode"]], feature_id
        county = atlas.counties.set_index("adcode").geometry[row["county_adcode"]]
        assert county.covers(row.geometry), feature_id


@pytest.mark.parametrize(
    ("feature_id", "prefecture"),
    [("hub-zhengzhou", "410100"), ("hub-yichang", "420500"), ("hub-ganzhou", "360700"), ("city-taiyuan", "140100")],
)
def test_named_cities_join_to_their_own_prefecture(atlas, feature_id: str, prefecture: str) -> None:
    row = atlas.features.set_index("feature_id").loc[feature_id]
    assert row["prefecture_adcode"] == prefecture
    assert atlas.prefectures.set_index("adcode").geometry[prefecture].covers(row.geometry)


def test_zones_cover_their_members(atlas) -> None:
    units = pd.concat([atlas.provinces, atlas.prefectures, atlas.counties]).drop_duplicates("adcode")
    geometry = units.set_index("adcode").geometry
    zones = atlas.features[atlas.features.geom_type != "Point"]
    for zone in zones.itertuples():
        for code in zone.members:
            member = geometry[code]
            assert member.intersection(zone.geometry).area >= 0.999 * member.area, (zone.feature_id, code)
            if len(code) == 6 and code in set(atlas.prefectures["adcode"]):
                assert code in zone.prefecture_adcodes, (zone.feature_id, code)


def test_zone_touches_the_provinces_of_its_members(atlas) -> None:
    zones = atlas.features.set_index("feature_id")
    assert set(zones.at["tz-jinshanyu-golden-triangle", "province_adcodes"]) == {"140000", "410000", "610000"}
    assert zones.at["mc-wuhan", "province_adcodes"] == ["420000"]


def _tiny_units() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "adcode": ["100101", "100102"],
            "prefecture_adcode": ["100100", "100100"],
            "province_adcode": ["100000", "100000"],
        },
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
        crs="EPSG:4326",
    )


def _tiny_prefectures() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"adcode": ["100100"], "province_adcode": ["100000"]}, geometry=[shapely.box(0, 0, 2, 1)], crs="EPSG:4326"
    )


def _point(feature_id: str, x: float, y: float, **declared: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"feature_id": [feature_id], **{key: [value] for key, value in declared.items()}},
        geometry=[shapely.Point(x, y)],
        crs="EPSG:4326",
    )


def test_declared_prefecture_that_disagrees_with_the_join_fails_naming_the_feature() -> None:
    units = _tiny_units()
    prefectures = _tiny_prefectures()
    point = _point("hub-somewhere", 0.5, 0.5, province_adcode="100000", prefecture_adcode="999900")
    with pytest.raises(GeodataError, match=r"hub-somewhere.*999900"):
        join_features(point, prefectures=prefectures, counties=units)


def test_point_outside_every_county_fails() -> None:
    units = _tiny_units()
    prefectures = _tiny_prefectures()
    with pytest.raises(GeodataError, match="hub-at-sea"):
        join_features(_point("hub-at-sea", 5, 5), prefectures=prefectures, counties=units)


def test_zone_with_an_unknown_member_fails_naming_line_and_code() -> None:
    table = pd.DataFrame(
        {"feature_id": ["mc-x"], "members": ["100101 555555"], "approximate": ["false"]}, index=pd.Index([2])
    )
    table.attrs["path"] = "zones.csv"
    with pytest.raises(GeodataError, match=r"zones.csv line 2: zone 'mc-x'.*555555"):
        zones_layer(table, units=_tiny_units())


def _zone(feature_id: str, geometry: shapely.Geometry) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"feature_id": [feature_id]}, geometry=[geometry], crs="EPSG:4326")


@pytest.mark.parametrize(
    ("x1", "covered"),
    [
        (0.3, []),  # 30% of 100101: not covered
        (0.5, ["100101"]),  # exactly half: covered
        (1.6, ["100101", "100102"]),  # all of one, 60% of the other
        (1.4, ["100101"]),  # all of one, 40% of the other
    ],
)
def test_a_zone_covers_a_unit_when_at_least_half_the_unit_lies_inside(x1: float, covered: list[str]) -> None:
    zone = _zone("tz-test", shapely.box(0, 0, x1, 1))
    joined = join_features(zone, prefectures=_tiny_prefectures(), counties=_tiny_units())
    assert joined.at[0, "county_adcodes"] == covered
    assert joined.at[0, "province_adcodes"] == (["100000"] if covered else [])


@pytest.mark.parametrize(
    ("zone", "prefecture"),
    [("tz-wanjiang", "341500"), ("mc-changzhutan", "430200"), ("rb-dabie", "340700"), ("rb-wuling", "430700")],
)
def test_a_bundled_zone_does_not_cover_a_prefecture_less_than_half_inside(atlas, zone: str, prefecture: str) -> None:
    """Lu'an, Zhuzhou, Tongling and Changde each lie partly (between a fifth and a half) inside the zone."""
    zones = atlas.features.set_index("feature_id")
    shares = overlap_shares(zones.loc[[zone]], atlas.prefectures).set_index("adcode")
    assert 0.2 < shares.at[prefecture, "share_of_unit"] < COVER_SHARE == 0.5
    assert prefecture not in zones.at[zone, "prefecture_adcodes"]
    assert set(shares.index[shares["share_of_unit"] >= COVER_SHARE]) == set(zones.at[zone, "prefecture_adcodes"])
