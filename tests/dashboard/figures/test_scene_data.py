"""The figures draw the data the resolved scene carries (objects in), and say so when a scene lacks it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dashboard.figures import screen
from dashboard.view.scene import bundled_physical, resolve, scene_of
from dashboard.view.state import ViewState


def roles(figure: dict, role: str) -> list[dict]:
    return [t for t in figure["data"] if t.get("meta", {}).get("role") == role]


def test_the_map_draws_the_physical_layers_the_scene_carries(atlas) -> None:
    bundled = bundled_physical()
    assert len(bundled.relief) > 1
    one_band = replace(bundled, relief=bundled.relief.iloc[:1])
    full = screen.map_figure(atlas, resolve(ViewState())).to_plotly_json()
    mine = screen.map_figure(atlas, resolve(ViewState(), physical=one_band)).to_plotly_json()
    assert len(roles(full, "relief")) == len(bundled.relief)
    assert [t["meta"]["name_en"] for t in roles(mine, "relief")] == [bundled.relief.iloc[0]["name_en"]]


def indicator_traces(atlas, scene) -> list[dict]:
    return [
        t
        for t in screen.map_figure(atlas, resolve(scene)).to_plotly_json()["data"]
        if t.get("legendgroup") == "indicator"
    ]


def test_the_indicator_map_classes_the_table_the_scene_carries(atlas) -> None:
    scene = resolve(ViewState(indicator="rd_intensity"))
    assert any(t.get("visible") for t in indicator_traces(atlas, scene))
    empty = replace(scene, indicators=scene.indicator_table().iloc[0:0])  # a table without the indicator
    assert not any(t.get("visible") for t in indicator_traces(atlas, empty))


def test_a_scene_made_without_its_data_is_refused_with_the_way_to_make_it(atlas) -> None:
    with pytest.raises(ValueError, match="resolve"):
        screen.map_figure(atlas, resolve(scene_of(ViewState())))


def test_a_builder_refuses_a_plain_view_so_it_never_reads_the_bundled_data(atlas) -> None:
    from dashboard.figures import printing

    for build in (screen.map_figure, screen.map_figure_data, screen.layout_props):
        with pytest.raises(TypeError, match="resolve"):
            build(atlas, ViewState())
    with pytest.raises(TypeError, match="resolve"):
        printing.print_spec(atlas, ViewState(), options=printing.PrintOptions())
    with pytest.raises(TypeError, match="resolve"):
        screen.view_title(ViewState())
