"""Labels and the planner's point labels stay readable over dark classes: light text on a dark halo there."""

from __future__ import annotations

import pytest

from dashboard.figures import labels, screen
from dashboard.view.scene import resolve
from dashboard.view.state import ViewState
from geodata import classify
from geodata.userdata import UserLayer, read_user_file

#: Two parks in Wuhan, one each in Zhengzhou and Hefei, none in Changsha: counts 2, 1, 1, 0.
PARKS = "name,jobs,lng,lat\nA,10,114.30,30.60\nB,30,114.31,30.61\nC,5,113.62,34.75\nD,0,117.23,31.82\n"
COUNTED = ViewState(upload="A" * 16, measure="count", level="prefecture", layers=(), upload_label="name")


@pytest.fixture(scope="module")
def parks(atlas) -> UserLayer:
    return read_user_file(PARKS.encode(), filename="parks.csv", atlas=atlas)


def test_wcag_luminance_and_contrast_of_black_and_white() -> None:
    assert labels.relative_luminance("#ffffff") == pytest.approx(1.0)
    assert labels.relative_luminance("#000000") == 0.0
    assert labels.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert labels.contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the WCAG AA borderline grey


@pytest.mark.parametrize("name", sorted(classify.PALETTES))
def test_over_the_darkest_class_a_label_is_light_and_over_the_lightest_dark(name: str) -> None:
    colours = classify.palette(5, name=name)
    fills = [colours[-1], colours[0], None]
    inks, halos = labels.styles_over(fills, ["#5c636a"] * 3)
    assert inks == [labels.LIGHT_INK, "#5c636a", "#5c636a"]
    assert halos == [labels.DARK_HALO, labels.HALO, labels.HALO]


def _traces(atlas, state, layer) -> dict[str, dict]:
    fig = screen.map_figure(atlas, resolve(state, upload=layer)).to_plotly_json()
    return {t["meta"]["role"]: t for t in fig["data"] if t.get("meta", {}).get("role") in ("labels", "upload_points")}


def _label_styles(trace: dict) -> dict[str, tuple[str, str]]:
    font = trace["textfont"]
    colours = font["color"] if isinstance(font["color"], list) else [font["color"]] * len(trace["text"])
    halos = font["shadow"] if isinstance(font["shadow"], list) else [font["shadow"]] * len(trace["text"])
    return dict(zip(trace["meta"]["keys"], zip(colours, halos, strict=True), strict=True))


def test_unit_labels_follow_the_class_under_them(atlas, parks) -> None:
    styles = _label_styles(_traces(atlas, COUNTED, parks)["labels"])
    assert styles["prefecture:420100"] == (labels.LIGHT_INK, labels.DARK_HALO)  # Wuhan: 2 parks, the darkest class
    assert styles["prefecture:430100"][1] == labels.HALO  # Changsha: 0 parks, the lightest class
    assert styles["prefecture:430100"][0] != labels.LIGHT_INK
    plain = _label_styles(_traces(atlas, COUNTED.with_(measure=""), parks)["labels"])
    assert {halo for _, halo in plain.values()} == {labels.HALO}  # no classes: every label as before


def test_the_planners_point_labels_follow_the_class_under_them(atlas, parks) -> None:
    points = _traces(atlas, COUNTED, parks)["upload_points"]
    font = points["textfont"]
    styles = dict(zip(points["text"], zip(font["color"], font["shadow"], strict=True), strict=True))
    assert styles["A"] == styles["B"] == (labels.LIGHT_INK, labels.DARK_HALO)
    plain = _traces(atlas, COUNTED.with_(measure=""), parks)["upload_points"]
    assert plain["textfont"]["shadow"] == labels.HALO
    assert points["marker"]["line"]["color"] == "white"  # the symbol keeps its white outline over any class
