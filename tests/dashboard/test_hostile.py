"""Hostile, bad and faulty inputs against the upload API, the upload callback and the export route: each one gets
its status and message, the server stays up, nothing is read, fetched or written where it should not be."""

from __future__ import annotations

import base64
import contextlib
import csv
import http.server
import io
import json
import os
import sqlite3
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote

import geopandas as gpd
import pyogrio
import pytest
import shapely

from dashboard.export.request import ExportError, parse_export
from dashboard.ui import ids
from geodata import load_atlas

SECRET = "SECRET-ROW-7f3a"


@dataclass(frozen=True)
class Case:
    """One input: its file, form fields, and what the server must answer."""

    filename: str
    content: bytes
    status: int
    message: str
    fields: tuple[tuple[str, str], ...] = ()
    absent: tuple[str, ...] = ()


class Listener(http.server.BaseHTTPRequestHandler):
    """A local web server that counts every request made to it (none may come from an upload)."""

    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Listener.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(f"lon,lat,name\n114.3,30.6,{SECRET}\n".encode())

    do_HEAD = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def listener() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Listener)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/data.csv"
    server.shutdown()


def vrt(source: str, *, layer: str = "data") -> bytes:
    """A GDAL virtual dataset naming another file or URL as its source."""
    return (
        f'<OGRVRTDataSource><OGRVRTLayer name="{layer}"><SrcDataSource>{source}</SrcDataSource>'
        '<GeometryType>wkbPoint</GeometryType><GeometryField encoding="PointFromColumns" x="lon" y="lat"/>'
        "</OGRVRTLayer></OGRVRTDataSource>"
    ).encode()


def shapefile_parts(folder: Path) -> dict[str, bytes]:
    """A real one-point Shapefile's parts (.shp, .shx, .dbf, .prj), written by GDAL."""
    frame = gpd.GeoDataFrame({"name": ["Wuhan"]}, geometry=[shapely.Point(114.3, 30.6)], crs="EPSG:4326")
    frame.to_file(folder / "layer.shp", engine="pyogrio")
    return {path.suffix: path.read_bytes() for path in folder.iterdir() if path.stem == "layer"}


