"""gunicorn with two workers: requests spread over both, and an export one worker cached is served by the other."""

from __future__ import annotations

import concurrent.futures
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import flask
import pytest

from dashboard.config import CacheConfig
from dashboard.export.request import parse_export
from dashboard.export.service import export_key
from dashboard.server.cache import init_cache, namespaced

REPO = Path(__file__).resolve().parents[3]
WORKERS = 2
#: Generous deadlines, one per phase, so a busy machine slows the test down instead of failing it.
START_TIMEOUT_S = 120.0  # gunicorn up: the master and a first worker answer /healthz
WORKER_DISCOVERY_S = 90.0  # every worker has answered a /healthz
BROWSER_START_S = 120.0  # the first export's worker starts its Chromium ...
FIRST_EXPORT_S = 120.0  # ... and draws the image (one request, so its timeout is the sum of both)
CACHE_HIT_S = 90.0  # another worker serves the export from the shared cache
UPLOAD_SEEN_S = 90.0  # another worker describes an upload stored through the first
EXPORT = "/export/multiworker.png?layers=logistics_hubs&provinces=420000&size=400x300"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def free_port() -> int:
    """A local TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str, *, timeout: float = 60.0) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of one GET (HTTP errors included)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (from /proc)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until_up(process: subprocess.Popen, base: str, *, log: Path) -> None:
    """Poll /healthz until it answers; fail with the server's log if it exits or takes too long."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if fetch(f"{base}/healthz", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer within {START_TIMEOUT_S:g} s:\n{log.read_text()[-3000:]}")


@contextmanager
def gunicorn(tmp_path: Path, *, workers: int) -> Iterator[tuple[str, subprocess.Popen]]:
    """The app under gunicorn on a free local port, caching into tmp_path; always stopped, its browsers with it."""
    env = {
        **os.environ,
        "ATLAS_CACHE_TYPE": "FileSystemCache",
        "ATLAS_CACHE_DIR": str(tmp_path / "cache"),
        "ATLAS_UPLOAD_DIR": str(tmp_path / "uploads"),
        "TMPDIR": str(tmp_path),
        "ATLAS_WARM": "0",  # no browser at boot: the test tells a cache hit by the other worker starting none
    }
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-c", "dashboard/server/gunicorn_conf.py", "--workers", str(workers)]
    command += ["--bind", f"127.0.0.1:{port}", "--no-control-socket", "dashboard.wsgi:server"]
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(process, base, log=log)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def worker_pids(base: str, *, want: int, deadline: float) -> set[int]:
    """The pids that answered concurrent /healthz requests, until `want` of them did or the deadline passed."""
    pids: set[int] = set()
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        while len(pids) < want and time.monotonic() < deadline:
            for status, _, body in pool.map(lambda _: fetch(f"{base}/healthz", timeout=10), range(32)):
                assert status == 200
                pids.add(int(json.loads(body)["pid"]))
    return pids


def hit_from_another_worker(base: str, *, first_pid: int, deadline: float) -> tuple[dict[str, str], bytes]:
    """Ask for the export, a few at a time, until a worker other than `first_pid` serves it from the cache."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        while time.monotonic() < deadline:
            for status, headers, body in pool.map(lambda _: fetch(base + EXPORT), range(4)):
                assert status == 200, body[:300]
                assert headers["X-Atlas-Cache"] == "hit", headers
                if int(headers["X-Atlas-Worker"]) != first_pid:
                    return headers, body
    pytest.fail(f"no worker other than {first_pid} served the export from the cache within {CACHE_HIT_S:g} s")


def stored_export(folder: Path) -> bytes | None:
    """The bytes the cache folder holds for EXPORT, read through the app's own cache settings and key."""
    server = flask.Flask(__name__)
    cache = init_cache(server, config=CacheConfig(directory=str(folder)))
    request = parse_export(EXPORT.split("?", 1)[1], fmt="png")
    with server.app_context():
        return cache.get(namespaced(server, export_key(request)))


