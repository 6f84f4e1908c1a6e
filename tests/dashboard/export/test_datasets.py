"""Data exports: the features a view shows, with joined admin units, as GeoJSON and readable CSV."""

from __future__ import annotations

import csv
import io
import json

from dashboard.export import datasets
from dashboard.view.state import ViewState

HUBEI = ("420000",)


def test_features_in_view_are_the_visible_layers_touching_the_provinces(atlas) -> None:
    state = ViewState(layers=("logistics_hubs", "transfer_zones"), provinces=HUBEI)
    frame = datasets.features_in_view(atlas, state)
    assert set(frame["layer"]) == {"logistics_hubs", "transfer_zones"}
    assert all("420000" in codes for codes in frame["province_adcodes"])
    assert "hub-yichang" in set(frame["feature_id"])
    everything = atlas.features
    expected = everything[
        everything["layer"].isin(state.layers) & everything["province_adcodes"].map(lambda c: "420000" in c)
    ]
    assert sorted(frame["feature_id"]) == sorted(expected["feature_id"])


def test_no_layers_gives_an_empty_but_well_formed_export(atlas) -> None:
    frame = datasets.features_in_view(atlas, ViewState(layers=()))
    assert len(frame) == 0
    assert datasets.to_csv_bytes(frame).decode("utf-8-sig").splitlines() == [",".join(datasets.COLUMNS)]
    assert json.loads(datasets.to_geojson_bytes(frame)) == {"type": "FeatureCollection", "features": []}


def test_csv_names_the_joined_units_and_joins_lists_readably(atlas) -> None:
    frame = datasets.features_in_view(atlas, ViewState(layers=("logistics_hubs",), provinces=HUBEI))
    rows = list(csv.DictReader(io.StringIO(datasets.to_csv_bytes(frame).decode("utf-8-sig"))))
    yichang = next(row for row in rows if row["feature_id"] == "hub-yichang")
    assert yichang["prefecture_adcodes"] == "420500"
    assert yichang["prefecture_names_en"] == "Yichang" and yichang["prefecture_names_zh"] == "宜昌市"
    assert yichang["province_names_zh"] == "湖北省"
    assert yichang["approximate"] in ("true", "false")
    assert yichang["quote"] and yichang["section"] and yichang["source"]
    assert float(yichang["lon"]) > 110 and float(yichang["lat"]) > 30


def test_zone_lists_use_semicolons_and_keep_every_code(atlas) -> None:
    frame = datasets.features_in_view(atlas, ViewState(layers=("transfer_zones",)))
    rows = {r["feature_id"]: r for r in csv.DictReader(io.StringIO(datasets.to_csv_bytes(frame).decode("utf-8-sig")))}
    wanjiang = frame.set_index("feature_id").loc["tz-wanjiang"]
    assert rows["tz-wanjiang"]["county_adcodes"] == ";".join(wanjiang["county_adcodes"])
    assert len(rows["tz-wanjiang"]["county_names_zh"].split(";")) == len(wanjiang["county_adcodes"])
    assert rows["tz-wanjiang"]["approximate"] == "false"


def test_geojson_keeps_lists_as_arrays_and_missing_values_as_null(atlas) -> None:
    frame = datasets.features_in_view(atlas, ViewState(layers=("transfer_zones", "logistics_hubs")))
    data = json.loads(datasets.to_geojson_bytes(frame))
    assert data["type"] == "FeatureCollection" and len(data["features"]) == len(frame)
    by_id = {f["properties"]["feature_id"]: f for f in data["features"]}
    zone = by_id["tz-wanjiang"]
    assert zone["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert isinstance(zone["properties"]["county_adcodes"], list) and "340102" in zone["properties"]["county_adcodes"]
    assert zone["properties"]["approximate"] is False and zone["properties"]["tier"] is None
    assert by_id["hub-yichang"]["geometry"]["type"] == "Point"
    assert set(zone["properties"]) == set(datasets.COLUMNS)


def test_detailed_export_has_the_detailed_geometry(atlas, detail_atlas) -> None:
    state = ViewState(layers=("transfer_zones",))
    light = json.loads(datasets.to_geojson_bytes(datasets.features_in_view(atlas, state)))
    detail = json.loads(datasets.to_geojson_bytes(datasets.features_in_view(detail_atlas, state)))
    assert len(json.dumps(detail["features"][0]["geometry"])) > len(json.dumps(light["features"][0]["geometry"]))