def zipped(members: dict[str, bytes], *, big: dict[str, int] | None = None) -> bytes:
    """A zip of `members`, plus members of `big` bytes of zeros each, written in chunks (a zip bomb stays small)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, data in members.items():
            bundle.writestr(name, data)
        for name, size in (big or {}).items():
            with bundle.open(name, "w", force_zip64=True) as member:
                for _ in range(size // 2**20):
                    member.write(bytes(2**20))
    return buffer.getvalue()


def geopackage(folder: Path, *, layers: tuple[str, ...]) -> bytes:
    path = folder / "several.gpkg"
    for number, name in enumerate(layers):
        frame = gpd.GeoDataFrame({"n": [number]}, geometry=[shapely.Point(114.3 + number, 30.6)], crs="EPSG:4326")
        pyogrio.write_dataframe(frame, path, layer=name, append=number > 0)
    return path.read_bytes()


def with_virtual_table(gpkg: bytes, folder: Path) -> bytes:
    """A GeoPackage whose schema names a VirtualOGR table reading a server file (written into the schema directly)."""
    path = folder / "virtual.gpkg"
    path.write_bytes(gpkg)
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA writable_schema = ON")
        sql = "CREATE VIRTUAL TABLE leak USING VirtualOGR('/etc/passwd')"
        db.execute("INSERT INTO sqlite_master VALUES ('table', 'leak', 'leak', 0, ?)", (sql,))
        db.commit()
    return path.read_bytes()


def feature_collection(*coordinates: str) -> bytes:
    features = ",".join(
        f'{{"type":"Feature","properties":{{"n":{i}}},"geometry":{{"type":"Point","coordinates":[{c}]}}}}'
        for i, c in enumerate(coordinates)
    )
    return f'{{"type":"FeatureCollection","features":[{features}]}}'.encode()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, listener: str) -> dict[str, Case]:
    """Every hostile file, generated here (no committed binaries)."""
    folder = tmp_path_factory.mktemp("corpus")
    secret = folder / "secret.csv"  # a file the server can read but no user may
    secret.write_text(f"lon,lat,name\n114.3,30.6,{SECRET}\n")
    (folder / "shape").mkdir()
    (folder / "single").mkdir()
    parts = shapefile_parts(folder / "shape")
    shp = {f"roads{suffix}": data for suffix, data in parts.items()}
    polygon_nan = b'{"type":"Polygon","coordinates":[[[114,30],[NaN,30],[115,31],[114,30]]]}'
    csv_ok = b"name,lon,lat\nA,114.3,30.6\n"
    return {
        "vrt named .geojson reads a server file": Case("a.geojson", vrt(str(secret)), 400, "XML", absent=(SECRET,)),
        "vrt named .gpkg": Case("a.gpkg", vrt(str(secret)), 400, "XML", absent=(SECRET,)),
        "vrt named .csv": Case("a.csv", vrt(str(secret)), 400, "XML", absent=(SECRET,)),
        "vrt fetching a URL": Case("a.geojson", vrt(f"/vsicurl/{listener}"), 400, "XML", absent=(SECRET,)),
        "vrt as the .shp in a zip": Case(
            "a.zip", zipped({**shp, "roads.shp": vrt(str(secret))}), 400, "not a Shapefile", absent=(SECRET,)
        ),
        "/vsi path as GeoJSON text": Case("a.geojson", f"/vsicurl/{listener}".encode(), 400, "is not GeoJSON"),
        "zip bomb (side member 150 MB)": Case("a.zip", zipped(shp, big={"side.bin": 150 * 2**20}), 400, "expands to"),
        "zip of 40 members": Case("a.zip", zipped({**shp, **{f"m{i}.txt": b"x" for i in range(40)}}), 400, "entries"),
        "zip member with ..": Case("a.zip", zipped({**shp, "../../evil.prj": b"x"}), 400, "unsafe name"),
        "zip member absolute": Case("a.zip", zipped({**shp, "/etc/evil.prj": b"x"}), 400, "unsafe name"),
        "zip with two .shp": Case("a.zip", zipped({**shp, "b.shp": parts[".shp"]}), 400, "exactly one .shp"),
        "damaged zip": Case("a.zip", b"PK\x03\x04" + bytes(200), 400, "damaged or not a zip"),
        "geojson NaN coordinate": Case("a.geojson", feature_collection("NaN, 30"), 400, "NaN"),
        "geojson Infinity coordinate": Case("a.geojson", feature_collection("Infinity, 30"), 400, "Infinity"),
        "geojson 1e999 coordinate": Case("a.geojson", feature_collection("1e999, 30"), 400, "infinite"),
        "geojson polygon with NaN": Case("a.json", polygon_nan, 400, "NaN"),
        "geojson nested 100000 deep": Case("a.geojson", b"[" * 100000 + b"]" * 100000, 400, "geojson"),
        "geojson only impossible coordinates": Case(
            "a.geojson", feature_collection("500, 30", "114, 95"), 400, "cannot be on the Earth", absent=("outside",)
        ),
        "geojson one impossible coordinate": Case(
            "a.geojson", feature_collection("114.3, 30.6", "500, 30"), 201, "1 features have coordinates that cannot"
        ),
        "utf-16 without BOM": Case("a.csv", "lon,lat\n114.3,30.6\n".encode("utf-16-le"), 400, "UTF-16"),
        "file of 25 MB": Case("a.csv", csv_ok + b"#" * (25 * 2**20), 413, "the file is 25.0 MB; the limit is 20 MB"),
        "duplicate lat columns": Case("a.csv", b"lat,lon,lat\n30.6,114.3,31\n", 400, "'lat' twice"),
        "columns named like the atlas's": Case(
            "a.csv", b"name,lon,lat,province_adcode,geometry\nA,114.3,30.6,999999,x\n", 201, "'user_province_adcode'"
        ),
        "geopackage with 3 layers": Case(
            "a.gpkg", geopackage(folder, layers=("first", "second", "third")), 201, "3 layers; read 'first'"
        ),
        "damaged geopackage": Case(
            "a.gpkg", geopackage(folder / "single", layers=("only",))[:1500], 400, "cannot be read as a GeoPackage"
        ),
        "geopackage with a VirtualOGR table": Case(
            "a.gpkg", with_virtual_table(geopackage(folder / "single", layers=("v",)), folder), 400, "virtual tables"
        ),
        "sqlite that is not a geopackage": Case("a.gpkg", b"SQLite format 3\x00" + bytes(200), 400, "not a GeoPackage"),
        "crs of 100 KB": Case(
            "a.csv", csv_ok, 400, "coordinate system text is 100000", fields=(("crs", "A" * 100000),)
        ),
        "unknown file type": Case("a.docx", csv_ok, 400, "unsupported file type"),
    }


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, scratch_home: Path) -> Iterator[dict]:
    """The whole app (Dash and the routes) with a private upload folder and temporary folder that are watched."""
    uploads, scratch = tmp_path_factory.mktemp("uploads"), tmp_path_factory.mktemp("scratch")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ATLAS_UPLOAD_DIR", str(uploads))
        patch.setenv("ATLAS_CACHE_TYPE", "FileSystemCache")
        patch.setattr(tempfile, "tempdir", str(scratch))
        from dashboard.app import create_app

        client = create_app().server.test_client()
        baseline = post(client, b"name,lon,lat\nEarlier,114.3,30.6\n", "earlier.csv").get_json()["id"]
        export = client.get(f"/export/x.csv?layers=&upload={baseline}&upload_label=name")
        assert export.status_code == 200
        yield {"client": client, "uploads": uploads, "scratch": scratch, "baseline": (baseline, export.data)}


def post(client, content: bytes, name: str, fields: tuple[tuple[str, str], ...] = ()):
    data = {"file": (io.BytesIO(content), name), **dict(fields)}
    return client.post("/api/uploads", data=data, content_type="multipart/form-data")


def upload_callback(client, content: bytes, name: str):
    """The page's upload callback, as the browser sends it."""
    outputs = [(ids.UPLOAD_RESULT, "data"), (ids.UPLOAD_STATUS, "children"), (ids.UPLOAD_LON, "options")]
    outputs.append((ids.UPLOAD_LAT, "options"))
    contents = "data:application/octet-stream;base64," + base64.b64encode(content).decode()
    inputs = [(ids.UPLOAD, "contents", contents), (ids.UPLOAD_LON, "value", None), (ids.UPLOAD_LAT, "value", None)]
    inputs.append((ids.UPLOAD_CRS, "value", None))
    body = {
        "output": ".." + "...".join(f"{i}.{p}" for i, p in outputs) + "..",
        "outputs": [{"id": i, "property": p} for i, p in outputs],
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "state": [{"id": ids.UPLOAD, "property": "filename", "value": name}],
        "changedPropIds": [f"{ids.UPLOAD}.contents"],
    }
    return client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")


