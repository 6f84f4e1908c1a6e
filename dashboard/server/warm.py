"""Background warm-up of the screen map: the LOD geometry and every level's static traces, built once at app start.

Visitors go first: before each step the warm-up waits until this process has no request in flight (up to
QUIET_WAIT_S), so a first visitor's map is not slowed by the warm-up holding the interpreter for the next view.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from dashboard.figures.screen import map_figure_data
from dashboard.view.scene import resolve
from dashboard.view.state import ViewState
from geodata import load_atlas, screen_lod

_log = logging.getLogger(__name__)
#: The line logged when the screen is warm (benchmarks and operators read it).
WARMED = "screen warm"
#: Levels in the order a visitor meets them: the default level first (the first map), then a switch away from it.
LEVELS = ("prefecture", "county", "province")
#: A zoomed-in view (above the LOD switch): the light files' traces are built too, so a first zoom is warm as well.
ZOOMED = {"center": (112.9, 30.9), "scale": 2.0}
#: The longest the warm-up waits for a quiet moment before a step (under steady load it goes on anyway).
QUIET_WAIT_S = 2.0
_started = threading.Lock()
_thread: list[threading.Thread] = []


class InFlight:
    """How many requests this process is answering; `wait_quiet` blocks until none is (or a timeout)."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    def enter(self) -> None:
        with self._changed:
            self._count += 1

    def leave(self) -> None:
        with self._changed:
            self._count -= 1
            self._changed.notify_all()

    def wait_quiet(self, timeout: float) -> bool:
        """Whether the process became (or was) free of requests within `timeout` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: self._count == 0, timeout=timeout)


REQUESTS = InFlight()


def track_requests(server: object) -> None:
    """Count the requests of `server` (a Flask app) in REQUESTS, around its whole WSGI call."""
    inner = server.wsgi_app  # type: ignore[attr-defined]

    def counted(environ: dict, start_response: object) -> object:
        REQUESTS.enter()
        try:
            return inner(environ, start_response)
        finally:
            REQUESTS.leave()

    server.wsgi_app = counted  # type: ignore[attr-defined]


def warm_views() -> list[ViewState]:
    """The views whose figures build what later views reuse: each level zoomed out (LOD) and zoomed in."""
    views = [ViewState()]
    for level in LEVELS:
        views += [ViewState(level=level), ViewState(level=level, **ZOOMED)]
    return list(dict.fromkeys(views))


def warm_screen() -> float:
    """Build the LOD atlas, then each warm view's figure (static traces and label placements are cached); seconds."""
    start = time.perf_counter()
    atlas = load_atlas()
    REQUESTS.wait_quiet(QUIET_WAIT_S)
    screen_lod.screen_atlas(atlas)
    for view in warm_views():
        REQUESTS.wait_quiet(QUIET_WAIT_S)
        map_figure_data(atlas, resolve(view))
    seconds = time.perf_counter() - start
    _log.info("%s: %d views in %.2f s", WARMED, len(warm_views()), seconds)
    return seconds


def _run() -> None:
    try:
        warm_screen()
    except Exception:  # a failed warm-up must never stop the app: the first request builds what it needs
        _log.exception("screen warm-up failed")


def wanted(*, environ: dict[str, str] | None = None) -> bool:
    """Whether create_app warms the screen: unless ATLAS_WARM=0, and not inside a test (PYTEST_CURRENT_TEST)."""
    env = os.environ if environ is None else environ
    return env.get("ATLAS_WARM", "1") != "0" and "PYTEST_CURRENT_TEST" not in env


def finished(*, timeout: float) -> None:
    """Wait (at most `timeout` seconds) for this process's screen warm-up, if it started one."""
    with _started:
        thread = _thread[0] if _thread else None
    if thread is not None:
        thread.join(timeout)


def start() -> threading.Thread:
    """Start the warm-up in a daemon thread, once per process (later calls return the same thread)."""
    with _started:
        if not _thread:
            _thread.append(threading.Thread(target=_run, name="screen-warm-up", daemon=True))
            _thread[0].start()
        return _thread[0]
