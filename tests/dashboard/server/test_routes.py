"""The export endpoint through Flask's test client: files with headers, 400 with a message, 503 on failure."""

from __future__ import annotations

import csv
import io
import json
import unicodedata

import flask
import pytest
from PIL import Image
from pypdf import PdfReader

from dashboard.export import render
from dashboard.server.blueprint import register_routes


@pytest.fixture(scope="module")
def client(renderer, detail_atlas):
    server = flask.Flask(__name__)
    register_routes(server)
    return server.test_client()


def test_png_comes_back_as_an_attachment(client) -> None:
    response = client.get("/export/hubei-map.png?layers=logistics_hubs&provinces=420000&size=800x600&scale=1.5")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"] == 'attachment; filename="hubei-map.png"'
    assert Image.open(io.BytesIO(response.data)).size == (1200, 900)


def test_a4_pdf_of_a_story_step(client) -> None:
    response = client.get("/export/step.pdf?story=guideline&view=innovation&lang=zh&size=a4")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/pdf"
    page = PdfReader(io.BytesIO(response.data)).pages[0]
    assert float(page.mediabox.width) == pytest.approx(841.89, abs=1.0)
    assert "创新中心" in unicodedata.normalize("NFKC", page.extract_text())  # Kangxi radicals in the font map


def test_data_formats(client) -> None:
    response = client.get("/export/hubs.csv?layers=logistics_hubs")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert {row["layer"] for row in rows} == {"logistics_hubs"} and len(rows) == 5
    response = client.get("/export/hubs.geojson?layers=logistics_hubs&provinces=420000")
    assert response.headers["Content-Type"] == "application/geo+json"
    assert len(json.loads(response.data)["features"]) >= 1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/export/map.png?colour=red", "unknown parameter(s): colour"),
        ("/export/map.png?size=9000x9000", "width must be between 200 and 5000"),
        ("/export/map.bmp", "unknown format 'bmp'"),
        ("/export/map.png?layers=railways", "layers='railways': unknown value"),
        ("/export/bad%20name!.png", "the file name may hold only"),
        ("/export/noformat", "must end in <name>.<format>"),
        ("/export/map.pdf?scale=3", "scale applies to png only"),
    ],
)
def test_bad_requests_get_400_with_a_message(client, url: str, message: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    assert message in response.text


def test_the_endpoint_keeps_serving_after_a_bad_request(client) -> None:
    assert client.get("/export/map.png?size=1x1").status_code == 400
    response = client.get("/export/map.svg?layers=central_cities&size=600x400")
    assert response.status_code == 200
    assert response.data.lstrip().startswith(b"<svg")


def test_a_failed_browser_gives_503_and_the_next_request_works(client, monkeypatch) -> None:
    def broken(*args, **kwargs) -> bytes:
        raise render.BrowserUnavailable("the browser failed: test")

    with monkeypatch.context() as patch:
        patch.setattr(render, "render", broken)
        response = client.get("/export/map.png?size=400x300")
    assert response.status_code == 503 and "try again" in response.text
    assert response.headers["Retry-After"]
    assert client.get("/export/map.png?size=400x300").status_code == 200


def test_a_figure_the_browser_rejects_gives_500_with_the_reason(client, monkeypatch) -> None:
    def rejected(*args, **kwargs) -> bytes:
        raise render.RenderError("the browser could not draw the figure: 525 bad figure")

    monkeypatch.setattr(render, "render", rejected)
    response = client.get("/export/map.pdf?size=400x300")
    assert response.status_code == 500 and "525 bad figure" in response.text


def test_the_route_wins_over_the_dash_app_routes() -> None:
    from dashboard import create_app

    server = create_app().server
    assert "atlas.export_view" in server.view_functions
    response = server.test_client().get("/export/hubs.csv?layers=logistics_hubs")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
