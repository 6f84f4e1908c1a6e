"""Files a publisher accepts: PDF with real embedded fonts and metadata, PNG with its dpi, SVG with named fonts."""

from __future__ import annotations

import io
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

from dashboard.view import i18n

AUTHOR = "Central Region Atlas"
PRODUCER = "Central Region Atlas (plotly.js, librsvg, pypdf)"
#: ISO 216 paper in PostScript points, for the presets that name a paper size.
PAPER_PT = {"a4": (841.89, 595.28), "a3": (1190.55, 841.89)}
PX_PT = 0.75  # CSS px to pt
RSVG_TIMEOUT_S = 60


class PublishError(RuntimeError):
    """The PDF could not be made from the SVG; the message says why."""


def page_points(*, size: str, width: int, height: int) -> tuple[float, float]:
    """The PDF page in pt: the ISO paper for a4 and a3, else the CSS size at 0.75 pt per px."""
    return PAPER_PT.get(size, (width * PX_PT, height * PX_PT))


def rsvg_path() -> str:
    """The SVG-to-PDF converter (Debian's librsvg2-bin)."""
    found = shutil.which("rsvg-convert")
    if not found:
        raise PublishError("rsvg-convert is missing: apt-get install librsvg2-bin (tools/system-deps.sh)")
    return found


#: A CSS text-shadow declaration inside a style attribute, as Chromium serialises plotly's label halos.
TEXT_SHADOW = re.compile(rb"text-shadow:\s*([^;\"]*);?")
SHADOW_COLOUR = re.compile(r"rgba?\([^)]*\)|#[0-9a-fA-F]{3,8}")
SHADOW_LENGTHS = re.compile(r"(-?[\d.]+)px")
#: The stroke drawn for a shadow is at least this wide (px), so a thin halo still separates text from lines.
MIN_HALO_STROKE_PX = 2.0


def stroke_halos(svg: bytes) -> bytes:
    """The SVG with each text-shadow halo (which librsvg ignores) drawn as a stroke beneath the glyphs instead.

    `paint-order: stroke` paints the stroke first, so the fill keeps its full shape; the text stays text.
    The stroke is as wide as the shadow reaches (largest offset plus half the blur, each side).
    """
    return TEXT_SHADOW.sub(_halo_stroke, svg)


def _halo_stroke(match: re.Match[bytes]) -> bytes:
    shadow = match.group(1).decode(errors="replace").strip()
    colour = SHADOW_COLOUR.search(shadow)
    if colour is None or shadow == "none":
        return b""
    reach = 0.0
    for part in re.split(r",(?![^(]*\))", shadow):  # commas between shadows, not inside rgb()
        lengths = [abs(float(v)) for v in SHADOW_LENGTHS.findall(part)]
        if lengths:
            offset = max(lengths[:2], default=0.0)
            blur = lengths[2] if len(lengths) > 2 else 0.0
            reach = max(reach, offset + blur / 2)
    width = max(2 * reach, MIN_HALO_STROKE_PX)
    return (
        f"stroke: {colour.group(0)}; stroke-width: {width:g}px; stroke-linejoin: round; "
        "stroke-opacity: 1; paint-order: stroke fill;"
    ).encode()


def svg_to_pdf(svg: bytes, *, page_pt: tuple[float, float]) -> bytes:
    """One PDF page from an SVG, fonts embedded as CID fonts (Chromium's print path gives Type 3 fonts).

    Label halos, CSS text-shadows in the SVG, become strokes beneath the glyphs (librsvg draws no text-shadow).
    """
    width, height = page_pt
    with tempfile.TemporaryDirectory(prefix="atlas-pdf-") as folder:
        source = Path(folder) / "page.svg"
        source.write_bytes(stroke_halos(svg))
        command = [
            rsvg_path(),
            "--format=pdf",
            f"--page-width={width}pt",
            f"--page-height={height}pt",
            f"--width={width}pt",
            f"--height={height}pt",
            str(source),
        ]
        try:
            done = subprocess.run(command, capture_output=True, timeout=RSVG_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            raise PublishError(f"rsvg-convert took over {RSVG_TIMEOUT_S} s") from exc
    if done.returncode != 0:
        raise PublishError(f"rsvg-convert failed: {done.stderr.decode(errors='replace').strip()[:200]}")
    return done.stdout


def pdf_document(pages: list[bytes], *, title: str, subject: str = "", lang: str = "en") -> bytes:
    """One PDF of one or more single-page PDFs, with document title, author, producer and subject."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for page in pages:
        writer.append(io.BytesIO(page))
    writer.add_metadata(
        {
            "/Title": title,
            "/Author": AUTHOR,
            "/Creator": i18n.t("app_title", lang),
            "/Producer": PRODUCER,
            "/Subject": subject,
        }
    )
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def png_with_dpi(png: bytes, *, dpi: float) -> bytes:
    """The PNG with a pHYs chunk saying its dpi (inserted after IHDR; pixels untouched, no re-encoding)."""
    signature, ihdr_end = png[:8], 8 + 8 + 13 + 4
    if signature != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    rest = _drop_chunk(png[ihdr_end:], b"pHYs")
    per_metre = round(dpi / 0.0254)
    body = struct.pack(">IIB", per_metre, per_metre, 1)
    chunk = struct.pack(">I", len(body)) + b"pHYs" + body + struct.pack(">I", zlib.crc32(b"pHYs" + body))
    return png[:ihdr_end] + chunk + rest


def _drop_chunk(data: bytes, kind: bytes) -> bytes:
    out, offset = bytearray(), 0
    while offset < len(data):
        length = struct.unpack(">I", data[offset : offset + 4])[0]
        end = offset + 12 + length
        if data[offset + 4 : offset + 8] != kind:
            out += data[offset:end]
        offset = end
    return bytes(out)


def svg_with_title(svg: bytes, *, title: str) -> bytes:
    """The SVG with a <title> (its text stays <text> with the font family named, as plotly.js writes it)."""
    head, sep, tail = svg.partition(b">")
    if not sep or not head.startswith(b"<svg"):
        return svg
    from html import escape

    return head + sep + f"<title>{escape(title)}</title>".encode() + tail


def finish(spec: dict, *, fmt: str, size: str, options: object, title: str, lang: str = "en") -> bytes:
    """A print figure dict drawn by the warm browser as a publisher-ready PNG, SVG or PDF."""
    from dashboard.export import render

    width, height, scale = options.width, options.height, options.scale  # type: ignore[attr-defined]
    if fmt == "png":
        png = render.render(spec, fmt="png", width=width, height=height, scale=scale)
        return png_with_dpi(png, dpi=96 * scale)
    svg = render.render(spec, fmt="svg", width=width, height=height, scale=1.0)
    if fmt == "svg":
        return svg_with_title(svg, title=title)
    page = svg_to_pdf(svg, page_pt=page_points(size=size, width=width, height=height))
    return pdf_document([page], title=title, lang=lang)