def test_two_workers_share_the_export_cache(tmp_path: Path) -> None:
    browsers: set[int] = set()
    with gunicorn(tmp_path, workers=WORKERS) as (base, master):
        pids = worker_pids(base, want=WORKERS, deadline=time.monotonic() + WORKER_DISCOVERY_S)
        assert len(pids) == WORKERS, f"only {pids} answered /healthz within {WORKER_DISCOVERY_S:g} s"
        assert pids <= descendants(master.pid)

        try:
            status, first, png = fetch(base + EXPORT, timeout=BROWSER_START_S + FIRST_EXPORT_S)
        except TimeoutError:
            pytest.fail(
                f"the first export (browser start and drawing) took over {BROWSER_START_S + FIRST_EXPORT_S:g} s"
            )
        assert status == 200, png[:300]
        assert first["X-Atlas-Cache"] == "miss" and png.startswith(PNG_MAGIC)
        first_pid = int(first["X-Atlas-Worker"])
        assert first_pid in pids
        assert stored_export(tmp_path / "cache") == png

        again, body = hit_from_another_worker(base, first_pid=first_pid, deadline=time.monotonic() + CACHE_HIT_S)
        other_pid = int(again["X-Atlas-Worker"])
        assert other_pid in pids - {first_pid}
        assert body == png
        assert not descendants(other_pid), "the other worker should not have needed a browser"
        browsers = descendants(master.pid) - pids  # the first worker's Chromium and its helpers
        assert browsers, "the worker that drew the image should have a browser running"
    assert master.returncode == 0
    assert not [pid for pid in browsers if alive(pid)], "a worker's browser outlived gunicorn"


def post_upload(base: str, content: bytes, *, filename: str) -> tuple[int, dict[str, str], dict]:
    """POST a file to the upload API as multipart form data."""
    boundary = "atlas-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"{base}/api/uploads", data=body, method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, dict(response.headers), json.loads(response.read())


def test_an_upload_through_one_worker_is_seen_by_another(tmp_path: Path) -> None:
    with gunicorn(tmp_path, workers=WORKERS) as (base, _):
        status, headers, stored = post_upload(base, b"name,lng,lat\nA,114.3,30.6\n", filename="parks.csv")
        assert status == 201 and stored["rows"] == 1
        first_pid = int(headers["X-Atlas-Worker"])
        deadline = time.monotonic() + UPLOAD_SEEN_S
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            while time.monotonic() < deadline:
                answers = pool.map(lambda _: fetch(f"{base}/api/uploads/{stored['id']}", timeout=10), range(8))
                others = [(h, b) for status, h, b in answers if status == 200 and int(h["X-Atlas-Worker"]) != first_pid]
                if others:
                    assert json.loads(others[0][1])["name"] == "parks.csv"
                    return
        pytest.fail(f"no other worker described the upload within {UPLOAD_SEEN_S:g} s")


#: A large first image: the export starts the worker's browser, then draws for seconds.
SLOW_EXPORT = "/export/inflight.png?layers=logistics_hubs,metro_circles&size=1600x1200"


def browser_started(master: int) -> bool:
    """Whether a Chromium runs below the gunicorn master (the export is past its start and drawing)."""
    for pid in descendants(master):
        try:
            if "chrom" in (Path("/proc") / str(pid) / "comm").read_text():
                return True
        except OSError:
            continue
    return False


def test_an_export_in_flight_does_not_hold_an_interactive_request(tmp_path: Path) -> None:
    from dashboard.export.render import browser_path

    if not Path(browser_path()).is_file():
        pytest.skip("no Chromium here: exports answer 503 at once")
    with (
        gunicorn(tmp_path, workers=1) as (base, master),
        concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool,
    ):
        export = pool.submit(fetch, base + SLOW_EXPORT, timeout=BROWSER_START_S + FIRST_EXPORT_S)
        deadline = time.monotonic() + BROWSER_START_S
        while not browser_started(master.pid) and not export.done() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not export.done(), f"the export ended before its browser was seen: {export.result()[0]}"
        started = time.monotonic()
        status, _, body = fetch(f"{base}/healthz", timeout=60)
        answered = time.monotonic() - started
        in_flight = not export.done()
        assert status == 200 and json.loads(body)["status"] == "ok"
        assert in_flight, f"/healthz waited for the export to finish ({answered:.1f} s)"
        assert export.result()[0] == 200
