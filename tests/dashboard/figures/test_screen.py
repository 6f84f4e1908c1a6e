"""Figure builders tested as data: traces per layer, legend, filters, language, patches."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.figures import screen as figures
from dashboard.view.i18n import layer_name
from dashboard.view.scene import resolve
from dashboard.view.state import ViewState
from geodata.layers import LAYER_IDS


def fig_dict(atlas, state: ViewState) -> dict:
    return figures.map_figure(atlas, resolve(state)).to_plotly_json()


def traces(fig: dict, *, role: str, layer: str | None = None) -> list[dict]:
    return [t for t in fig["data"] if t["meta"]["role"] == role and (layer is None or t["meta"]["layer"] == layer)]


def legend_names(fig: dict) -> list[str]:
    shown = [t for t in fig["data"] if t.get("visible", True) is not False and t.get("showlegend", True)]
    return [t["name"].replace("<br>", " ") for t in shown]  # long entries are wrapped onto two lines


@pytest.fixture(scope="module")
def default_fig(atlas) -> dict:
    return fig_dict(atlas, ViewState())


def test_every_layer_has_traces_and_only_chosen_layers_are_visible(atlas, default_fig) -> None:
    state = ViewState()
    for layer in LAYER_IDS:
        layer_traces = [t for t in default_fig["data"] if t["meta"]["layer"] == layer]
        assert layer_traces, layer
        assert {t["visible"] for t in layer_traces} == {layer in state.layers}, layer


def test_points_and_zones_draw_every_feature_once(atlas, default_fig) -> None:
    for layer, rows in atlas.layers.items():
        drawn_points = sum(len(t["lon"]) for t in traces(default_fig, role="points", layer=layer))
        drawn_zones = sum(len(t["locations"]) for t in traces(default_fig, role="zones", layer=layer))
        assert drawn_points == int((rows.geom_type == "Point").sum()), layer
        assert drawn_zones == int((rows.geom_type != "Point").sum()), layer


def test_legend_lists_exactly_the_visible_layers(atlas, default_fig) -> None:
    names = legend_names(default_fig)
    for layer in LAYER_IDS:
        shown = any(name.startswith(layer_name(layer, "en")) for name in names)
        assert shown == (layer in ViewState().layers), layer


def test_approximate_zones_are_dashed_and_flagged_in_the_legend(atlas, default_fig) -> None:
    zones = atlas.layers["transfer_zones"]
    outlines = traces(default_fig, role="outline", layer="transfer_zones")
    assert len(outlines) == len(zones)
    for outline, approximate in zip(outlines, zones["approximate"], strict=True):
        assert outline["line"]["dash"] == ("dash" if approximate else "solid")
    assert "Industrial transfer demonstration zones (approx.)" in legend_names(default_fig)


def test_province_filter_dims_elsewhere_and_fits_the_map(atlas, default_fig) -> None:
    fig = fig_dict(atlas, ViewState(provinces=("420000",)))
    units = traces(fig, role="units")[0]
    kept = {units["locations"][i] for i in units["selectedpoints"]}
    hubei = set(atlas.prefectures.loc[atlas.prefectures["province_adcode"] == "420000", "adcode"])
    assert kept == hubei
    west, south, east, north = atlas.provinces.set_index("adcode").geometry["420000"].bounds
    lon, lat = fig["layout"]["geo"]["lonaxis"]["range"], fig["layout"]["geo"]["lataxis"]["range"]
    assert lon[0] < west and lon[1] > east and lat[0] < south and lat[1] > north
    default_lon = default_fig["layout"]["geo"]["lonaxis"]["range"]
    assert lon[1] - lon[0] < default_lon[1] - default_lon[0]
    hubs = traces(fig, role="points", layer="logistics_hubs")[0]
    assert [hubs["customdata"][i][1] for i in hubs["selectedpoints"]] == ["hub-yichang"]


def test_all_provinces_dim_nothing(default_fig) -> None:
    assert all(t.get("selectedpoints") is None for t in default_fig["data"] if "selectedpoints" in t)


def test_language_switches_names_labels_and_title(atlas) -> None:
    fig = fig_dict(atlas, ViewState(lang="zh", layers=("central_cities",)))
    assert "中部六省" in fig["layout"]["title"]["text"]
    cities = traces(fig, role="points", layer="central_cities")[0]
    assert cities["name"] == "中心城市"
    assert "武汉市" in traces(fig, role="labels")[0]["text"]
    assert fig["layout"]["legend"]["title"]["text"] == "图层"
    assert all("<br>" in text for text in cities["hovertext"])  # both names in every hover


def test_hover_shows_both_names_and_the_layer(default_fig) -> None:
    hubs = traces(default_fig, role="points", layer="logistics_hubs")[0]
    text = hubs["hovertext"][hubs["customdata"].index(["feature", "hub-zhengzhou"])]
    assert "Zhengzhou" in text and "郑州" in text and "National logistics hubs" in text


def test_labels_can_be_switched_off_but_province_names_stay(atlas, default_fig) -> None:
    assert "Zhengzhou" in traces(default_fig, role="labels")[0]["text"]
    fig = fig_dict(atlas, ViewState(labels=False))
    keys = traces(fig, role="labels")[0]["meta"]["keys"]
    assert keys and all(key.startswith("province:") for key in keys)


def test_one_label_per_place_among_shown_layers(atlas) -> None:
    fig = fig_dict(atlas, ViewState(layers=("central_cities", "logistics_hubs")))
    texts = traces(fig, role="labels")[0]["text"]
    assert texts.count("Zhengzhou") == 1 and "Yichang" in texts


def test_selection_is_highlighted_and_can_be_fitted(atlas) -> None:
    fig = fig_dict(atlas, ViewState(select="mc-wuhan", fit="select"))
    highlight = traces(fig, role="selection")[0]
    assert highlight["visible"] and len(highlight["lon"]) > 10
    west, _, east, _ = atlas.features.set_index("feature_id").geometry["mc-wuhan"].bounds
    lon = fig["layout"]["geo"]["lonaxis"]["range"]
    assert lon[0] < west and lon[1] > east and lon[1] - lon[0] < 10


@pytest.mark.parametrize("aspect", [0.8, 1.6, 2.4])
def test_fit_aspect_matches_the_panel(aspect: float) -> None:
    west, south, east, north = figures.fit_aspect((110.0, 24.0, 118.0, 40.0), aspect)
    width = np.radians(east - west)
    height = figures.mercator_y(north) - figures.mercator_y(south)
    assert width / height == pytest.approx(aspect, rel=1e-6)
    assert west <= 110 and east >= 118 and south <= 24 and north >= 40


def apply(fig: dict, updates: list) -> dict:
    """The figure a browser holds after a patch: values set, DELETE keys removed (null is unset in plotly)."""
    out = copy.deepcopy(fig)
    for path, value in updates:
        target = out
        for key in path[:-1]:
            target = target[key] if isinstance(target, list) else target.setdefault(key, {})
        if value is None or value is figures.DELETE:
            target.pop(path[-1], None)
        else:
            target[path[-1]] = value
    return out


def as_data(fig: dict) -> str:
    return json.dumps(fig, sort_keys=True, default=str)


CHANGES = [
    {"layers": ("metro_circles", "central_cities", "province_roles")},
    {"provinces": ("340000", "360000")},
    {"lang": "zh"},
    {"labels": False},
    {"select": "hub-ganzhou"},
    {"select": "420100", "fit": "select"},
]


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("backwards", [False, True])
def test_patch_turns_the_old_figure_into_the_new_one(atlas, default_fig, change: dict, backwards: bool) -> None:
    old, new = ViewState(), ViewState().with_(**change)
    if backwards:
        old, new = new, old
    start = default_fig if not backwards else fig_dict(atlas, old)
    patched = apply(start, figures.patch_updates(atlas, resolve(old), resolve(new)))
    assert json.dumps(patched, sort_keys=True, default=str) == json.dumps(
        fig_dict(atlas, new), sort_keys=True, default=str
    )


def test_a_layer_toggle_sends_a_tiny_patch(atlas, default_fig) -> None:
    updates = figures.patch_updates(atlas, resolve(ViewState()), resolve(ViewState(layers=("metro_circles",))))
    patch_bytes = len(json.dumps([[list(p), v] for p, v in updates], default=str))
    assert patch_bytes < 15_000  # visibility flags plus the re-placed labels
    assert patch_bytes * 50 < len(json.dumps(default_fig, default=str))  # the figure itself shrank with the screen LOD


def test_a_level_change_is_not_patched(atlas) -> None:
    with pytest.raises(ValueError, match="level change"):
        figures.patch_updates(atlas, resolve(ViewState()), resolve(ViewState(level="county")))


def test_county_level_draws_every_county(atlas) -> None:
    fig = fig_dict(atlas, ViewState(level="county"))
    assert len(traces(fig, role="units")[0]["locations"]) == 703
    assert "County boundaries" in fig["layout"]["title"]["text"]


def test_screen_geometry_winds_clockwise_for_d3(atlas) -> None:
    import shapely

    for geom in figures.rounded(atlas.context.geometry):
        assert all(not part.exterior.is_ccw for part in shapely.get_parts(geom))


def test_presenter_mode_draws_large_type_and_bold_lines(atlas, default_fig) -> None:
    fig = fig_dict(atlas, ViewState(present=True))
    assert fig["layout"]["font"]["size"] >= 1.5 * default_fig["layout"]["font"]["size"]
    bold = traces(fig, role="province_outline")[0]["line"]["width"]
    assert bold >= 1.5 * traces(default_fig, role="province_outline")[0]["line"]["width"]
    hubs, normal = (
        traces(fig, role="points", layer="logistics_hubs")[0],
        traces(default_fig, role="points", layer="logistics_hubs")[0],
    )
    assert hubs["marker"]["size"] > normal["marker"]["size"]


def test_a_story_step_titles_the_map_with_its_caption(atlas) -> None:
    from dashboard.view.scene import resolve
    from dashboard.view.state import with_step
    from dashboard.view.stories import load_story

    step = load_story().step("metro")
    fig = fig_dict(atlas, resolve(with_step(ViewState(lang="zh"), step)))
    assert fig["layout"]["title"]["text"] == step.title["zh"]
    assert step.caption["zh"] in fig["layout"]["title"]["subtitle"]["text"]
    english = fig_dict(atlas, resolve(with_step(ViewState(), step)))
    assert (
        "Heifei [sic] city to form metropolitan circles (guideline section 3)"
        in english["layout"]["title"]["subtitle"]["text"]
    )


def test_presenter_mode_is_not_patched(atlas) -> None:
    with pytest.raises(ValueError, match="presenter mode"):
        figures.patch_updates(atlas, resolve(ViewState()), resolve(ViewState(present=True)))


@pytest.fixture(scope="module")
def parks(atlas):
    from geodata.userdata import read_user_file

    text = "name,lng,lat,jobs\nA,114.30,30.60,10\nB,114.31,30.61,30\nC,113.62,34.75,5\nD,121.47,31.23,2\n"
    return read_user_file(text.encode(), filename="parks.csv", atlas=atlas)


def test_an_upload_is_drawn_and_colours_the_units(atlas, parks) -> None:
    state = ViewState(upload="A" * 16, measure="sum", measure_col="jobs", upload_label="name")
    fig = figures.map_figure(atlas, resolve(state, upload=parks)).to_plotly_json()
    points = traces(fig, role="upload_points")[0]
    assert points["visible"] and len(points["lon"]) == 4 and points["text"] == ["A", "B", "C", "D"]
    assert points["name"] == "parks.csv (4)"
    units = traces(fig, role="units")[0]
    z = dict(zip(units["locations"], units["z"], strict=True))
    # z holds classes: 5 and 40 are two classes (ranked), a unit without rows is "no data" (-1), not zero
    assert z["420100"] == 1 and z["410100"] == 0 and z["430100"] == -1
    bar = units["colorbar"]
    assert units["showscale"] and bar["title"]["text"] == "Sum of jobs"
    assert dict(zip(bar["tickvals"], bar["ticktext"], strict=True)) == {-1: "No data", 0: "5", 1: "40"}
    assert "Sum of jobs: 40" in units["hovertext"][units["locations"].index("420100")]
    counted = traces(fig_dict_with(atlas, state.with_(measure="count"), parks), role="units")[0]
    assert dict(zip(counted["locations"], counted["z"], strict=True))["430100"] == 0  # a count of none is zero: data
    assert "No data" not in counted["colorbar"]["ticktext"]


def fig_dict_with(atlas, state, upload):
    return figures.map_figure(atlas, resolve(state, upload=upload)).to_plotly_json()


def test_without_an_upload_the_units_stay_flat(default_fig) -> None:
    units = traces(default_fig, role="units")[0]
    assert units["showscale"] is False and set(units["z"]) == {0}
    assert traces(default_fig, role="upload_points")[0]["visible"] is False


@pytest.mark.parametrize(
    "change",
    [
        {"measure": "count"},
        {"measure": "mean", "measure_col": "jobs"},
        {"upload_color": "teal"},
        {"upload_label": "name"},
    ],
)
def test_patches_carry_upload_changes(atlas, parks, change: dict) -> None:
    old = ViewState(upload="A" * 16)
    new = old.with_(**change)
    start = fig_dict_with(atlas, old, parks)
    patched = apply(start, figures.patch_updates(atlas, resolve(old, upload=parks), resolve(new, upload=parks)))
    assert json.dumps(patched, sort_keys=True, default=str) == json.dumps(
        fig_dict_with(atlas, new, parks), sort_keys=True, default=str
    )


UPLOAD_ID = "A" * 16
#: Views at one level and theme (so a patch applies), with and without labels, selection, upload and its colouring.
patchable_views = st.builds(
    ViewState,
    layers=st.lists(st.sampled_from(LAYER_IDS), unique=True).map(tuple),
    provinces=st.lists(st.sampled_from(["340000", "360000", "420000", "430000"]), unique=True, min_size=1).map(tuple),
    lang=st.sampled_from(["en", "zh"]),
    labels=st.booleans(),
    select=st.sampled_from([None, "hub-ganzhou", "420100", "mc-wuhan"]),
    fit=st.sampled_from(["provinces", "select"]),
    upload=st.sampled_from([None, UPLOAD_ID]),
    measure=st.sampled_from(["", "count"]),
    upload_label=st.sampled_from([None, "name"]),
    upload_color=st.sampled_from(["violet", "teal"]),
    upload_show=st.booleans(),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(old=patchable_views, new=patchable_views)
def test_a_patched_figure_equals_a_fresh_one_even_when_keys_go(atlas, parks, old: ViewState, new: ViewState) -> None:
    upload = {None: None, UPLOAD_ID: parks}
    start = fig_dict_with(atlas, old, upload[old.upload])
    updates = figures.patch_updates(
        atlas, resolve(old, upload=upload[old.upload]), resolve(new, upload=upload[new.upload])
    )
    assert as_data(apply(start, updates)) == as_data(fig_dict_with(atlas, new, upload[new.upload]))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (ViewState(upload=UPLOAD_ID, measure="count"), ViewState()),  # the colour bar and its range go
        (ViewState(upload=UPLOAD_ID, upload_label="name"), ViewState(upload=UPLOAD_ID, upload_show=False)),
        (ViewState(upload=UPLOAD_ID), ViewState()),  # the upload's marker style goes with it
    ],
)
def test_turning_things_off_deletes_their_keys(atlas, parks, old: ViewState, new: ViewState) -> None:
    upload = {None: None, UPLOAD_ID: parks}
    updates = figures.patch_updates(
        atlas, resolve(old, upload=upload[old.upload]), resolve(new, upload=upload[new.upload])
    )
    patched = apply(fig_dict_with(atlas, old, upload[old.upload]), updates)
    assert as_data(patched) == as_data(fig_dict_with(atlas, new, upload[new.upload]))
    if new.upload is None:
        assert any(value is figures.DELETE for _, value in updates)


def test_a_value_being_made_is_waited_for_not_made_again() -> None:
    import threading

    from dashboard.figures.screen import remember

    cache: dict = {}
    started, release, calls = threading.Event(), threading.Event(), []

    def make() -> list:
        calls.append(1)
        started.set()
        release.wait(5)
        return ["made"]

    got: list = []
    first = threading.Thread(target=lambda: got.append(remember(cache, ("k",), make, limit=4)))
    first.start()
    started.wait(5)
    second = threading.Thread(target=lambda: got.append(remember(cache, ("k",), make, limit=4)))
    second.start()
    second.join(0.2)
    assert second.is_alive()  # the second asker waits for the first ...
    release.set()
    first.join(5)
    second.join(5)
    assert calls == [1] and got[0] is got[1]  # ... and gets the same value, made once


def test_a_failed_make_reaches_every_asker_and_the_next_ask_tries_again() -> None:
    from dashboard.figures.screen import remember

    cache: dict = {}

    def fail() -> None:
        raise ValueError("no geometry")

    with pytest.raises(ValueError, match="no geometry"):
        remember(cache, ("k",), fail, limit=4)
    assert remember(cache, ("k",), lambda: 7, limit=4) == 7 and cache == {("k",): 7}
