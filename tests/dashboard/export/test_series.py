"""Map series end to end: the command line (PDF, a folder of pages, bad sets) and the HTTP routes with progress."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import flask
import pytest
from pypdf import PdfReader

from dashboard.export.series import parse_series, series_filename
from dashboard.server.blueprint import register_routes

REPO = Path(__file__).resolve().parents[3]
SET = "layer:finance_trade"  # two features: a cover and two pages, quick to draw


def export(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "dashboard.export", *map(str, args)]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--series", "counties", "-o", "x.pdf"], "unknown series set 'counties'"),
        (["--series", "prefectures:999999", "-o", "x.pdf"], "unknown province '999999'"),
        (["--series", "provinces"], "--series needs -o"),
        (["--series", "provinces", "--format", "png", "-o", "x.png"], "-o with --series writes one PDF"),
    ],
)
def test_bad_series_exit_2_with_one_line(args: list[str], message: str) -> None:
    result = export(*args, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.stderr


def test_series_file_names_differ_by_size_and_format() -> None:
    names = {
        series_filename(parse_series("provinces", f"size={size}", fmt=fmt))
        for size in ("a4", "a3")
        for fmt in ("pdf", "png")
    }
    assert len(names) == 4
    assert {name.rsplit(".", 1)[1] for name in names} == {"pdf", "zip"}


@pytest.fixture(scope="module")
def series_pdf(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("series") / "series.pdf"
    return out, export("--series", SET, "--format", "pdf", "--size", "a4", "-o", out)


def test_cli_series_pdf_has_cover_then_one_page_per_feature_in_order(series_pdf, detail_atlas) -> None:
    out, result = series_pdf
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("page ")] == [
        "page 1 of 3",
        "page 2 of 3",
        "page 3 of 3",
    ]
    reader = PdfReader(out)
    assert len(reader.pages) == 3
    assert reader.metadata.title == "Finance and trade"
    for page in reader.pages:  # one paper size for every page
        assert abs(float(page.mediabox.width) - 841.89) < 1 and abs(float(page.mediabox.height) - 595.28) < 1
    names = list(detail_atlas.layers["finance_trade"]["name_en"])
    texts = [page.extract_text() for page in reader.pages]
    assert "Contents" in texts[0]
    for number, (name, text) in enumerate(zip(names, texts[1:], strict=True), start=2):
        assert name.split()[0] in text and f"{number} / 3" in text


@pytest.mark.skipif(not shutil.which("pdffonts"), reason="needs poppler-utils")
def test_cli_series_pdf_fonts_are_embedded_and_not_type_3(series_pdf) -> None:
    out, result = series_pdf
    assert result.returncode == 0, result.stderr
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and not [row for row in rows if "Type 3" in row]


def test_cli_series_to_a_folder_writes_one_svg_per_page(tmp_path: Path) -> None:
    result = export("--series", SET, "--format", "svg", "--size", "slide", "--out-dir", tmp_path, "--view", "lang=zh")
    assert result.returncode == 0, result.stderr
    files = sorted(tmp_path.rglob("*.svg"))
    assert [f.name[:3] for f in files] == ["01-", "02-", "03-"]
    cover = files[0].read_text()
    assert "<text" in cover and "font-family" in cover and "金融" in cover  # text as text, in Chinese


@pytest.fixture(scope="module")
def client(renderer, detail_atlas):
    server = flask.Flask(__name__)
    register_routes(server)
    return server.test_client()


def test_route_refuses_an_unknown_set(client) -> None:
    response = client.get("/export/series/counties.pdf")
    assert response.status_code == 400 and "unknown series set" in response.text
    assert client.get("/export/series/status/nope").status_code == 404


def test_route_job_reports_page_k_of_n_then_serves_the_file(client) -> None:
    started = client.get(f"/export/series/start/{SET}.png?size=800x450")
    assert started.status_code == 202
    job = started.json
    seen = set()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        status = client.get(job["status"]).json
        seen.add((status["page"], status["total"]))
        if status["state"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert status["state"] == "done", status
    assert (3, 3) in seen
    result = client.get(job["result"])
    assert result.status_code == 200 and result.headers["Content-Type"] == "application/zip"
    assert "_800x450_png_" in result.headers["Content-Disposition"]
    names = zipfile.ZipFile(io.BytesIO(result.data)).namelist()
    assert len(names) == 3 and names[0].startswith("01-")


def test_route_serves_a_series_pdf_directly(client) -> None:
    response = client.get(f"/export/series/{SET}.pdf?size=a4&lang=zh")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 3 and "金融" in (reader.metadata.title or "")
