"""The strict export parser: presets, custom sizes and limits, formats, options, view keys, names and links."""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

import pytest

from dashboard.export.request import (
    NAME_PATTERN,
    ExportError,
    download_name,
    export_href,
    export_query,
    parse_export,
    parse_view,
)
from dashboard.figures.printing import PrintOptions
from dashboard.view.state import ViewState, parse_query

DAY = datetime.date(2025, 3, 14)


def test_defaults_give_a_slide_of_the_default_view(atlas) -> None:
    request = parse_export("", fmt="png", atlas=atlas)
    assert request.state == ViewState()
    assert (request.size, request.options) == ("slide", PrintOptions())
    assert request.pixels == (1920, 1080)


@pytest.mark.parametrize(
    ("query", "fmt", "expected"),
    [
        ("size=a4", "png", (1123, 794, 300 / 96)),
        ("size=A3", "png", (1587, 1123, 300 / 96)),
        ("size=a4", "pdf", (1123, 794, 1.0)),  # vector: the page is the CSS size (842 x 596 pt)
        ("size=1600x900", "svg", (1600, 900, 1.0)),
        ("width=1000&height=700&scale=2", "png", (1000, 700, 2.0)),
        ("size=a4&scale=1", "png", (1123, 794, 1.0)),
    ],
)
def test_sizes(atlas, query: str, fmt: str, expected: tuple) -> None:
    options = parse_export(query, fmt=fmt, atlas=atlas).options
    assert (options.width, options.height, options.scale) == pytest.approx(expected)


def test_a4_png_is_about_3508_by_2480_pixels(atlas) -> None:
    width, height = parse_export("size=a4", fmt="png", atlas=atlas).pixels
    assert abs(width - 3508) <= 2 and abs(height - 2480) <= 2


@pytest.mark.parametrize(
    ("query", "fmt", "message"),
    [
        ("colour=red", "png", "unknown parameter(s): colour"),
        ("colour=red&zoom=3", "png", "unknown parameter(s): colour, zoom"),
        ("size=b5", "png", "unknown size 'b5'"),
        ("size=100x100", "png", "width must be between 200 and 5000 px, not 100"),
        ("size=1920x9000", "png", "height must be between 200 and 5000 px, not 9000"),
        ("width=1000", "png", "width and height go together"),
        ("size=a4&width=1000&height=800", "png", "either size or width and height"),
        ("width=10.5&height=300", "png", "width must be a whole number"),
        ("size=5000x5000&scale=2", "png", "image too large: 10000 x 10000 px is over 40 MP"),
        ("scale=9", "png", "scale must be between 0.5 and 5, not 9"),
        ("scale=nan", "png", "scale must be between"),
        ("scale=2", "pdf", "scale applies to png only"),
        ("size=a4", "csv", "size only apply to images"),
        ("legend=yes", "png", "legend must be 0 or 1"),
        ("subtitle=" + "x" * 201, "png", "subtitle is 201 characters; the limit is 200"),
        ("size=a4&size=a3", "png", "given more than once: size"),
        ("layers=logistics_hubs,railways", "png", "layers='railways': unknown value (known: transfer_zones"),
        ("provinces=110000", "png", "provinces='110000': unknown value"),
        ("level=township", "png", "level='township': unknown value"),
        ("lang=fr", "png", "lang='fr'"),
        ("select=nowhere", "png", "select='nowhere': unknown value (a feature id or an adcode)"),
        ("story=guideline&view=epilogue", "png", "view='epilogue'"),
        ("labels=", "png", "labels='': malformed value"),
    ],
)
def test_bad_parameters_are_refused_with_a_message(atlas, query: str, fmt: str, message: str) -> None:
    with pytest.raises(ExportError) as error:
        parse_export(query, fmt=fmt, atlas=atlas)
    assert message in str(error.value)


def test_unknown_format_is_refused(atlas) -> None:
    with pytest.raises(ExportError, match="unknown format 'bmp'; choose one of png, svg, pdf, geojson, csv"):
        parse_export("", fmt="bmp", atlas=atlas)


def test_options_and_subtitle(atlas) -> None:
    query = "title=0&legend=0&source=0&scalebar=0&north=0&subtitle=Draft+for+review"
    options = parse_export(query, fmt="svg", atlas=atlas).options
    assert (options.title, options.legend, options.source, options.scalebar, options.north) == (False,) * 5
    assert options.subtitle == "Draft for review"
    assert parse_export("subtitle=0", fmt="png", atlas=atlas).options.subtitle == ""
    assert parse_export("subtitle=", fmt="png", atlas=atlas).options.subtitle == ""
    assert parse_export("subtitle=1", fmt="png", atlas=atlas).options.subtitle is None


