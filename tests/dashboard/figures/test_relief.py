"""The shaded relief under print maps: where it lies on the page, that it lines up with the map, when it is drawn."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from dashboard.export.request import parse_export
from dashboard.export.service import relief_raster, shade_for
from dashboard.figures import relief
from dashboard.figures.printing import PrintOptions, map_area, page_frame, print_spec, subtitle_text
from dashboard.figures.projection import ScreenMap
from dashboard.figures.screen import screen_map
from dashboard.view.scene import resolve
from dashboard.view.state import ViewState

A4 = PrintOptions(width=1123, height=794, scale=300 / 96)


def image_of(spec: dict) -> list[dict]:
    return [image for image in spec["layout"].get("images", []) if image.get("name") == "relief-shade"]


def decoded(image: dict) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(image["source"].split(",", 1)[1])))


@pytest.fixture(scope="module")
def a4_spec(detail_atlas) -> dict:
    return print_spec(detail_atlas, resolve(ViewState()), options=A4, shade=relief_raster())


def test_the_a4_map_has_the_relief_image_beneath_it_filling_the_map_frame(detail_atlas, a4_spec) -> None:
    (image,) = image_of(a4_spec)
    assert (image["xref"], image["yref"], image["layer"], image["sizing"]) == ("paper", "paper", "below", "stretch")
    assert (image["x"], image["y"], image["sizex"], image["sizey"], image["xanchor"], image["yanchor"]) == (
        0, 1, 1, 1, "left", "top",
    )  # fmt: skip
    assert a4_spec["layout"]["geo"]["bgcolor"] == "rgba(0,0,0,0)"  # the image shows through the map's background
    scene = resolve(ViewState())
    area = map_area(page_frame(A4, subtitle=subtitle_text(detail_atlas, resolve(scene), options=A4)), A4)
    width, height = decoded(image).size
    assert abs(width / height - area.width / area.height) < 0.01  # the raster has the map frame's shape
    assert a4_spec["layout"]["margin"]["l"] + area.width + a4_spec["layout"]["margin"]["r"] == A4.width
    alpha = np.asarray(decoded(image).convert("LA"))[..., 1]
    assert 0 < alpha.max() <= round(0.35 * 255) + 1  # light: at most the source's 0.35 shadow
    screen = screen_map(detail_atlas, ViewState(), area)
    xs, _ = screen.to_px(np.array([110.5, 119.0]), np.array([32.0, 32.0]))
    shaded_columns = np.nonzero((alpha > 0).any(axis=0))[0] * area.width / width
    assert shaded_columns.min() < xs[0] and shaded_columns.max() > xs[1]  # under the whole region, west to east


def test_the_credit_line_names_the_relief_source_only_when_it_is_drawn(detail_atlas, a4_spec) -> None:
    source = next(a for a in a4_spec["layout"]["annotations"] if a.get("name") == "source")["text"]
    assert "shadedrelief.com" in source and "Patterson" in source
    plain = print_spec(detail_atlas, resolve(ViewState()), options=A4)
    assert not image_of(plain)
    assert "shadedrelief" not in next(a for a in plain["layout"]["annotations"] if a.get("name") == "source")["text"]


def test_relief_switched_off_in_the_view_draws_no_image(detail_atlas) -> None:
    spec = print_spec(detail_atlas, resolve(ViewState(context=("lakes", "rivers"))), options=A4, shade=relief_raster())
    assert not image_of(spec) and spec["layout"]["geo"]["bgcolor"] == "white"


def test_print_sizes_get_the_shade_and_slides_do_not() -> None:
    assert shade_for(parse_export("size=a4", fmt="png")) is relief_raster()
    assert shade_for(parse_export("size=a3", fmt="pdf")) is relief_raster()
    assert shade_for(parse_export("size=slide", fmt="png")) is None
    assert shade_for(parse_export("", fmt="png")) is None  # the default size is the slide
    assert shade_for(parse_export("size=1600x900", fmt="png")) is None


def test_a_shaded_pixel_lands_where_the_map_draws_its_lon_lat() -> None:
    """One dark source pixel at a known place must come out at that place's pixel in the conic frame."""
    alpha = np.zeros((200, 300))
    west, south, east, north = 105.0, 22.0, 125.0, 42.0
    lon, lat = 117.25, 34.65  # centre of the source pixel (row 73, column 183) on this grid
    row, col = int((north - lat) / (north - south) * 200), int((lon - west) / (east - west) * 300)
    alpha[row - 1 : row + 2, col - 1 : col + 2] = 1.0  # a 3x3 block, well away from the feathered edges
    shade = relief.ShadeRaster(alpha=alpha, bounds=(west, south, east, north), attribution="test")
    screen = ScreenMap(900, 700, (106.0, 124.0), (23.0, 41.0))
    warped = relief.warp(shade, screen)
    ys, xs = np.nonzero(warped > 0.5 * warped.max())
    x, y = screen.to_px(
        np.array([(col + 0.5) / 300 * (east - west) + west]), np.array([north - (row + 0.5) / 200 * 20])
    )
    assert abs(xs.mean() + 0.5 - float(x[0])) < 1.5 and abs(ys.mean() + 0.5 - float(y[0])) < 1.5


def test_the_inverse_projection_undoes_the_forward_one() -> None:
    from dashboard.figures.projection import project_raw

    lon, lat = np.meshgrid(np.linspace(100, 125, 6), np.linspace(20, 45, 6))
    back = relief.unproject(*project_raw(lon, lat))
    assert np.allclose(back[0], lon, atol=1e-9) and np.allclose(back[1], lat, atol=1e-9)


def test_base_fills_look_the_same_on_white_paper_and_let_the_shade_through() -> None:
    for color in ("#fbfaf6", "#eceae4", "#ffffff"):
        rgba = relief.translucent(color)
        *rgb, alpha = (float(v) for v in rgba[5:-1].split(","))
        over_white = [alpha * c + (1 - alpha) * 255 for c in rgb]
        assert all(abs(o - int(color[i : i + 2], 16)) <= 1 for o, i in zip(over_white, (1, 3, 5), strict=True))
        assert alpha == pytest.approx(1 - relief.LET_THROUGH)
    traces = [{"meta": {"role": "units"}, "colorscale": [[0, "#fbfaf6"], [1, "#fbfaf6"]]}, {"meta": "points"}]
    out = relief.let_shade_through(traces)
    assert out[0]["colorscale"][0][1].startswith("rgba(") and out[1] == traces[1]


def test_the_png_encoder_round_trips_the_shade() -> None:
    alpha = np.linspace(0, 1, 35 * 20).reshape(20, 35)
    image = Image.open(io.BytesIO(relief.png_gray_alpha(alpha))).convert("LA")
    assert image.size == (35, 20)
    pixels = np.asarray(image)
    assert np.abs(pixels[..., 1] - np.round(alpha * 255)).max() <= 1 and pixels[..., 0].max() == 0
