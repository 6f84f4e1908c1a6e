"""The upload API and exports of a view holding a planner's layer."""

from __future__ import annotations

import csv
import io

import flask
import pytest

from dashboard.server.blueprint import register_routes


@pytest.fixture
def client(monkeypatch, tmp_path):
    monkeypatch.setenv("ATLAS_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("ATLAS_CACHE_TYPE", "NullCache")
    server = flask.Flask("test")
    register_routes(server)
    return server.test_client()


def post(client, content: bytes, name: str, **fields: str):
    data = {"file": (io.BytesIO(content), name), **fields}
    return client.post("/api/uploads", data=data, content_type="multipart/form-data")


def test_upload_then_describe_then_export_its_rows(client) -> None:
    reply = post(client, b"name,lng,lat,jobs\nA,114.3,30.6,3\nB,121.47,31.23,1\n", "parks.csv")
    assert reply.status_code == 201
    body = reply.get_json()
    assert body["rows"] == 2 and any("outside the six provinces" in w for w in body["warnings"])
    described = client.get(f"/api/uploads/{body['id']}").get_json()
    assert described["numeric_columns"] == ["jobs"] and described["name"] == "parks.csv"
    exported = client.get(f"/export/view.csv?layers=&upload={body['id']}&upload_label=name")
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert [row["name_en"] for row in rows] == ["A", "B"]
    assert rows[0]["prefecture_adcodes"] == "420100" and rows[1]["province_adcodes"] == ""


def test_bad_uploads_get_a_400_with_the_reason_and_the_server_goes_on(client) -> None:
    assert "multipart form field 'file'" in client.post("/api/uploads").get_json()["error"]
    bad = post(client, b"a,b\n1,2\n", "x.csv")
    assert bad.status_code == 400 and "no longitude column found" in bad.get_json()["error"]
    chosen = post(client, b"a,b\n114.3,30.6\n", "x.csv", lon="a", lat="b")
    assert chosen.status_code == 201


def test_unknown_or_malformed_ids_are_404(client) -> None:
    assert client.get("/api/uploads/" + "Z" * 16).status_code == 404
    assert client.get("/api/uploads/..%2F..%2Fetc").status_code == 404


def test_a_view_with_a_malformed_upload_id_is_a_bad_export(client) -> None:
    reply = client.get("/export/view.csv?upload=../../x")
    assert reply.status_code == 400 and b"upload" in reply.data


def test_an_image_export_draws_the_upload_as_on_screen(client, renderer) -> None:
    stored = post(client, b"name,lng,lat,jobs\nA,114.3,30.6,3\nB,113.62,34.75,1\n", "parks.csv").get_json()
    reply = client.get(f"/export/view.svg?layers=&upload={stored['id']}&measure=count&upload_label=name")
    assert reply.status_code == 200
    svg = reply.data.decode("utf-8")
    assert "parks.csv (2)" in svg  # its legend entry
    assert "Count of features" in svg  # the units' colour scale
    assert ">A<" in svg or ">A</" in svg  # its label
