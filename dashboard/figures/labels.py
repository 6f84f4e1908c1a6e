"""Deterministic label placement: candidate positions around each anchor, by priority, no overlaps on screen."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import ImageFont

from dashboard.config import label_font_file

#: A white halo around every label (CSS text-shadow), so names read over lines and fills.
HALO = "0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff, 1px 1px 1px #fff, -1px -1px 1px #fff"
#: Over a dark fill a label turns light, with a dark halo of the same make.
DARK_INK = "#212529"
LIGHT_INK = "#ffffff"
DARK_HALO = HALO.replace("#fff", DARK_INK)
#: Face of the SC (simplified Chinese) variant inside the Noto CJK collection.
SC_FACE = 2
#: Plotly's textposition names, tried in this order around a point (the first that fits wins).
POINT_POSITIONS = (
    "top center", "middle right", "bottom center", "middle left",
    "top right", "bottom right", "top left", "bottom left",
)  # fmt: skip
AREA_POSITIONS = ("middle center", "top center", "bottom center")
#: Space between a point's symbol and its label, px.
GAP_PX = 2.0
#: Line height of a label as a share of its font size.
LINE_HEIGHT = 1.25


@functools.cache
def _font(size_px: int) -> ImageFont.FreeTypeFont | None:
    found = label_font_file()
    if found is None:
        return None
    path, is_noto = found
    return ImageFont.truetype(path, size=size_px, index=SC_FACE if is_noto else 0)


@functools.lru_cache(maxsize=4096)
def text_width(text: str, *, size_px: float) -> float:
    """Rendered width of one line in px, measured with the map's font (estimated if no font is installed)."""
    font = _font(max(1, round(size_px)))
    if font is not None:
        return float(font.getlength(text)) * size_px / max(1, round(size_px))
    return sum(size_px if unicodedata.east_asian_width(ch) in "WF" else 0.55 * size_px for ch in text)


def wrap_text(text: str, *, width_px: float, size_px: float, max_lines: int) -> str:
    """`text` broken with <br> into lines of at most `width_px` (at spaces, or between CJK characters).

    Past `max_lines` the last line ends in an ellipsis. Text with markup is returned as it is.
    """
    if not text or "<" in text or text_width(text, size_px=size_px) <= width_px:
        return text
    lines: list[str] = []
    line = ""
    for token in re.findall(r"[\u2e80-\u9fff\uff00-\uffef]|\s+|[^\s\u2e80-\u9fff\uff00-\uffef]+", text):
        trial = line + token
        if line.strip() and text_width(trial.rstrip(), size_px=size_px) > width_px and not token.isspace():
            lines.append(line.rstrip())
            line = token
        else:
            line = trial.lstrip() if not line else trial
    lines.append(line.rstrip())
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and text_width(last + "…", size_px=size_px) > width_px:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last.rstrip() + "…"]
    return "<br>".join(lines)


@dataclass(frozen=True)
class Candidate:
    """A label to place: its text, where it is anchored and how much room its symbol takes."""

    key: str  # a stable id (the feature or unit it names)
    text: str
    x: float  # anchor in screen px
    y: float
    size_px: float
    priority: float  # lower is placed first
    radius: float = 0.0  # half the size of the symbol at the anchor (0: an area or line label)
    positions: tuple[str, ...] = POINT_POSITIONS
    kind: str = "point"


@dataclass(frozen=True)
class Placed:
    """A placed label: the candidate, the textposition chosen and its box (x0, y0, x1, y1) in px."""

    candidate: Candidate
    position: str
    box: tuple[float, float, float, float]


TAG = re.compile(r"<[^>]+>")