def test_view_keys_are_read_as_the_app_reads_them(atlas) -> None:
    query = "layers=metro_circles,central_cities&provinces=420000,430000&level=county&lang=zh"
    query += "&select=mc-wuhan&fit=select"
    request = parse_export(query, fmt="pdf", atlas=atlas)
    assert request.state == parse_query(query, selectable={"mc-wuhan"})[0]
    step = parse_export("story=guideline&view=metro&lang=zh", fmt="png", atlas=atlas).state
    assert (step.view, step.level, step.lang) == ("metro", "prefecture", "zh")
    assert "metro_circles" in step.layers


def test_parse_view_takes_only_view_keys() -> None:
    assert parse_view("?layers=logistics_hubs").layers == ("logistics_hubs",)
    with pytest.raises(ExportError, match="unknown view parameter"):
        parse_view("?size=a4")


def test_download_names_carry_the_step_or_a_view_slug_and_the_date(atlas) -> None:
    step, _ = parse_query("story=guideline&view=logistics")
    assert (
        download_name(step, fmt="pdf", today=DAY) == "central-region-atlas_guideline-02-logistics_slide_2025-03-14.pdf"
    )
    view = ViewState(layers=("metro_circles",), provinces=("420000", "430000"), select="mc-wuhan", fit="select")
    name = download_name(view, fmt="png", today=DAY)
    assert name == "central-region-atlas_hubei-hunan_prefecture_metro_circles_mc-wuhan_slide_2025-03-14.png"
    assert download_name(ViewState(), fmt="csv", today=DAY).startswith("central-region-atlas_central_prefecture_3-")


def test_download_names_differ_by_size_and_format() -> None:
    names = {
        download_name(ViewState(), fmt=fmt, size=size, today=DAY)
        for fmt in ("png", "svg", "pdf")
        for size in ("slide", "a4", "a3", "1600x900")
    }
    assert len(names) == 12
    assert download_name(ViewState(), fmt="pdf", size="a3", today=DAY).endswith("_a3_2025-03-14.pdf")


def test_custom_title_text_round_trips_and_flags_still_work(atlas) -> None:
    request = parse_export("title=Hubs%20and%20zones&size=a4", fmt="pdf", atlas=atlas)
    assert request.options.title and request.options.title_text == "Hubs and zones"
    assert parse_export(export_query(request), fmt="pdf", atlas=atlas) == request
    assert parse_export("title=0", fmt="png", atlas=atlas).options.title is False
    with pytest.raises(ExportError, match="title must be one line"):
        parse_export("title=a%0Ab", fmt="png", atlas=atlas)


def test_download_names_always_fit_the_endpoint_name_pattern() -> None:
    long = ViewState(
        layers=("revolutionary_base_areas", "urban_agglomerations"),
        provinces=("140000", "340000", "360000", "410000", "420000"),
        level="prefecture",
        select="tz-wanjiang",
    )
    stem = download_name(long, fmt="geojson", today=DAY).rsplit(".", 1)[0]
    assert NAME_PATTERN.fullmatch(stem), stem


def test_export_href_round_trips_through_the_parser(atlas) -> None:
    state, _ = parse_query("story=guideline&view=metro&lang=zh")
    href = export_href(state, fmt="png", size="a4", options={"legend": False, "subtitle": "草稿"}, today=DAY)
    url = urlsplit(href)
    assert url.path == "/export/central-region-atlas_guideline-05-metro_a4_2025-03-14.png"
    request = parse_export(url.query, fmt="png", atlas=atlas)
    assert request.state == state
    assert (request.size, request.options.legend, request.options.subtitle) == ("a4", False, "草稿")
    assert request.options.scale == pytest.approx(300 / 96)


def test_export_href_carries_a_png_scale(atlas) -> None:
    href = export_href(ViewState(), fmt="png", size="1600x900", scale=2)
    assert parse_export(urlsplit(href).query, fmt="png", atlas=atlas).pixels == (3200, 1800)
    assert "scale" not in export_href(ViewState(), fmt="pdf", size="a4", scale=2)  # vector: no pixel scale
    with pytest.raises(ExportError, match="scale must be between"):
        export_href(ViewState(), fmt="png", scale=50)


def test_export_href_for_data_leaves_out_image_options(atlas) -> None:
    state = ViewState(select="hub-yichang", fit="select")
    href = export_href(state, fmt="csv", size="a3", options={"north": False})
    request = parse_export(urlsplit(href).query, fmt="csv", atlas=atlas)
    assert request.state == state and request.fmt == "csv"
    with pytest.raises(ExportError, match="unknown option"):
        export_href(state, fmt="png", options={"colour": True})
