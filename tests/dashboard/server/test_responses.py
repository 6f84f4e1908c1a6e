"""Callback answers from the shared cache: keyed by the validated views, uploads and failures never stored."""

from __future__ import annotations

import gzip
import json
import threading
from pathlib import Path

import flask
import pytest

from dashboard.config import CacheConfig
from dashboard.server import responses, slots
from dashboard.server.cache import init_cache
from dashboard.view.state import ViewState

OUTPUT = "..atlas-map.figure...atlas-drawn.data.."


def body(view: dict, *, output: str = OUTPUT) -> dict:
    sized = {"view": view, "width": 960, "height": 823}
    return {
        "output": output,
        "inputs": [{"id": "atlas-sized-view", "property": "data", "value": sized}],
        "state": [{"id": "atlas-drawn", "property": "data"}],
        "changedPropIds": ["atlas-sized-view.data"],
    }


def test_keys_follow_the_validated_view() -> None:
    view = ViewState().to_dict()
    key = responses.request_key(body(view), outputs={OUTPUT})
    assert key is not None and key == responses.request_key(body(dict(view)), outputs={OUTPUT})
    other = ViewState(level="county").to_dict()
    assert responses.request_key(body(other), outputs={OUTPUT}) != key
    forged = {**view, "layers": [*view["layers"], "no_such_layer"]}  # the callback drops it too
    assert responses.request_key(body(forged), outputs={OUTPUT}) == key


def test_uploads_other_outputs_and_bad_bodies_are_not_cached() -> None:
    upload = ViewState(upload="a" * 16).to_dict()
    assert ViewState.from_dict(upload).upload  # a valid id: its layer expires outside the key
    assert responses.request_key(body(upload), outputs={OUTPUT}) is None
    assert responses.request_key(body(ViewState().to_dict(), output="other.children"), outputs={OUTPUT}) is None
    assert responses.request_key(["not", "a", "dict"], outputs={OUTPUT}) is None
    assert responses.request_key({"output": OUTPUT, "inputs": "x"}, outputs={OUTPUT}) is None


@pytest.fixture
def server(tmp_path: Path) -> flask.Flask:
    app = flask.Flask(__name__)
    init_cache(app, config=CacheConfig(backend="FileSystemCache", directory=str(tmp_path / "cache")))
    calls = {"n": 0}

    @app.post("/_dash-update-component")
    def update() -> flask.Response:
        calls["n"] += 1
        if flask.request.get_json()["inputs"][0]["value"]["view"]["level"] == "county":
            return flask.make_response("boom", 500)
        return flask.jsonify(response={"atlas-map": {"figure": {"n": calls["n"]}}})

    app.config["calls"] = calls
    assert responses.install(app, outputs={OUTPUT})
    return app


def test_an_answer_is_stored_when_asked_for_again_then_served_from_the_cache(server: flask.Flask) -> None:
    client = server.test_client()
    view = ViewState().to_dict()
    once = client.post("/_dash-update-component", json=body(view))
    stored = client.post("/_dash-update-component", json=body(view), headers={"Accept-Encoding": "gzip"})
    hit = client.post("/_dash-update-component", json=body(view))
    outcomes = [r.headers["X-Atlas-Cache"] for r in (once, stored, hit)]
    assert outcomes == ["once", "miss", "hit"]  # a one-off answer (most pans) costs no cache write
    assert stored.headers["Content-Encoding"] == "gzip"
    assert json.loads(once.data)["response"] and json.loads(gzip.decompress(stored.data)) == json.loads(hit.data)
    assert server.config["calls"]["n"] == 2


def test_an_answer_another_worker_stored_is_served_the_first_time(server: flask.Flask) -> None:
    view = ViewState(lang="zh").to_dict()
    for _ in range(2):  # "another worker": the same shared cache, another installed view
        server.test_client().post("/_dash-update-component", json=body(view))
    other = flask.Flask(__name__)
    other.extensions, other.config["ATLAS_CACHE_NAMESPACE"] = server.extensions, server.config["ATLAS_CACHE_NAMESPACE"]
    other.add_url_rule(
        "/_dash-update-component", "update", lambda: flask.make_response("not asked", 500), methods=["POST"]
    )
    assert responses.install(other, outputs={OUTPUT})
    first = other.test_client().post("/_dash-update-component", json=body(view))
    assert first.status_code == 200 and first.headers["X-Atlas-Cache"] == "hit"


def test_a_failed_answer_is_returned_and_not_stored(server: flask.Flask) -> None:
    client = server.test_client()
    county = ViewState(level="county").to_dict()
    assert [client.post("/_dash-update-component", json=body(county)).status_code for _ in range(2)] == [500, 500]
    assert server.config["calls"]["n"] == 2


def test_exports_beyond_their_slots_are_refused_at_once_not_queued() -> None:
    app = flask.Flask(__name__)
    entered, release = threading.Event(), threading.Event()

    @app.get("/export/<name>")
    def export_view(name: str) -> str:
        entered.set()
        release.wait(10)
        return "png"

    assert slots.install(app, endpoint="export_view", slots=1)
    first = threading.Thread(target=lambda: app.test_client().get("/export/a"))
    first.start()
    try:
        assert entered.wait(10)
        refused = app.test_client().get("/export/b")
        assert refused.status_code == 503 and refused.headers["Retry-After"]
    finally:
        release.set()
        first.join(10)
    assert app.test_client().get("/export/c").status_code == 200