def label_box(candidate: Candidate, position: str) -> tuple[float, float, float, float]:
    """The box a label occupies when drawn at `position` around its anchor (as plotly places text).

    Lines are split at <br>; other tags (bold, a smaller second line) are measured as plain text at full size.
    """
    lines = [TAG.sub("", line) for line in candidate.text.split("<br>")]
    width = max(text_width(line, size_px=candidate.size_px) for line in lines)
    height = candidate.size_px * LINE_HEIGHT * len(lines)
    offset = candidate.radius + GAP_PX if candidate.radius else 0.0
    vertical, horizontal = position.split(" ")
    if horizontal == "center":
        x0 = candidate.x - width / 2
    elif horizontal == "right":
        x0 = candidate.x + offset
    else:
        x0 = candidate.x - offset - width
    if vertical == "middle":
        y0 = candidate.y - height / 2
    elif vertical == "top":
        y0 = candidate.y - offset - height
    else:
        y0 = candidate.y + offset
    return (x0, y0, x0 + width, y0 + height)


def text_anchor(placed: Placed) -> tuple[float, float]:
    """Where a text-only trace must anchor the label so plotly draws it in its box (no symbol offsets it there)."""
    candidate = placed.candidate
    offset = candidate.radius + GAP_PX if candidate.radius else 0.0
    vertical, horizontal = placed.position.split(" ")
    dx = {"left": -offset, "right": offset}.get(horizontal, 0.0)
    dy = {"top": -offset, "bottom": offset}.get(vertical, 0.0)
    return candidate.x + dx, candidate.y + dy


def overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float], *, pad: float = 0.0) -> bool:
    """Whether two boxes overlap (touching edges do not), each grown by `pad`."""
    return a[0] - pad < b[2] and b[0] - pad < a[2] and a[1] - pad < b[3] and b[1] - pad < a[3]


def inside(box: tuple[float, float, float, float], frame: tuple[float, float], *, margin: float = 0.0) -> bool:
    """Whether a box lies wholly within a frame of width x height px, at least `margin` px from its edges."""
    return box[0] >= margin and box[1] >= margin and box[2] <= frame[0] - margin and box[3] <= frame[1] - margin


def place(
    candidates: list[Candidate],
    *,
    frame: tuple[float, float],
    obstacles: Sequence[tuple[float, float, float, float]] = (),
    pad: float = 1.5,
    margin: float = 0.0,
) -> list[Placed]:
    """Greedy placement: by priority, the first position whose box stays in the frame and clear of what is placed.

    `obstacles` (symbols, map furniture) are avoided too; a label that fits nowhere is left out. Ties keep the input
    order. `margin`: how far every box keeps inside the frame's edges (room for the halo and the glyphs' overshoot).
    """
    placed: list[Placed] = []
    taken = list(obstacles)
    seen: set[str] = set()
    for candidate in sorted(candidates, key=lambda c: c.priority):
        if candidate.key in seen or not candidate.text:
            continue
        for position in candidate.positions:
            box = label_box(candidate, position)
            if inside(box, frame, margin=margin) and not any(overlaps(box, other, pad=pad) for other in taken):
                placed.append(Placed(candidate, position, box))
                taken.append(box)
                seen.add(candidate.key)
                break
    return placed


def symbol_box(x: float, y: float, *, radius: float) -> tuple[float, float, float, float]:
    """The square a point symbol covers."""
    return (x - radius, y - radius, x + radius, y + radius)


# ---- readable over classed fills ---------------------------------------------------------------------------------


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance (0 black .. 1 white) of a `#rrggbb` colour."""
    value = colour.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours (1 .. 21)."""
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@functools.cache
def reads_light(fill: str) -> bool:
    """Whether light text reads better than dark text over `fill` (white contrasts more than the dark ink)."""
    return contrast_ratio(LIGHT_INK, fill) > contrast_ratio(DARK_INK, fill)


def styles_over(fills: Sequence[str | None], inks: Sequence[str]) -> tuple[list[str], list[str]]:
    """(text colours, halos) of labels over `fills` (None: no classed fill): light on a dark halo over dark
    classes, else each label's own ink on the white halo."""
    colours, halos = [], []
    for fill, ink in zip(fills, inks, strict=True):
        light = fill is not None and reads_light(fill)
        colours.append(LIGHT_INK if light else ink)
        halos.append(DARK_HALO if light else HALO)
    return colours, halos
