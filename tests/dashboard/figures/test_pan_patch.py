"""A pan or zoom that stays on one side of the screen LOD switch sends only the view and the moved labels/symbols."""

from __future__ import annotations

import itertools
import json

import orjson
import pytest
from plotly.io.json import to_json_plotly

from dashboard.figures import screen as figures
from dashboard.ui.callbacks import as_patch
from dashboard.view.scene import resolve
from dashboard.view.state import ViewState
from geodata.layers import LAYER_IDS
from geodata.screen_lod import LOD_MAX_SCALE
from tests.dashboard.figures.patching import apply

#: Trace roles whose positions follow the view: labels are placed on screen, co-located symbols spread in px.
MOVING_ROLES = ("labels", "points", "selection")
#: A pan patch stays under this share of the whole figure's JSON (geometry resent would be most of it).
MAX_SHARE = 0.03


def as_data(figure: object) -> str:
    return json.dumps(json.loads(to_json_plotly(figure)), sort_keys=True)


#: (old scale, old centre), (new scale, new centre): pans and zooms below and above the switch.
PANS = [
    ((2.0, (112.0, 30.0)), (2.0, (114.0, 29.0))),
    ((2.0, (112.0, 30.0)), (3.0, (113.0, 31.0))),
    ((4.0, (111.5, 32.0)), (LOD_MAX_SCALE, (112.5, 30.5))),
    ((1.0, (112.5, 30.5)), (1.2, (113.0, 31.0))),
    ((1.5, (112.5, 30.5)), (1.0, (111.0, 29.0))),
]


@pytest.mark.parametrize("level", ["province", "county"])
@pytest.mark.parametrize("pan", PANS, ids=lambda pan: f"{pan[0][0]}-{pan[1][0]}")
def test_a_pan_within_one_lod_sends_no_geometry_and_patches_to_the_fresh_figure(atlas, level: str, pan) -> None:
    (s0, c0), (s1, c1) = pan
    layers = LAYER_IDS if level == "county" else ViewState().layers
    old = ViewState(level=level, layers=layers, center=c0, scale=s0)
    new = ViewState(level=level, layers=layers, center=c1, scale=s1)
    assert figures.drawn_atlas(atlas, old) is figures.drawn_atlas(atlas, new)
    specs = figures.trace_specs(figures.drawn_atlas(atlas, new), level, phys=resolve(new).physical_layers())
    updates = figures.patch_updates(atlas, resolve(old), resolve(new))
    for path, _ in updates:
        assert path[0] == "layout" or path[2] not in ("geojson",), path
        if path[0] == "data" and path[2] in ("lon", "lat"):
            assert specs[path[1]].role in MOVING_ROLES, (path, specs[path[1]].role)
    fresh = figures.map_figure_data(atlas, resolve(new))
    assert json.dumps(apply(figures.map_figure_data(atlas, resolve(old)), updates), sort_keys=True) == as_data(fresh)
    sent = len(orjson.dumps(as_patch(updates), option=orjson.OPT_SERIALIZE_NUMPY))
    assert sent < MAX_SHARE * len(as_data(fresh)), sent


def test_a_chain_of_pans_gives_the_fresh_figure_each_time(atlas) -> None:
    """Each patch's old view is the previous patch's new one (its props are reused): the chain still adds up."""
    views = [ViewState(level="county", center=(112.0 + i / 2, 30.0 + i / 4), scale=2.0 + i / 3) for i in range(4)]
    views.append(ViewState(level="county"))  # back across the switch
    drawn = json.loads(as_data(figures.map_figure_data(atlas, resolve(views[0]))))
    for old, new in itertools.pairwise(views):
        drawn = apply(drawn, figures.patch_updates(atlas, resolve(old), resolve(new)))
        assert json.dumps(drawn, sort_keys=True) == as_data(figures.map_figure_data(atlas, resolve(new))), new


def test_a_patch_answer_is_encoded_natively_by_orjson(atlas) -> None:
    """Dash tries orjson first; an object it cannot encode sends the whole answer through plotly's slow walk."""
    updates = figures.patch_updates(
        atlas, resolve(ViewState(level="county")), resolve(ViewState(level="county", center=(113, 30), scale=2))
    )
    patch = as_patch(updates)
    body = orjson.loads(orjson.dumps({"response": {"atlas-map": {"figure": patch}}}, option=orjson.OPT_SERIALIZE_NUMPY))
    sent = body["response"]["atlas-map"]["figure"]
    assert sent["__dash_patch_update"] == "__dash_patch_update"
    assert len(sent["operations"]) == len(updates)


@pytest.mark.parametrize("scales", [(None, 2.5), (2.5, None)], ids=["in", "out"])
def test_a_zoom_across_the_switch_resends_the_geometry_of_shown_traces_only(atlas, scales: tuple) -> None:
    old, new = (ViewState(level="county", center=(113.0, 30.5) if s else None, scale=s) for s in scales)
    assert figures.drawn_atlas(atlas, old) is not figures.drawn_atlas(atlas, new)
    updates = figures.patch_updates(atlas, resolve(old), resolve(new))
    fresh = figures.map_figure_data(atlas, resolve(new))
    resent = {path[1] for path, _ in updates if path[0] == "data" and path[2] in ("geojson", "lon", "lat")}
    hidden = {i for i, trace in enumerate(fresh["data"]) if trace.get("visible", True) is False}
    assert resent and not resent & hidden, sorted(resent & hidden)
    assert json.dumps(apply(figures.map_figure_data(atlas, resolve(old)), updates), sort_keys=True) == as_data(fresh)


@pytest.mark.parametrize("scale", [None, 3.0], ids=["out", "in"])
def test_layer_toggles_patch_to_the_fresh_figure_zoomed_out_and_in(atlas, scale) -> None:
    zoom = {"center": (113.0, 30.5), "scale": scale} if scale else {}
    shown = ViewState(level="county", layers=("transfer_zones", "metro_circles"), **zoom)
    off = ViewState(level="county", layers=("metro_circles",), **zoom)
    for old, new in ((shown, off), (off, shown)):
        patched = apply(
            figures.map_figure_data(atlas, resolve(old)), figures.patch_updates(atlas, resolve(old), resolve(new))
        )
        assert json.dumps(patched, sort_keys=True) == as_data(figures.map_figure_data(atlas, resolve(new))), (
            old.layers,
            scale,
        )
