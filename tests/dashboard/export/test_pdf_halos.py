"""Label halos survive into PDFs: the SVG's CSS text-shadows (which librsvg ignores) become strokes under the text."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from PIL import Image
from pypdf import PdfReader

from dashboard.export import publish
from dashboard.figures.labels import DARK_HALO, HALO
from dashboard.view.scene import resolve

needs_tools = pytest.mark.skipif(
    not (shutil.which("rsvg-convert") and shutil.which("pdftoppm") and shutil.which("pdftotext")),
    reason="needs librsvg2-bin and poppler-utils (tools/system-deps.sh)",
)
#: Chromium's serialisation of the halo plotly writes (CSS text-shadow, colours as rgb()).
WHITE_SHADOW = (
    "rgb(255, 255, 255) 0px 0px 2px, rgb(255, 255, 255) 0px 0px 2px, rgb(255, 255, 255) 0px 0px 3px, "
    "rgb(255, 255, 255) 1px 1px 1px, rgb(255, 255, 255) -1px -1px 1px"
)
STYLE = "font-family: 'Noto Sans CJK SC', sans-serif; font-size: 28px; fill: rgb(52, 58, 64); fill-opacity: 1; "


def label_svg(shadow: str | None) -> bytes:
    """A dark band (a boundary line) with a dark label written across it, with or without a halo."""
    halo = f"text-shadow: {shadow}; " if shadow else ""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="100" viewBox="0 0 400 100">'
        '<rect width="400" height="100" fill="white"/>'
        '<rect x="0" y="40" width="400" height="20" fill="rgb(33, 37, 41)"/>'
        f'<text x="20" y="60" style="{STYLE}{halo}white-space: pre;">Zhengzhou 郑州</text></svg>'
    ).encode()


def test_text_shadow_halo_becomes_a_stroke_painted_beneath_the_fill() -> None:
    out = publish.stroke_halos(label_svg(WHITE_SHADOW)).decode()
    assert "text-shadow" not in out
    style = re.search(r'<text [^>]*style="([^"]*)"', out).group(1)
    assert "stroke: rgb(255, 255, 255);" in style and "paint-order: stroke" in style
    assert "stroke-linejoin: round" in style
    width = float(re.search(r"stroke-width: ([\d.]+)px", style).group(1))
    assert 2.5 <= width <= 4  # the shadow reaches 1.5 px beyond the glyphs (3 px blur or 1 px offset + 1 px blur)
    assert STYLE.strip() in style and "white-space: pre" in style  # the rest of the style is kept
    assert ">Zhengzhou 郑州</text>" in out


def test_a_dark_halo_gives_a_dark_stroke_and_no_shadow_gives_none() -> None:
    dark = DARK_HALO.replace("#212529", "rgb(33, 37, 41)")
    out = publish.stroke_halos(label_svg(dark)).decode()
    assert "stroke: rgb(33, 37, 41);" in out and "text-shadow" not in out
    plain = publish.stroke_halos(label_svg("none")).decode()
    assert "stroke" not in plain and "text-shadow" not in plain
    assert publish.stroke_halos(label_svg(None)) == label_svg(None)
    assert "#fff" in HALO  # the halo the labels are given is white


def _raster(pdf: bytes, tmp_path) -> Image.Image:
    (tmp_path / "page.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "144", "-png", "-singlefile", str(tmp_path / "page.pdf"), str(tmp_path / "p")])
    return Image.open(tmp_path / "p.png").convert("L")


def _light_on_band(image: Image.Image) -> int:
    """Light pixels inside the dark band (where the label crosses it): the halo, if there is one."""
    width, height = image.size
    top, bottom = round(height * 0.42), round(height * 0.58)  # inside the band, clear of its anti-aliased edges
    return sum(1 for y in range(top, bottom) for x in range(width) if image.getpixel((x, y)) > 200)


@needs_tools
def test_a_pdf_label_over_a_dark_line_reads_on_a_white_halo_and_stays_text(tmp_path) -> None:
    page_pt = (300.0, 75.0)
    halo = publish.svg_to_pdf(label_svg(WHITE_SHADOW), page_pt=page_pt)
    bare = publish.svg_to_pdf(label_svg(None), page_pt=page_pt)
    assert _light_on_band(_raster(bare, tmp_path)) < 20  # dark text on a dark band: nothing light
    assert _light_on_band(_raster(halo, tmp_path)) > 500
    (tmp_path / "halo.pdf").write_bytes(halo)
    text = subprocess.run(["pdftotext", str(tmp_path / "halo.pdf"), "-"], capture_output=True, text=True).stdout
    assert "Zhengzhou 郑州" in text
    fonts = subprocess.run(["pdffonts", str(tmp_path / "halo.pdf")], capture_output=True, text=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and not [row for row in rows if "Type 3" in row] and all(" yes " in row for row in rows)


def _white_strokes(pdf: bytes) -> int:
    return sum(page.get_contents().get_data().count(b"1 1 1 RG") for page in PdfReader(io.BytesIO(pdf)).pages)


@needs_tools
@pytest.mark.usefixtures("renderer")
def test_a_real_pdf_export_strokes_every_label_halo(detail_atlas, tmp_path) -> None:
    from dashboard.export import render
    from dashboard.figures.printing import PrintOptions, print_spec
    from dashboard.view.state import ViewState

    options = PrintOptions(width=1123, height=794)
    spec = print_spec(detail_atlas, resolve(ViewState()), options=options)
    (labels,) = [t for t in spec["data"] if (t.get("meta") or {}).get("role") == "labels"]
    svg = render.render(spec, fmt="svg", width=options.width, height=options.height, scale=1.0)
    shadows = svg.count(b"text-shadow")
    assert shadows >= len(labels["text"]) > 10
    stroked = publish.stroke_halos(svg)
    assert b"text-shadow" not in stroked and stroked.count(b"paint-order: stroke") == shadows
    page_pt = publish.page_points(size="a4", width=options.width, height=options.height)
    pdf = publish.pdf_document([publish.svg_to_pdf(svg, page_pt=page_pt)], title="halo")
    (tmp_path / "bare.svg").write_bytes(svg)
    bare = subprocess.run(
        ["rsvg-convert", "--format=pdf", str(tmp_path / "bare.svg")], capture_output=True, check=True
    ).stdout
    assert _white_strokes(pdf) >= _white_strokes(bare) + len(labels["text"])  # one white outline per label
    (tmp_path / "map.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(tmp_path / "map.pdf"), "-"], capture_output=True, text=True).stdout
    assert "Zhengzhou" in text and "河南" in text