def assert_unharmed(served: dict) -> None:
    """The server answers, wrote nothing outside its upload folder, kept only id-named files, left earlier data."""
    client = served["client"]
    assert client.get("/healthz").status_code == 200
    assert list(served["scratch"].iterdir()) == []  # every temporary copy removed
    names = [path.name for path in served["uploads"].iterdir()]
    assert all(name.endswith((".geojson", ".json")) and len(name.split(".")[0]) == 16 for name in names), names
    baseline, data = served["baseline"]
    assert client.get(f"/export/x.csv?layers=&upload={baseline}&upload_label=name").data == data
    assert Listener.hits == []  # nothing fetched


CASES = [
    "vrt named .geojson reads a server file", "vrt named .gpkg", "vrt named .csv", "vrt fetching a URL",
    "vrt as the .shp in a zip", "/vsi path as GeoJSON text", "zip bomb (side member 150 MB)", "zip of 40 members",
    "zip member with ..", "zip member absolute", "zip with two .shp", "damaged zip", "geojson NaN coordinate",
    "geojson Infinity coordinate", "geojson 1e999 coordinate", "geojson polygon with NaN",
    "geojson nested 100000 deep", "geojson only impossible coordinates", "geojson one impossible coordinate",
    "utf-16 without BOM", "file of 25 MB", "duplicate lat columns", "columns named like the atlas's",
    "geopackage with 3 layers", "damaged geopackage", "geopackage with a VirtualOGR table",
    "sqlite that is not a geopackage", "crs of 100 KB",
    "unknown file type",
]  # fmt: skip


@pytest.mark.parametrize("name", CASES)
def test_upload_api_answers_each_hostile_file(served: dict, corpus: dict[str, Case], name: str) -> None:
    case = corpus[name]
    reply = post(served["client"], case.content, case.filename, case.fields)
    body = reply.get_json()
    text = body.get("error") or " | ".join(body.get("warnings", []))
    assert reply.status_code == case.status, text
    assert case.message in text and len(text) < 700
    assert not any(word in text for word in (*case.absent, "/tmp", "atlas-upload", str(served["scratch"]), "VSI"))
    assert_unharmed(served)


@pytest.mark.parametrize("name", [n for n in CASES if n not in ("file of 25 MB", "crs of 100 KB")])
def test_upload_callback_answers_each_hostile_file(served: dict, corpus: dict[str, Case], name: str) -> None:
    case = corpus[name]
    reply = upload_callback(served["client"], case.content, case.filename)
    assert reply.status_code == 200
    shown = json.dumps(reply.get_json()["response"][ids.UPLOAD_STATUS]["children"], ensure_ascii=False)
    assert case.message.replace("'", "\\u0027") in shown or case.message in shown, shown
    assert not any(word in shown for word in (*case.absent, "/tmp", "atlas-upload", "Traceback"))
    assert_unharmed(served)


def test_an_oversize_callback_body_is_refused_before_it_is_read(served: dict) -> None:
    reply = upload_callback(served["client"], b"lon,lat\n" + b"0" * (25 * 2**20), "big.csv")
    assert reply.status_code == 413 and b"the file is 25.0 MB; the limit is 20 MB" in reply.data
    assert_unharmed(served)


