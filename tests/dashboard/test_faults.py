"""Faults: a full or read-only upload folder, a dying export browser, identical concurrent exports, and 20 sessions
of uploads, toggles and exports on 127.0.0.1 while the browser is killed once."""

from __future__ import annotations

import csv
import errno
import io
import itertools
import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import flask
import geopandas as gpd
import pytest
from werkzeug.serving import make_server

from dashboard.export import render
from dashboard.server import cache as export_cache
from dashboard.server.blueprint import register_routes
from dashboard.ui import ids
from dashboard.uploads import store as store_module
from dashboard.view.state import ViewState

CSV = b"name,lon,lat\nA,114.3,30.6\n"


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> flask.testing.FlaskClient:
    monkeypatch.setenv("ATLAS_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("ATLAS_CACHE_TYPE", "NullCache")
    server = flask.Flask("faults")
    register_routes(server)
    return server.test_client()


def post(client, content: bytes = CSV, name: str = "a.csv"):
    return client.post("/api/uploads", data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.glob("*tmp*"))


@pytest.mark.parametrize(("code", "said"), [(errno.ENOSPC, "is full"), (errno.EROFS, "cannot be written")])
def test_a_folder_that_refuses_the_write_gets_a_message_and_leaves_nothing(
    client, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, code: int, said: str
) -> None:
    real = gpd.GeoDataFrame.to_file

    def half_written(frame, path, **kwargs):
        Path(path).write_bytes(b'{"type": "FeatureCollection", "feat')  # the disk fills mid-file
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", half_written)
    reply = post(client)
    body = reply.get_json()
    assert reply.status_code == 503 and said in body["error"] and reply.headers["Retry-After"]
    assert str(tmp_path) not in body["error"]
    assert leftovers(tmp_path / "uploads") == [] and list((tmp_path / "uploads").iterdir()) == []
    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", real)
    assert post(client).status_code == 201  # the next request works


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_a_read_only_upload_folder_gets_a_message(client, tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        reply = post(client)
        assert reply.status_code == 503 and "cannot be written" in reply.get_json()["error"]
    finally:
        folder.chmod(0o700)
    assert post(client).status_code == 201 and leftovers(folder) == []


def test_stale_half_written_files_are_expired(client, tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    folder.mkdir()
    stale, fresh = folder / "AAAAAAAAAAAAAAAA.tmp", folder / "BBBBBBBBBBBBBBBB.tmp"
    for path in (stale, fresh):
        path.write_bytes(b"{")
    old = time.time() - store_module.STALE_TMP_S - 60
    os.utime(stale, (old, old))
    assert post(client).status_code == 201
    assert not stale.exists() and fresh.exists()  # a save in progress elsewhere is left alone


@pytest.fixture
def cached_server(tmp_path: Path) -> flask.Flask:
    server = flask.Flask("coalesce")
    export_cache.init_cache(server, config=export_cache.CacheConfig(directory=str(tmp_path / "cache")))
    return server


def test_identical_concurrent_requests_are_made_once(cached_server: flask.Flask) -> None:
    made, answers = [], []

    def make() -> bytes:
        made.append(1)
        time.sleep(0.5)
        return b"image"

    def ask() -> None:
        with cached_server.app_context():
            answers.append(export_cache.cached_bytes(cached_server, "export/png?same", make=make))

    threads = [threading.Thread(target=ask) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(made) == 1 and len(answers) == 10
    assert {data for data, _ in answers} == {b"image"}
    assert sorted(state for _, state in answers).count(export_cache.MISS) == 1


def test_when_the_first_fails_the_waiting_requests_make_it_themselves(cached_server: flask.Flask) -> None:
    calls: list[int] = []

    def make() -> bytes:
        calls.append(1)
        time.sleep(0.3)
        if len(calls) == 1:
            raise render.BrowserUnavailable("died")
        return b"image"

    results: list[object] = []

    def ask() -> None:
        try:
            results.append(export_cache.cached_bytes(cached_server, "export/png?fails", make=make)[0])
        except render.BrowserUnavailable as exc:
            results.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sum(isinstance(r, render.BrowserUnavailable) for r in results) == 1 and results.count(b"image") == 3
    assert len(calls) == 2  # the second maker's bytes served the other two


FIGURE = {"data": [{"type": "scatter", "x": [1, 2, 3], "y": [3, 1, 2]}], "layout": {}}


def wait_for(condition, *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_browser_dying_while_idle_is_restarted_by_the_supervisor(scratch_home: Path) -> None:
    browser = render.start()
    try:
        before = render.restarts
        os.kill(browser.process_id, signal.SIGKILL)
        restarted = wait_for(lambda: render.restarts > before and render.is_running(), seconds=30)
        assert restarted and render._shared is not browser
        started = time.monotonic()
        assert render.render(FIGURE, fmt="png", width=200, height=150, scale=1)[:4] == b"\x89PNG"
        assert time.monotonic() - started < 10  # the user's export did not start the browser
    finally:
        render.stop()


def test_requests_in_flight_when_the_browser_dies_fail_fast(scratch_home: Path) -> None:
    browser = render.start()
    big = {"data": [{"type": "scattergl", "x": list(range(300000)), "y": list(range(300000))}], "layout": {}}
    failures: list[tuple[type, float]] = []

    def export() -> None:
        started = time.monotonic()
        try:
            render.render(big, fmt="png", width=2000, height=2000, scale=2)
        except render.RenderError as exc:
            failures.append((type(exc), time.monotonic() - started))

    try:
        threads = [threading.Thread(target=export) for _ in range(3)]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        os.kill(browser.process_id, signal.SIGKILL)
        for thread in threads:
            thread.join(timeout=30)
        assert failures and all(kind is render.BrowserUnavailable and took < 10 for kind, took in failures)
        assert wait_for(render.is_running, seconds=30)
    finally:
        render.stop()


# --- load and fault ---------------------------------------------------------------------------------------------

SESSIONS = 20
BOUND_S = 60.0
RETRY_S = 30.0
EXPORTING = threading.Event()
HUBEI = [(114.3 + i * 0.01, 30.6 + i * 0.01) for i in range(SESSIONS)]  # points near Wuhan (WGS84)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, scratch_home: Path) -> Iterator[str]:
    """The whole app on 127.0.0.1 (a threaded server), with its own uploads and cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ATLAS_UPLOAD_DIR", str(tmp_path_factory.mktemp("live-uploads")))
        patch.setenv("ATLAS_CACHE_DIR", str(tmp_path_factory.mktemp("live-cache")))
        patch.setenv("ATLAS_CACHE_TYPE", "FileSystemCache")
        from dashboard.app import create_app

        server = make_server("127.0.0.1", 0, create_app().server, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:  # warm: the print-resolution atlas loaded and the browser started before the clock runs
            assert call(base + "/export/warm.png?provinces=360000&layers=&size=640x360")[0] == 200
            yield base
        finally:
            server.shutdown()
            render.stop()


def call(url: str, *, data: bytes | None = None, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=BOUND_S) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def multipart(content: bytes, name: str) -> tuple[bytes, dict]:
    boundary = "atlas-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def toggle_body(old: ViewState, new: ViewState) -> bytes:
    """The map callback the page sends when a layer is toggled (the view before is the figure drawn)."""
    sized = [{"view": state.to_dict(), "width": 900, "height": 600} for state in (old, new)]
    outputs = [(ids.MAP, "figure"), (ids.DRAWN, "data")]
    return json.dumps(
        {
            "output": ".." + "...".join(f"{i}.{p}" for i, p in outputs) + "..",
            "outputs": [{"id": i, "property": p} for i, p in outputs],
            "inputs": [{"id": ids.SIZED_VIEW, "property": "data", "value": sized[1]}],
            "state": [{"id": ids.DRAWN, "property": "data", "value": sized[0]}],
            "changedPropIds": [f"{ids.SIZED_VIEW}.data"],
        }
    ).encode()


class Session:
    """One user: uploads a point, toggles layers over it, exports an image and its data, checks what it got."""

    def __init__(self, base: str, number: int) -> None:
        self.base, self.number = base, number
        self.statuses: list[tuple[str, int, str | None]] = []
        self.problems: list[str] = []
        self.took: list[tuple[str, float]] = []

    def _call(self, what: str, url: str, **kwargs) -> tuple[int, dict, bytes]:
        started = time.monotonic()
        status, headers, body = call(self.base + url, **kwargs)
        self.statuses.append((what, status, headers.get("Retry-After")))
        self.took.append((what, round(time.monotonic() - started, 2)))
        return status, headers, body

    def run(self) -> None:
        try:
            self._run()
        except Exception as exc:  # a failure of the session itself is reported, not lost in the thread
            self.problems.append(f"session {self.number}: {type(exc).__name__}: {exc}")

    def _run(self) -> None:
        lon, lat = HUBEI[self.number]
        name = f"session-{self.number}"
        body, headers = multipart(f"name,lon,lat\n{name},{lon},{lat}\n".encode(), f"{name}.csv")
        status, _, reply = self._call("upload", "/api/uploads", data=body, headers=headers)
        if status != 201:
            self.problems.append(f"{name}: upload answered {status}")
            return
        upload = json.loads(reply)["id"]
        views = [ViewState(layers=layers, upload=upload) for layers in (("logistics_hubs",), (), ("central_cities",))]
        for old, new in itertools.pairwise(views):
            status, _, _ = self._call(
                "toggle",
                "/_dash-update-component",
                data=toggle_body(old, new),
                headers={"Content-Type": "application/json"},
            )
        provinces = ["420000", "430000"][self.number % 2]  # two distinct images, ten asks each
        EXPORTING.set()
        self._export_until_ok(f"/export/s{self.number}.png?provinces={provinces}&layers=logistics_hubs&size=640x360")
        status, _, data = self._export_until_ok(f"/export/s{self.number}.csv?layers=&upload={upload}&upload_label=name")
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        if [row["name_en"] for row in rows] != [name] or rows[0]["prefecture_adcodes"] != "420100":
            self.problems.append(f"{name}: its data export holds {[row['name_en'] for row in rows]}")
        status, _, data = self._call("describe", f"/api/uploads/{upload}")
        if status != 200 or json.loads(data)["name"] != f"{name}.csv":
            self.problems.append(f"{name}: its upload is described as {data[:100]!r}")

    def _export_until_ok(self, url: str) -> tuple[int, dict, bytes]:
        deadline = time.monotonic() + RETRY_S
        while True:
            status, headers, body = self._call("export", url)
            if status != 503 or time.monotonic() > deadline:
                break
            time.sleep(min(float(headers.get("Retry-After", 1)), 1.0))  # the hint, shortened for the test
        if status != 200:
            self.problems.append(f"session {self.number}: {url} answered {status}: {body[:120]!r}")
        return status, headers, body


def test_twenty_sessions_while_the_browser_is_killed_once(live: str) -> None:
    started = time.monotonic()
    sessions = [Session(live, number) for number in range(SESSIONS)]
    threads = [threading.Thread(target=session.run) for session in sessions]
    for thread in threads:
        thread.start()
    assert EXPORTING.wait(timeout=30)
    time.sleep(4.0)  # the first images are being drawn (figures take about 1.3 s to build)
    victim = render._shared.process_id  # the browser this process started
    os.kill(victim, signal.SIGKILL)
    for thread in threads:
        thread.join(timeout=max(BOUND_S - (time.monotonic() - started), 1))
    statuses = [entry for session in sessions for entry in session.statuses]
    for what in ("upload", "toggle", "export", "describe"):
        times = sorted(t for session in sessions for kind, t in session.took if kind == what)
        codes = sorted({status for kind, status, _ in statuses if kind == what})
        if times:
            print(f"{what}: {len(times)} calls, statuses {codes}, median {times[len(times) // 2]} s, max {times[-1]} s")
    assert not any(thread.is_alive() for thread in threads), "sessions still running at the time bound"
    print(f"503 with Retry-After: {sum(1 for entry in statuses if entry[1] == 503 and entry[2])}")
    server_errors = [entry for entry in statuses if entry[1] >= 500 and not (entry[1] == 503 and entry[2])]
    assert server_errors == []  # only the documented 503 with its Retry-After
    assert [problem for session in sessions for problem in session.problems] == []
    restarted = time.monotonic() + 5 * render.SUPERVISE_INTERVAL_S  # the supervisor's next rounds, however fast
    while time.monotonic() < restarted and not (render.is_running() and render._shared.process_id != victim):
        time.sleep(0.1)  # the sessions may all have finished before the supervisor's next look
    assert render.is_running() and render._shared.process_id != victim
    assert time.monotonic() - started < BOUND_S
