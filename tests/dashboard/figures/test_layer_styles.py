"""The figures draw each layer as the registry says: colour, marker, size and label placement."""

from __future__ import annotations

from dashboard.config import PRESENT_THEME, THEME
from dashboard.figures.screen import map_figure, translucent
from dashboard.view.scene import resolve
from dashboard.view.state import ViewState
from geodata.layers import LAYER_IDS, layer_info


def test_every_theme_styles_exactly_the_registrys_layers() -> None:
    for theme in (THEME, PRESENT_THEME):
        assert tuple(theme.layers) == LAYER_IDS
        assert all(theme.layers[layer_id] == layer_info(layer_id).style for layer_id in LAYER_IDS)


def test_the_map_draws_points_and_zones_in_the_registrys_style(atlas) -> None:
    fig = map_figure(atlas, resolve(ViewState(layers=LAYER_IDS))).to_dict()
    drawn = set()
    for trace in fig["data"]:
        meta = trace.get("meta") or {}
        layer = meta.get("layer")
        if not layer or meta.get("group") or layer not in LAYER_IDS:
            continue  # province roles are coloured by strategy; physical context is not a guideline layer
        style = layer_info(layer).style
        if meta["role"] == "points":
            marker = trace["marker"]
            assert (marker["color"], marker["symbol"], marker["size"]) == (style.color, style.symbol, style.size)
        elif meta["role"] == "zones":
            opaque = translucent(style.color, 1)  # zones are drawn as a pale fill of the layer's colour
            assert trace["colorscale"][0][1].startswith(opaque[: -len("1)")])
        drawn.add(layer)
    assert drawn == set(LAYER_IDS) - {"province_roles"}
