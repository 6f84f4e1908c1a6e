"""The loading API: schema, CRS, unique ids, caching, and loud failures on bad data."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import shapely

from geodata import GeodataError, feature_counts, features_in_unit, load_atlas
from geodata._paths import CENTRAL_PROVINCES, GUIDELINE_DIR, LEVELS
from geodata.layers import FEATURE_COLUMNS, LAYER_IDS


def test_load_atlas_is_cached_per_resolution(atlas) -> None:
    assert load_atlas() is atlas
    assert load_atlas(resolution="detail") is not atlas


def test_unknown_resolution_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown resolution"):
        load_atlas(resolution="huge")


@pytest.mark.parametrize("level", ["province", "prefecture", "county"])
def test_boundaries_schema(atlas, level: str) -> None:
    frame = atlas.units(level)
    assert frame.crs.to_epsg() == 4326
    assert frame["adcode"].is_unique
    expected = {"adcode", "name_en", "name_zh", "is_central"}
    expected |= {"province_adcode"} if level != "province" else set()
    expected |= {"prefecture_adcode"} if level == "county" else set()
    assert expected <= set(frame.columns)
    for column in expected - {"is_central"}:
        assert frame[column].map(type).eq(str).all(), column
        assert frame[column].str.len().gt(0).all(), column
    assert frame.geometry.is_valid.all()


def test_detail_resolution_has_the_same_units_with_more_vertices(atlas) -> None:
    detail = load_atlas(resolution="detail")
    for level in ("province", "prefecture", "county"):
        light, fine = atlas.units(level), detail.units(level)
        assert list(light["adcode"]) == list(fine["adcode"])
        assert shapely.get_num_coordinates(fine.geometry).sum() > shapely.get_num_coordinates(light.geometry).sum()


def test_every_layer_is_loaded_with_the_feature_columns(atlas) -> None:
    assert list(atlas.layers) == list(LAYER_IDS)
    for layer_id, frame in atlas.layers.items():
        assert len(frame), layer_id
        assert set(FEATURE_COLUMNS) <= set(frame.columns), layer_id
        assert (frame["layer"] == layer_id).all()
        assert frame.crs.to_epsg() == 4326
    ids = atlas.features["feature_id"]
    assert ids.is_unique


def test_feature_counts_table(atlas) -> None:
    counts = feature_counts(atlas)
    assert list(counts.index) == list(CENTRAL_PROVINCES)
    assert list(counts.columns) == list(LAYER_IDS)
    # Zhengzhou, Changsha, Taiyuan, Yichang and Ganzhou: one hub in each province but Anhui.
    hubs = counts["logistics_hubs"].to_dict()
    assert hubs == {"140000": 1, "340000": 0, "360000": 1, "410000": 1, "420000": 1, "430000": 1}
    assert (counts["province_roles"] == 1).all()


def test_features_in_unit_reads_the_join_backwards(atlas) -> None:
    wuhan = set(features_in_unit(atlas, adcode="420100")["feature_id"])
    assert {"city-wuhan", "mc-wuhan"} <= wuhan
    assert "city-zhengzhou" not in wuhan
    shanxi = set(features_in_unit(atlas, adcode="140000")["feature_id"])
    assert {"rz-shanxi-resource", "hub-taiyuan", "role-140000"} <= shanxi


def test_units_rejects_an_unknown_level(atlas) -> None:
    with pytest.raises(KeyError, match="unknown admin level"):
        atlas.units("township")


def test_missing_boundary_file_names_the_fix(monkeypatch, tmp_path) -> None:
    from geodata import load

    monkeypatch.setattr(load, "boundary_path", lambda **_: tmp_path / "gone.geojson")
    with pytest.raises(GeodataError, match=r"python -m geodata\.build"):
        load.read_boundaries(level="county", resolution="light")


def test_features_frame_concatenates_layers(atlas) -> None:
    assert len(atlas.features) == sum(len(frame) for frame in atlas.layers.values())
    assert isinstance(atlas.features, pd.DataFrame)


def test_a_boundary_file_with_a_duplicate_adcode_fails_naming_it(monkeypatch, tmp_path) -> None:
    from geodata import load

    frame = load.read_boundaries(level="province", resolution="light").iloc[:3]
    frame = pd.concat([frame, frame.iloc[[1]]])
    path = tmp_path / "province.light.geojson"
    frame.to_file(path, driver="GeoJSON")
    monkeypatch.setattr(load, "boundary_path", lambda **_: path)
    with pytest.raises(GeodataError, match=rf"duplicate adcode \['{frame.iloc[1]['adcode']}'\]"):
        load.read_boundaries(level="province", resolution="light")


def test_guideline_features_with_a_duplicate_id_fail_naming_it(monkeypatch) -> None:
    from geodata import load

    original = load.guideline_features

    def doubled(**options):
        features = original(**options)
        return pd.concat([features, features[features["feature_id"] == "hub-zhengzhou"]], ignore_index=True)

    monkeypatch.setattr(load, "guideline_features", doubled)
    with pytest.raises(GeodataError, match=r"guideline layers: duplicate feature_id \['hub-zhengzhou'\]"):
        load.build_atlas(resolution="light")  # built afresh: the session's atlas and the snapshot stay as they are


@pytest.mark.parametrize("resolution", ["light", "detail"])
def test_stored_joins_equal_a_fresh_join(resolution: str) -> None:
    from geodata import joins_store, load

    boundaries = {level: load.read_boundaries(level=level, resolution=resolution) for level in LEVELS}
    stored = joins_store.apply(load.checked_features(boundaries), resolution=resolution)
    assert stored is not None, "the stored joins are missing or stale: run `python -m geodata.build`"
    fresh = load.joined_features(boundaries, resolution=resolution, stored=False)
    pd.testing.assert_frame_equal(stored, fresh)


def test_stale_stored_joins_are_not_used(monkeypatch, tmp_path) -> None:
    from geodata import joins_store, load

    boundaries = {level: load.read_boundaries(level=level, resolution="light") for level in LEVELS}
    features = load.checked_features(boundaries)
    assert joins_store.apply(features, resolution="light") is not None
    changed = tmp_path / "guideline"
    shutil.copytree(GUIDELINE_DIR, changed)
    with (changed / "points.csv").open("a", encoding="utf-8") as f:
        f.write("\n")
    monkeypatch.setattr(joins_store, "GUIDELINE_DIR", changed)
    assert joins_store.apply(features, resolution="light") is None
