"""Guards around the server's inputs: the upload size limit, the upload id path guard, the export cache key."""

from __future__ import annotations

import io
import json

import flask
import pytest

from dashboard.config import CacheConfig
from dashboard.export.request import parse_export
from dashboard.export.service import export_key
from dashboard.server import routes
from dashboard.server.blueprint import register_routes
from dashboard.server.cache import init_cache
from dashboard.uploads.store import UploadMissing, UploadStore
from geodata.userdata import MAX_BYTES


@pytest.fixture
def server(monkeypatch, tmp_path) -> flask.Flask:
    monkeypatch.setenv("ATLAS_UPLOAD_DIR", str(tmp_path / "uploads"))
    app = flask.Flask(__name__)
    init_cache(app, config=CacheConfig(directory=str(tmp_path / "cache")))
    register_routes(app)
    return app


def test_an_upload_over_the_size_limit_is_refused_with_the_limit(server) -> None:
    content = b"name,lng,lat\n" + b"A,114.3,30.6\n" * (MAX_BYTES // 13 + 1)
    assert len(content) > MAX_BYTES
    reply = server.test_client().post(
        "/api/uploads", data={"file": (io.BytesIO(content), "big.csv")}, content_type="multipart/form-data"
    )
    assert reply.status_code == 413
    assert f"the limit is {MAX_BYTES // 2**20} MB" in reply.get_json()["error"]


def test_an_upload_within_the_limit_is_stored(server) -> None:
    content = b"name,lng,lat\n" + b"A,114.3,30.6\n" * 1000
    reply = server.test_client().post(
        "/api/uploads", data={"file": (io.BytesIO(content), "ok.csv")}, content_type="multipart/form-data"
    )
    assert reply.status_code == 201 and reply.get_json()["rows"] == 1000


@pytest.mark.parametrize("bad", ["../outside", "../../outside/x", "A" * 15, "A" * 17, "A" * 8 + "/" + "A" * 7, ""])
def test_the_store_refuses_ids_that_could_name_a_path(tmp_path, atlas, bad: str) -> None:
    """A file pair beside the store, reachable by ../, is never read through an id."""
    from geodata.userdata import read_user_file

    folder = tmp_path / "uploads"
    store = UploadStore(folder=folder)
    stored = store.save(read_user_file(b"lng,lat\n114.3,30.6\n", filename="a.csv", atlas=atlas))
    for suffix in (".geojson", ".json"):  # a copy of a real upload outside the folder, where ../ leads
        target = folder / f"{bad}{suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((folder / f"{stored}{suffix}").read_bytes())
    with pytest.raises(UploadMissing, match="not an upload id"):
        store.load(bad)
    assert store.find(bad) is None


def test_export_cache_keys_differ_by_format() -> None:
    query = "layers=logistics_hubs&provinces=420000"
    keys = {fmt: export_key(parse_export(query, fmt=fmt)) for fmt in ("png", "svg", "pdf", "csv", "geojson")}
    assert len(set(keys.values())) == 5
    assert all(keys[fmt].startswith(f"export/{fmt}?") for fmt in keys)


def test_an_svg_request_never_gets_png_bytes(server, monkeypatch) -> None:
    monkeypatch.setattr(routes, "export_bytes", lambda request, atlas: json.dumps(request.fmt).encode())
    client = server.test_client()
    for fmt in ("png", "svg", "png", "pdf", "svg"):
        reply = client.get(f"/export/view.{fmt}?layers=logistics_hubs")
        assert reply.status_code == 200 and json.loads(reply.data) == fmt
