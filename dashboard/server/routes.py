"""The export route: GET /export/<name>.<fmt>?<view and print options> returns the file as an attachment."""

from __future__ import annotations

import functools
import logging
import os

import flask

from dashboard.export import render
from dashboard.export.request import (
    FORMATS,
    MEDIA_TYPES,
    NAME_PATTERN,
    ExportError,
    check_format,
    parse_export,
)
from dashboard.export.service import export_bytes, export_key
from dashboard.server.cache import cached_bytes
from dashboard.uploads.store import UploadStore
from geodata import load_atlas

_log = logging.getLogger(__name__)
#: Formats holding the features themselves: without the view's upload they would silently lack its rows.
DATA_FORMATS = ("csv", "geojson")


def _error(status: int, message: str) -> flask.Response:
    response = flask.make_response(message + "\n", status)
    response.mimetype = "text/plain"
    response.headers["Cache-Control"] = "no-store"
    return response


#: Seconds a client is told to wait after the browser failed (the supervisor restarts it within a few).
RETRY_AFTER_S = 10


def unavailable(exc: Exception) -> flask.Response:
    """503 with a Retry-After: the queue's own estimate when it is full, else the browser's restart time."""
    response = _error(503, f"export unavailable, try again shortly: {exc}")
    response.headers["Retry-After"] = str(getattr(exc, "retry_after", RETRY_AFTER_S))
    return response


def split_filename(filename: str) -> tuple[str, str]:
    """`name.fmt` from the URL, checked: the name [A-Za-z0-9_-]{1,100}, the format one we export."""
    name, dot, fmt = filename.rpartition(".")
    if not dot:
        raise ExportError(f"the URL must end in <name>.<format>, the format one of {', '.join(FORMATS)}")
    if not NAME_PATTERN.fullmatch(name):
        raise ExportError("the file name may hold only letters, digits, '-' and '_' (1 to 100 of them)")
    return name, check_format(fmt)


def export_view(filename: str) -> flask.Response:
    """Serve one export; bad parameters give 400, a browser that failed or timed out 503, other failures 500."""
    try:
        name, fmt = split_filename(filename)
        atlas = load_atlas(resolution="detail")
        request = parse_export(flask.request.query_string.decode("utf-8", "replace"), fmt=fmt, atlas=atlas)
    except ExportError as exc:
        return _error(400, f"bad export request: {exc}")
    if request.state.upload and fmt in DATA_FORMATS and UploadStore.from_env().find(request.state.upload) is None:
        return _error(
            410,
            f"the uploaded layer {request.state.upload} is no longer on the server (expired); upload it again",
        )
    try:
        make = functools.partial(export_bytes, request, atlas=atlas)
        data, cached = cached_bytes(flask.current_app, export_key(request), make=make)
    except (render.BrowserUnavailable, render.RenderTimeout, render.RenderBusy) as exc:
        _log.warning("export %s failed: %s", filename, exc)
        return unavailable(exc)
    except render.RenderError as exc:
        _log.error("export %s failed: %s", filename, exc)
        return _error(500, f"export failed: {exc}")
    except Exception:
        _log.exception("export %s failed", filename)
        return _error(500, "export failed: internal error (logged on the server)")
    response = flask.make_response(data)
    response.headers["Content-Type"] = MEDIA_TYPES[fmt]
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Atlas-Worker"] = str(os.getpid())
    if cached:
        response.headers["X-Atlas-Cache"] = cached
    return response
