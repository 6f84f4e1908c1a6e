"""One export service for the HTTP route and the command line: a validated request in, the file's bytes out."""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image

from dashboard.export import datasets, publish
from dashboard.export.request import ExportRequest, export_query
from dashboard.figures.printing import default_title, print_spec
from dashboard.figures.relief import ShadeRaster
from dashboard.uploads.store import UploadStore
from dashboard.view.scene import resolve
from geodata import Atlas, relief_shade

#: Print sizes whose maps get the shaded relief beneath them (slides and custom sizes stay as fast as they were).
RELIEF_SIZES = ("a4", "a3")


@functools.cache
def relief_raster() -> ShadeRaster:
    """The bundled shaded relief (geodata.relief_shade) as shadow strengths 0..1, read once per process."""
    shade = relief_shade()
    with Image.open(shade.path) as image:
        alpha = np.asarray(image.convert("LA"), dtype=float)[..., 1] / 255.0
    return ShadeRaster(alpha=alpha, bounds=shade.bounds, attribution=shade.attribution)


def export_bytes(request: ExportRequest, *, atlas: Atlas) -> bytes:
    """The file for a validated request: an image drawn by the warm browser, or the view's data.

    A planner's upload named by the view is included while the server keeps it, as on screen.
    """
    upload = UploadStore.from_env().find(request.state.upload)
    if request.fmt == "geojson":
        return datasets.to_geojson_bytes(datasets.features_in_view(atlas, request.state, upload=upload))
    if request.fmt == "csv":
        return datasets.to_csv_bytes(datasets.features_in_view(atlas, request.state, upload=upload))
    options = request.options
    scene = resolve(request.state, upload=upload, story=request.story)
    spec = print_spec(atlas, scene, options=options, shade=shade_for(request))
    title = options.title_text or default_title(scene)
    return publish.finish(
        spec, fmt=request.fmt, size=request.size, options=options, title=title, lang=request.state.lang
    )


def shade_for(request: ExportRequest) -> ShadeRaster | None:
    """The shaded relief for a print size (A4, A3), else None: a slide is drawn as fast as before."""
    return relief_raster() if request.size in RELIEF_SIZES and request.fmt in ("png", "svg", "pdf") else None


def export_key(request: ExportRequest) -> str | None:
    """The cache key of a request: its format and normalised query (the file name does not change the bytes).

    None (not cached) when the view names an upload: its bytes depend on a file that expires, outside the key.
    """
    return None if request.state.upload else f"export/{request.fmt}{export_query(request)}"
