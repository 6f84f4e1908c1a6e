"""One export service for the HTTP route and the command line: a validated request in, the file's bytes out."""

from __future__ import annotations

from dashboard.export import datasets, publish
from dashboard.export.request import ExportRequest, export_query
from dashboard.figures.printing import default_title, print_spec
from dashboard.uploads.store import UploadStore
from dashboard.view.scene import resolve
from geodata import Atlas


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
    spec = print_spec(atlas, scene, options=options)
    title = options.title_text or default_title(scene)
    return publish.finish(
        spec, fmt=request.fmt, size=request.size, options=options, title=title, lang=request.state.lang
    )


def export_key(request: ExportRequest) -> str | None:
    """The cache key of a request: its format and normalised query (the file name does not change the bytes).

    None (not cached) when the view names an upload: its bytes depend on a file that expires, outside the key.
    """
    return None if request.state.upload else f"export/{request.fmt}{export_query(request)}"
