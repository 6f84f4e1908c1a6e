"""The upload API: POST /api/uploads stores a planner's file, GET /api/uploads/<id> describes it."""

from __future__ import annotations

import logging
import os

import flask

from dashboard.server.limits import too_large_message
from dashboard.uploads.store import UploadMissing, UploadStore, UploadUnavailable
from geodata.userdata import MAX_BYTES, UserDataError

_log = logging.getLogger(__name__)


def _reply(payload: dict, status: int) -> flask.Response:
    response = flask.jsonify(payload)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Atlas-Worker"] = str(os.getpid())
    return response


def upload_file() -> flask.Response:
    """Store one file sent as multipart field `file` (optional fields lon, lat, crs); 400 with the reason if bad."""
    sent = flask.request.files.get("file")
    if sent is None or not sent.filename:
        return _reply({"error": "send the file as multipart form field 'file'"}, 400)
    name = sent.filename[:80]
    content = sent.stream.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        return _reply({"error": f"{name}: {too_large_message(flask.request.content_length or len(content))}"}, 413)
    form = flask.request.form
    try:
        upload_id, layer = UploadStore.from_env().add(
            content,
            filename=sent.filename,
            lon=form.get("lon") or None,
            lat=form.get("lat") or None,
            crs=form.get("crs") or None,
        )
    except UserDataError as exc:
        return _reply({"error": f"{name}: {exc}"}, 400)
    except UploadUnavailable as exc:
        _log.error("upload not stored: %s", exc.__cause__ or exc)
        response = _reply({"error": f"{name}: {exc}"}, 503)
        response.headers["Retry-After"] = "60"
        return response
    except Exception:  # a file no check foresaw: logged, and the user told without internals
        _log.exception("upload %r failed", name)
        return _reply({"error": f"{name}: the file could not be read (the error is logged on the server)"}, 400)
    return _reply({"id": upload_id, "name": layer.name, "rows": len(layer.frame), "warnings": layer.warnings}, 201)


def describe(upload_id: str) -> flask.Response:
    """Name, rows, columns and CRS of a stored upload; 404 when unknown or expired."""
    try:
        layer = UploadStore.from_env().load(upload_id)
    except UploadMissing as exc:
        return _reply({"error": str(exc)}, 404)
    return _reply(
        {
            "id": upload_id,
            "name": layer.name,
            "rows": len(layer.frame),
            "source_crs": layer.source_crs,
            "numeric_columns": layer.numeric_columns,
            "warnings": layer.warnings,
        },
        200,
    )
