"""Request limits applied before a body is read: upload and callback sizes, and paths that can only be probes."""

from __future__ import annotations

import logging
import posixpath
from urllib.parse import unquote

import flask
from werkzeug.exceptions import RequestEntityTooLarge

from geodata.userdata import MAX_BYTES

_log = logging.getLogger(__name__)
#: A multipart upload: the file plus its form fields and boundaries.
UPLOAD_BODY_MAX = MAX_BYTES + 256 * 1024
#: A Dash callback: a file arrives base64-encoded (4 bytes for 3) inside the callback's JSON.
CALLBACK_BODY_MAX = MAX_BYTES * 4 // 3 + 1024 * 1024
UPLOAD_PATH = "/api/uploads"
CALLBACK_SUFFIX = "/_dash-update-component"
SUITES_PREFIX = "/_dash-component-suites/"


def too_large_message(file_bytes: float) -> str:
    """The message the page shows for a file over the limit, with the file's own size."""
    return f"the file is {file_bytes / 2**20:.1f} MB; the limit is {MAX_BYTES // 2**20} MB"


def _body_limit(path: str) -> tuple[int, float] | None:
    """(the body limit, bytes of file per body byte) for the routes that take files, else None."""
    if path == UPLOAD_PATH:
        return UPLOAD_BODY_MAX, 1.0
    if path.endswith(CALLBACK_SUFFIX):
        return CALLBACK_BODY_MAX, 0.75
    return None


def _refuse(status: int, message: str) -> flask.Response:
    response = flask.jsonify(error=message) if flask.request.path.startswith("/api/") else flask.make_response(message)
    if not flask.request.path.startswith("/api/"):
        response.mimetype = "text/plain"
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    response.headers["Connection"] = "close"  # the unread body is not kept on the connection
    return response


def check_request() -> flask.Response | None:
    """before_request: an oversize body refused from its Content-Length (unread); probes of Dash's files get 404."""
    request = flask.request
    if request.path.startswith(SUITES_PREFIX) and _escapes(request.path[len(SUITES_PREFIX) :]):
        return _refuse(404, "not found")
    limit = _body_limit(request.path)
    if limit is None:
        return None
    most, ratio = limit
    request.max_content_length = most  # also bounds a body sent without Content-Length (chunked)
    length = request.content_length
    if length is not None and length > most:
        _log.info("refused a %d-byte body to %s", length, request.path)
        return _refuse(413, too_large_message(length * ratio))
    return None


def _escapes(rest: str) -> bool:
    """Whether a component-suite path tries to leave its package ('..', absolute, backslashes, encoded or not)."""
    decoded = unquote(unquote(rest)).replace("\\", "/")
    parts = decoded.split("/")
    return ".." in parts or decoded.startswith("/") or posixpath.normpath(decoded).startswith("..")


def entity_too_large(exc: RequestEntityTooLarge) -> flask.Response:
    """413 for a body found too large while it was read (no Content-Length), with the page's message."""
    limit = _body_limit(flask.request.path)
    most, ratio = limit if limit else (flask.request.max_content_length or 0, 1.0)
    return _refuse(413, too_large_message(most * ratio) + " or more")


def install_limits(server: flask.Flask) -> None:
    """Cap every body at the callback limit and check sizes before any view or Dash reads the body."""
    current = server.config.get("MAX_CONTENT_LENGTH")
    server.config["MAX_CONTENT_LENGTH"] = min(current, CALLBACK_BODY_MAX) if current else CALLBACK_BODY_MAX
    server.before_request_funcs.setdefault(None, []).insert(0, check_request)
    server.register_error_handler(RequestEntityTooLarge, entity_too_large)
