"""GET /healthz: a liveness probe that names the worker process answering it."""

from __future__ import annotations

import os

import flask

ENDPOINT = "/healthz"


def healthz() -> flask.Response:
    """{"status": "ok", "pid": <this worker's process id>}, never cached."""
    response = flask.jsonify(status="ok", pid=os.getpid())
    response.headers["Cache-Control"] = "no-store"
    return response
