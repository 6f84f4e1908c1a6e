"""GET /healthz answers with the worker's pid and is never cached."""

from __future__ import annotations

import os

from dashboard import create_app


def test_healthz_names_the_worker() -> None:
    response = create_app().server.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "pid": os.getpid()}
    assert response.headers["Cache-Control"] == "no-store"
