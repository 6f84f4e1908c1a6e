"""The planner's layer on the map: classed units with a legend as data, tooltips, and 100,000 points fast."""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pytest

from dashboard.figures import overlay, screen
from dashboard.view.scene import resolve
from dashboard.view.state import ViewState
from geodata import classify
from geodata.userdata import UserLayer, join_units, read_user_file

PARKS = (
    "name,sector,jobs,lng,lat\n"
    "A,光电子,10,114.30,30.60\nB,auto,30,114.31,30.61\nC,auto,5,113.62,34.75\nD,chem,0,117.23,31.82\n"
)


@pytest.fixture(scope="module")
def parks(atlas) -> UserLayer:
    return read_user_file(PARKS.encode(), filename="parks.csv", atlas=atlas)


def units_trace(atlas, state, layer) -> dict:
    fig = screen.map_figure(atlas, resolve(state, upload=layer)).to_plotly_json()
    return next(t for t in fig["data"] if t.get("meta", {}).get("role") == "units")


def test_count_legend_has_integer_classes_and_zero_is_not_no_data(atlas, parks) -> None:
    state = ViewState(upload="A" * 16, measure="count", level="prefecture")
    codes = atlas.units("prefecture")["adcode"].tolist()
    legend = overlay.unit_legend(codes, parks, state)
    labels = [entry["label"] for entry in legend]
    assert all("." not in label for label in labels)  # never a tick at 0.5
    assert "No data" not in labels  # a count of none is zero, a value
    classes = overlay.unit_classes(codes, parks, state)
    wuhan, changsha = codes.index("420100"), codes.index("430100")
    assert classes.classes[changsha] == 0 and classes.classes[wuhan] == classes.k - 1


def test_a_sum_tells_zero_from_no_data(atlas, parks) -> None:
    state = ViewState(upload="A" * 16, measure="sum", measure_col="jobs", level="prefecture")
    trace = units_trace(atlas, state, parks)
    z = dict(zip(trace["locations"], trace["z"], strict=True))
    assert z["340100"] == 0 and z["430100"] == classify.NO_DATA  # Hefei's park has 0 jobs; Changsha has no row
    colours = dict(zip(trace["colorbar"]["tickvals"], trace["colorbar"]["ticktext"], strict=True))
    assert colours[classify.NO_DATA] == "No data" and colours[0] == "0"


def test_user_breaks_and_a_titled_legend(atlas, parks) -> None:
    state = ViewState(
        upload="A" * 16, measure="sum", measure_col="jobs", level="prefecture", upload_classes="user", breaks="5,20",
        legend_title="Jobs in parks", legend_unit="people",
    )  # fmt: skip
    trace = units_trace(atlas, state, parks)
    assert trace["colorbar"]["title"]["text"] == "Jobs in parks (people)"
    assert [t for t in trace["colorbar"]["ticktext"] if t != "No data"] == ["0–5", "6–20", "21–40"]
    z = dict(zip(trace["locations"], trace["z"], strict=True))
    assert (z["410100"], z["420100"]) == (0, 2)  # Zhengzhou 5 -> first class; Wuhan 40 -> third


def test_the_step_colour_scale_gives_each_class_its_legend_colour(atlas, parks) -> None:
    state = ViewState(
        upload="A" * 16, measure="sum", measure_col="jobs", level="prefecture", upload_classes="quantiles"
    )
    trace = units_trace(atlas, state, parks)
    codes = trace["locations"]
    legend = {e["class"]: e["color"] for e in overlay.unit_legend(codes, parks, state)}
    low, high, scale = trace["zmin"], trace["zmax"], trace["colorscale"]
    for value, colour in legend.items():
        position = (value - low) / (high - low)
        inside = [c for (a, c), (b, _) in zip(scale[::2], scale[1::2], strict=True) if a <= position <= b]
        assert colour in inside


