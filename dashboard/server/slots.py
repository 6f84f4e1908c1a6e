"""A bound on the threads exports hold in one worker, so an interactive request always finds a free thread."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

import flask

_log = logging.getLogger(__name__)
#: Seconds a client is asked to wait before asking again when every export slot is taken.
RETRY_AFTER_S = 5


def busy_response(*, slots: int) -> flask.Response:
    """503 with Retry-After: this worker has `slots` exports in flight already."""
    response = flask.make_response(f"the server is drawing {slots} exports already, try again shortly\n", 503)
    response.mimetype = "text/plain"
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    response.headers["Cache-Control"] = "no-store"
    return response


def bounded(view: Callable[..., Any], *, slots: int) -> Callable[..., Any]:
    """`view` run by at most `slots` threads at once; a request beyond them is answered 503 at once (never queued).

    A queued request would hold a worker thread while it waits, which is what the bound is there to prevent.
    """
    gate = threading.BoundedSemaphore(slots)

    @functools.wraps(view)
    def limited(*args: Any, **kwargs: Any) -> Any:
        if not gate.acquire(blocking=False):
            _log.warning("export refused: %d exports in flight on this worker", slots)
            return busy_response(slots=slots)
        try:
            return view(*args, **kwargs)
        finally:
            gate.release()

    return limited


def install(server: flask.Flask, *, endpoint: str, slots: int) -> bool:
    """Bound the Flask view `endpoint` (e.g. "atlas.export_view") to `slots` threads; whether it was found."""
    if slots < 1:
        raise ValueError(f"slots={slots}: give 1 or more")
    if endpoint not in server.view_functions:
        return False
    server.view_functions[endpoint] = bounded(server.view_functions[endpoint], slots=slots)
    return True
