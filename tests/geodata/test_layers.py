"""The one layer registry: every layer has its names, theme, style and label priority, and matches the data."""

from __future__ import annotations

from dataclasses import replace

import pytest

from geodata.layers import LAYER_IDS, LAYERS, THEMES, LayerStyle, label_order, layer_info, layer_problems


def test_the_registry_is_complete() -> None:
    assert layer_problems() == []
    assert set(THEMES) == {layer.theme for layer in LAYERS}  # no theme without a layer, none without a name


@pytest.mark.parametrize(
    "change",
    [
        {"name_zh": ""},
        {"name_zh": "Central cities"},  # an English name in the Chinese slot
        {"name_en": " "},
        {"theme": "transport"},
        {"kind": "line"},
        {"style": LayerStyle("red", "circle", 12, "top center")},
        {"style": LayerStyle("#c92a2a")},  # a point layer without its marker
        {"label_priority": None},
        {"label_priority": 2},  # the logistics hubs' priority: a tie
    ],
)
def test_a_layer_lacking_any_part_fails_the_check(change: dict) -> None:
    broken = tuple(replace(layer, **change) if layer.id == "central_cities" else layer for layer in LAYERS)
    assert layer_problems(broken)


def test_a_duplicate_layer_id_fails_the_check() -> None:
    assert layer_problems((*LAYERS, LAYERS[0]))


def test_label_order_ranks_exactly_the_layers_with_points() -> None:
    order = label_order()
    assert set(order) == {layer.id for layer in LAYERS if layer.kind in ("point", "mixed")}
    priorities = [layer_info(layer_id).label_priority for layer_id in order]
    assert priorities == sorted(priorities)
    shuffled = tuple(reversed(LAYERS))
    assert label_order(shuffled) == order  # the priority decides, not the registry's order


def test_each_layers_kind_matches_its_features(atlas) -> None:
    assert tuple(atlas.layers) == LAYER_IDS
    for layer_id, rows in atlas.layers.items():
        kinds = set(rows.geom_type.replace({"MultiPolygon": "Polygon"}))
        expected = {"point": {"Point"}, "zone": {"Polygon"}, "province": {"Polygon"}, "mixed": {"Point", "Polygon"}}
        assert len(rows) and kinds == expected[layer_info(layer_id).kind], layer_id


def test_the_river_corridors_name_covers_every_river_kind_in_it(atlas) -> None:
    name = layer_info("river_corridors").name_zh
    rivers = {feature.split("沿线")[0][-1] for feature in atlas.layers["river_corridors"]["name_zh"]}
    assert rivers == {"江", "河"}  # the Xiang, Gan and Yangtze are 江; the Fen is a 河
    assert all(f"沿{kind}" in name for kind in rivers)
