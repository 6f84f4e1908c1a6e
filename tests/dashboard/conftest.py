"""Export fixtures: the detailed atlas, one warm Kaleido browser for the session, and image measures."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PIL import Image

from dashboard.export import render
from geodata import Atlas, load_atlas


@pytest.fixture(scope="session")
def detail_atlas() -> Atlas:
    """The bundled atlas at print resolution."""
    return load_atlas(resolution="detail")


@pytest.fixture(scope="session")
def renderer(scratch_home) -> Iterator[None]:
    """The shared warm browser, started once and closed when the session ends."""
    render.start()
    yield
    render.stop()


def ink(png: bytes, box: tuple[float, float, float, float] | None = None, *, paper: int = 245) -> float:
    """The share of pixels in a box (fractions of width and height: left, top, right, bottom) darker than `paper`."""
    image = Image.open(io.BytesIO(png)).convert("L")
    if box:
        w, h = image.size
        image = image.crop((round(box[0] * w), round(box[1] * h), round(box[2] * w), round(box[3] * h)))
    histogram = image.histogram()
    return 1 - sum(histogram[paper:]) / sum(histogram)


@pytest.fixture(scope="session")
def ink_of():
    """`ink(png, box)` for tests."""
    return ink