def test_an_oversize_body_without_length_stops_at_the_limit(served: dict) -> None:
    body = io.BytesIO(b"x" * (40 * 2**20))  # sent as a stream that ends by itself: no Content-Length to refuse it by
    reply = served["client"].post(
        "/_dash-update-component",
        input_stream=body,
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert reply.status_code == 413 and b"the limit is 20 MB" in reply.data
    assert body.tell() <= 30 * 2**20  # the reading stopped at the callback limit
    assert_unharmed(served)


def test_reserved_columns_do_not_overwrite_the_join(served: dict) -> None:
    client = served["client"]
    upload = post(client, b"name,lon,lat,province_adcode\nA,114.3,30.6,999999\n", "a.csv").get_json()["id"]
    rows = list(
        csv.DictReader(io.StringIO(client.get(f"/export/x.csv?layers=&upload={upload}").data.decode("utf-8-sig")))
    )
    assert rows[0]["province_adcodes"] == "420000"  # Wuhan is in Hubei, whatever the file's own column said


def test_formula_cells_are_neutralised_in_csv_downloads(served: dict) -> None:
    client = served["client"]
    content = (
        b'name,lon,lat\n"=HYPERLINK(""http://x"")",114.3,30.6\n'
        b"\"+cmd|' /C calc'!A0\",114.31,30.61\n@SUM(1),114.32,30.62\n"
    )
    upload = post(client, content, "f.csv").get_json()["id"]
    reply = client.get(f"/export/x.csv?layers=&upload={upload}&upload_label=name")
    rows = list(csv.DictReader(io.StringIO(reply.data.decode("utf-8-sig"))))
    assert [row["name_en"] for row in rows] == ['\'=HYPERLINK("http://x")', "'+cmd|' /C calc'!A0", "'@SUM(1)"]
    assert [row["lon"] for row in rows] == ["114.3", "114.31", "114.32"]  # numbers as they were


def test_a_data_export_of_an_expired_upload_says_so(served: dict) -> None:
    reply = served["client"].get("/export/x.csv?layers=&upload=AAAAAAAAAAAAAAAA")
    assert reply.status_code == 410 and b"no longer on the server" in reply.data


def test_an_emoji_zwj_subtitle_is_accepted() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    request = parse_export(
        f"layers=logistics_hubs&subtitle={quote('Families ' + family)}", fmt="svg", atlas=load_atlas()
    )
    assert request.options.subtitle == f"Families {family}"
    with pytest.raises(ExportError, match="printable"):
        parse_export(f"subtitle={quote('two' + chr(10) + 'lines')}", fmt="svg", atlas=load_atlas())


@pytest.mark.parametrize(
    "path",
    ["/_dash-component-suites/..%2f..%2fetc/passwd", "/_dash-component-suites/dash/..%2f..%2f..%2fetc%2fpasswd"],
)
def test_component_suite_traversal_is_404(served: dict, path: str) -> None:
    reply = served["client"].get(path)
    assert reply.status_code == 404 and b"root:" not in reply.data
    assert_unharmed(served)


def test_uploads_are_written_only_in_the_upload_folder(served: dict) -> None:
    before = set(os.listdir(served["uploads"]))
    reply = post(served["client"], b"name,lon,lat\nA,114.3,30.6\n", "../../../../tmp/evil.csv")
    assert reply.status_code == 201 and reply.get_json()["name"] == "evil.csv"
    added = set(os.listdir(served["uploads"])) - before
    assert added == {f"{reply.get_json()['id']}.geojson", f"{reply.get_json()['id']}.json"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id: s\ntitle: {en: Caf\u00e9}\n".encode("latin-1"), "not UTF-8 text"),
        (b"id: s\nsteps: " + b"[" * 20000 + b"]" * 20000 + b"\n", "nested too deeply"),
    ],
)
def test_story_files_that_are_not_utf8_or_too_deep_get_a_message(tmp_path: Path, content: bytes, message: str) -> None:
    from dashboard.view.stories import StoryError, read_story_file

    path = tmp_path / "story.yaml"
    path.write_bytes(content)
    with pytest.raises(StoryError, match=message) as caught:
        read_story_file(path)
    assert str(tmp_path) not in str(caught.value)


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+2", "'=1+2"),
        ("-2+3", "'-2+3"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-3.5", "-3.5"),
        ("+12", "+12"),
        ("1e5", "1e5"),
        ("plain", "plain"),
    ],
)
def test_only_formula_like_text_is_prefixed(cell: str, written: str) -> None:
    from dashboard.export.datasets import neutralise

    assert neutralise(cell) == written
