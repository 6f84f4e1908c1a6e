"""The export queue is bounded: distinct cold exports beyond what the browser can draw in time get 503 at once."""

from __future__ import annotations

import io
import threading
import time

import flask
import pytest
from PIL import Image

from dashboard.export import render
from dashboard.server.blueprint import register_routes

#: Seconds each image is assumed to take: with the 90 s timeout, 3 may wait and a 4th cannot finish in time.
IMAGE_S = 30.0
VIEWS = ("360000", "410000", "420000", "430000", "340000")


def tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


class BlockedBrowser:
    """A render backend whose images wait until released (a slow browser, without Chromium)."""

    tabs = 1

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = 0
        self._lock = threading.Lock()

    def render(self, spec: dict, opts: dict, *, timeout: float | None = None) -> bytes:
        with self._lock:
            self.started += 1
        if not self.release.wait(timeout=60):
            raise render.RenderTimeout("the test never released the image")
        return tiny_png()


@pytest.fixture
def blocked(monkeypatch, detail_atlas) -> BlockedBrowser:
    browser = BlockedBrowser()
    monkeypatch.setattr(render, "start", lambda **_: browser)
    monkeypatch.setattr(render, "admission", render.Admission(seconds=IMAGE_S))
    yield browser
    browser.release.set()


def get(path: str) -> tuple[flask.Response, float]:
    app = flask.Flask(__name__)
    register_routes(app)
    started = time.monotonic()
    response = app.test_client().get(path)
    return response, time.monotonic() - started


def test_a_full_queue_answers_503_with_retry_after_at_once_and_the_queued_exports_finish(blocked) -> None:
    results: dict[str, int] = {}

    def export(code: str) -> None:
        results[code] = get(f"/export/q.png?provinces={code}&size=640x360")[0].status_code

    queued = [threading.Thread(target=export, args=(code,)) for code in VIEWS[:3]]
    for thread in queued:
        thread.start()
    deadline = time.monotonic() + 60
    while render.admission.waiting < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert render.admission.waiting == 3  # three distinct cold exports wait for the (blocked) browser
    response, took = get(f"/export/q.png?provinces={VIEWS[3]}&size=640x360")
    assert response.status_code == 503 and took < 5  # refused at once, not after the 90 s timeout
    assert int(response.headers["Retry-After"]) >= IMAGE_S  # the queue's own estimate of its work
    assert "try again" in response.text
    blocked.release.set()
    for thread in queued:
        thread.join(timeout=60)
    assert results == dict.fromkeys(VIEWS[:3], 200)
    assert get(f"/export/q.png?provinces={VIEWS[4]}&size=640x360")[0].status_code == 200  # room again


def test_the_estimate_follows_the_images_drawn() -> None:
    admission = render.Admission(seconds=IMAGE_S)
    for _ in range(20):
        with admission.slot(timeout=90):
            pass  # an image that takes no time
    assert admission.seconds < 0.1
    with admission.slot(timeout=90):
        pass
    assert admission.waiting == 0
