"""The fast screen figure (plain dicts from cached static traces) equals the validated go.Figure, as data."""

from __future__ import annotations

import json

import pytest
from plotly.io.json import to_json_plotly

from dashboard.figures import screen as figures
from dashboard.view.scene import resolve
from dashboard.view.state import ViewState, with_step
from dashboard.view.stories import load_story
from geodata.layers import LAYER_IDS
from tests.dashboard.figures.patching import apply


def as_data(figure: object) -> str:
    """The JSON the browser gets, keys sorted (Dash serialises both kinds through to_json_plotly)."""
    return json.dumps(json.loads(to_json_plotly(figure)), sort_keys=True)


def reference(atlas, scene, **kwargs) -> str:
    """The slow, simple way: every trace built afresh and validated by a go.Figure."""
    return as_data(figures.map_figure(atlas, resolve(scene), **kwargs))


VIEWS = [
    ViewState(),
    ViewState(level="county"),
    ViewState(level="county", layers=LAYER_IDS, lang="zh"),
    ViewState(level="province", provinces=("420000", "430000"), labels=False),
    ViewState(select="420100", fit="select", context=("rivers", "lakes", "relief")),
    ViewState(present=True, layers=("metro_circles", "province_roles")),
    ViewState(center=(113.0, 30.5), scale=3.2, level="county"),
]


@pytest.mark.parametrize("state", VIEWS, ids=lambda state: state.level + ("-zh" if state.lang == "zh" else ""))
def test_fast_figure_equals_the_validated_figure(atlas, state: ViewState) -> None:
    scene = resolve(state)
    assert as_data(figures.map_figure_data(atlas, resolve(scene))) == reference(atlas, scene)


def test_fast_figure_equals_the_validated_figure_for_every_story_step(atlas) -> None:
    story = load_story()
    for lang in ("en", "zh"):
        for step in story.steps:
            scene = resolve(with_step(ViewState(lang=lang), step))
            fast = figures.map_figure_data(atlas, resolve(scene), aspect=1.6, panel_width=1200)
            assert as_data(fast) == reference(atlas, scene, aspect=1.6, panel_width=1200), (lang, step.id)


def test_the_cached_geometry_is_not_changed_by_building_other_views(atlas) -> None:
    first = as_data(figures.map_figure_data(atlas, resolve(ViewState(level="county"))))
    for state in VIEWS:
        figures.map_figure_data(atlas, resolve(state))
    assert as_data(figures.map_figure_data(atlas, resolve(ViewState(level="county")))) == first
    assert first == reference(atlas, ViewState(level="county"))


@pytest.mark.parametrize("scales", [(None, 3.0), (3.0, 1.2), (1.0, 1.4)])
def test_a_zoom_across_the_lod_switch_patches_the_geometry(atlas, scales: tuple) -> None:
    old, new = (ViewState(level="county", center=(113.0, 30.5) if s else None, scale=s) for s in scales)
    updates = figures.patch_updates(atlas, resolve(old), resolve(new))
    patched = apply(figures.map_figure_data(atlas, resolve(old)), updates)
    assert json.dumps(patched, sort_keys=True) == as_data(figures.map_figure_data(atlas, resolve(new)))
    switched = figures.drawn_atlas(atlas, old) is not figures.drawn_atlas(atlas, new)
    assert any(path[-1] == "geojson" for path, _ in updates) == switched
