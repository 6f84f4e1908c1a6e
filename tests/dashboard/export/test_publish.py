"""Publisher checks without a browser: PDF fonts, text and metadata, page size, PNG dpi, SVG title."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from PIL import Image

from dashboard.export import publish

needs_tools = pytest.mark.skipif(
    not (shutil.which("rsvg-convert") and shutil.which("pdffonts") and shutil.which("pdftotext")),
    reason="needs librsvg2-bin and poppler-utils (tools/system-deps.sh)",
)
HUBS_ZH = "国家物流枢纽".encode()
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="1123" height="794" viewBox="0 0 1123 794">'
    b'<rect width="1123" height="794" fill="white"/>'
    b'<text x="20" y="40" style="font-family: \'Noto Sans CJK SC\', sans-serif; font-size: 21px;">'
    b"Logistics hubs " + HUBS_ZH + b"</text></svg>"
)


def _pdf_tool(name: str, data: bytes, tmp_path, *args: str) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(
        [name, *args, str(path), *(["-"] if name == "pdftotext" else [])], capture_output=True, text=True, check=True
    ).stdout


@needs_tools
def test_pdf_embeds_real_fonts_with_extractable_chinese_text_and_metadata(tmp_path) -> None:
    page = publish.svg_to_pdf(SVG, page_pt=publish.page_points(size="a4", width=1123, height=794))
    pdf = publish.pdf_document([page, page], title="物流枢纽 Logistics hubs", subject="test")
    fonts = _pdf_tool("pdffonts", pdf, tmp_path).splitlines()[2:]
    assert fonts and not [line for line in fonts if "Type 3" in line]
    assert all(" yes " in line for line in fonts)  # embedded
    text = _pdf_tool("pdftotext", pdf, tmp_path)
    assert "国家物流枢纽" in text and "Logistics hubs" in text
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata.title == "物流枢纽 Logistics hubs"
    assert reader.metadata.author == publish.AUTHOR and "Kaleido" not in (reader.metadata.producer or "")
    assert len(reader.pages) == 2
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 841.89) < 1 and abs(float(box.height) - 595.28) < 1  # ISO A4 landscape


def test_paper_sizes_are_iso_and_custom_sizes_follow_css_px() -> None:
    assert publish.page_points(size="a3", width=1587, height=1123) == (1190.55, 841.89)
    assert publish.page_points(size="1600x900", width=1600, height=900) == (1200.0, 675.0)


@pytest.mark.parametrize("dpi", [96, 150, 300])
def test_png_carries_its_dpi(dpi: int) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, format="PNG", dpi=(72, 72))
    out = publish.png_with_dpi(buffer.getvalue(), dpi=dpi)
    image = Image.open(io.BytesIO(out))
    assert image.info["dpi"] == pytest.approx((dpi, dpi), abs=0.05)
    assert image.size == (40, 30) and image.convert("RGB").getpixel((5, 5)) == (255, 255, 255)


def test_svg_gets_a_title_and_keeps_its_text() -> None:
    out = publish.svg_with_title(SVG, title="Hubs & zones")
    assert b"<title>Hubs &amp; zones</title>" in out and b"<text " in out and b"font-family" in out