def test_tooltips_show_label_and_numeric_columns(parks) -> None:
    state = ViewState(upload="A" * 16, upload_label="name")
    props = overlay.upload_points_props(parks, state, theme=screen.theme_for(state))
    assert props["hovertext"][0].startswith("<b>A</b><br>jobs: 10<br>420")


def big_layer(n: int) -> UserLayer:
    rng = np.random.default_rng(7)
    frame = gpd.GeoDataFrame(
        {"name": [f"p{i}" for i in range(n)], "jobs": rng.integers(0, 500, n)},
        geometry=gpd.points_from_xy(rng.uniform(108.5, 119.5, n), rng.uniform(24.5, 40.5, n)),
        crs=4326,
    )
    from dashboard.uploads.store import detail_units

    return UserLayer("big.csv", join_units(frame, atlas=detail_units()), "EPSG:4326")


def test_100000_points_toggle_in_a_vectorised_patch(atlas) -> None:
    layer = big_layer(100_000)
    old = ViewState(upload="A" * 16, measure="sum", measure_col="jobs", upload_label="name")
    new = old.with_(upload_show=False)
    before, after = resolve(old, upload=layer), resolve(new, upload=layer)
    start = time.perf_counter()
    updates = screen.patch_updates(atlas, before, after)
    seconds = time.perf_counter() - start
    # 0.15-0.35 s here when quiet; the per-row loop this guards against took 10 s. Room for a loaded CI machine.
    assert seconds < 2.0, f"a toggle took {seconds:.2f} s"
    assert any(path[-1] == "visible" and value is False for path, value in updates)
    points = overlay.upload_points_props(layer, old, theme=screen.theme_for(old))
    assert len(points["lon"]) <= overlay.MAX_POINTS and "of 100,000 drawn" in points["name"]


def test_a_table_layer_has_no_points_and_colours_units_without_rows_as_no_data(atlas) -> None:
    import pandas as pd

    from geodata import tables

    match = tables.match_table(pd.DataFrame({"county": ["江岸区", "洪山区"], "gdp": ["120", "50"]}))
    layer = UserLayer("gdp.csv", tables.table_layer_frame(match), "none")
    state = ViewState(upload="A" * 16, level="county", measure="count")
    fig = screen.map_figure(atlas, resolve(state, upload=layer)).to_plotly_json()
    points = next(t for t in fig["data"] if t.get("meta", {}).get("role") == "upload_points")
    assert points["lon"] == [] and points["hovertext"] == []
    z = dict(
        zip(
            *(next(t for t in fig["data"] if t.get("meta", {}).get("role") == "units")[k] for k in ("locations", "z")),
            strict=True,
        )
    )
    assert z["420102"] >= 0 and z["140105"] == classify.NO_DATA  # a table's count: no row is no data, not zero


def test_the_hover_columns_can_be_chosen(parks) -> None:
    state = ViewState(upload="A" * 16, upload_label="name", tooltip_cols="sector,nope")
    props = overlay.upload_points_props(parks, state, theme=screen.theme_for(state))
    assert props["hovertext"][0].startswith("<b>A</b><br>sector: 光电子<br>420") and "jobs" not in props["hovertext"][0]


def test_the_print_figure_has_the_same_classes_and_legend_as_the_screen(atlas, parks) -> None:
    from dashboard.figures.printing import PrintOptions, print_figure

    state = ViewState(
        upload="A" * 16, measure="sum", measure_col="jobs", level="prefecture", upload_classes="quantiles"
    )
    screen_units = units_trace(atlas, state, parks)
    printed = print_figure(atlas, resolve(state, upload=parks), options=PrintOptions()).to_plotly_json()
    print_units = next(t for t in printed["data"] if t.get("meta", {}).get("role") == "units")
    assert print_units["z"] == screen_units["z"]
    assert print_units["colorbar"]["ticktext"] == screen_units["colorbar"]["ticktext"]
    assert print_units["colorscale"] == screen_units["colorscale"]
