"""Figures to PNG, SVG and PDF bytes with Kaleido driving the machine's Chromium, offline, one browser kept warm."""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import itertools
import json
import logging
import math
import os
import shutil
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from dashboard.config import TOPOJSON_DIR

_log = logging.getLogger(__name__)
FORMATS = ("png", "svg", "pdf")
#: Seconds one image may take, waiting for a free tab included.
RENDER_TIMEOUT_S = 90.0
#: Seconds the browser may take to start (or to close).
START_TIMEOUT_S = 60.0
#: Seconds between the supervisor's checks that the warm browser is alive; how often a waiting request looks too.
SUPERVISE_INTERVAL_S = 2.0
POLL_S = 0.25
#: Seconds a dead browser is given to be cleaned up (its process is gone: nothing to wait for).
DEAD_CLOSE_S = 5.0
#: Seconds the browser may take to answer the supervisor's ping (a DevTools round trip; a tiny image when idle).
PING_TIMEOUT_S = 5.0
#: A tiny figure the supervisor draws when the browser is idle: proves a tab still renders.
PING_FIGURE = {"data": [], "layout": {"width": 16, "height": 16}}
#: Seconds per image assumed before any was drawn (the admission estimate learns from each image drawn).
DEFAULT_IMAGE_S = 2.0


class RenderError(RuntimeError):
    """The browser could not produce the image; the message says why."""


class BrowserUnavailable(RenderError):
    """No browser was found, it would not start, or it died."""


class RenderTimeout(RenderError):
    """The image took longer than the timeout."""


class RenderBusy(RenderError):
    """Too many images wait already: this one could not be drawn within the timeout. Retry after `retry_after` s."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def browser_path() -> str:
    """BROWSER_PATH when set, else Chromium or Chrome on PATH, else Debian's /usr/bin/chromium."""
    if os.environ.get("BROWSER_PATH"):
        return os.environ["BROWSER_PATH"]
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    return "/usr/bin/chromium"


def topojson_url() -> str:
    """The local base topojson folder as a file:// URL (trailing slash), so `geo` maps need no CDN."""
    return TOPOJSON_DIR.as_uri() + "/"


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (Linux /proc), children first; empty where /proc does not tell."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = [int(child) for child in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
        for child in children:
            found += [child, *descendants(child)]
    return found


def image_opts(*, fmt: str, width: int, height: int, scale: float) -> dict:
    """Kaleido's per-image options; a PDF page is width x height CSS px (0.75 pt each) times scale."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown image format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return {"format": fmt, "width": width, "height": height, "scale": scale}


class Browser:
    """One Kaleido (one headless Chromium) on a private event-loop thread; safe to call from many threads."""

    def __init__(self, *, tabs: int = 1, timeout: float = RENDER_TIMEOUT_S) -> None:
        self.tabs = tabs
        self.timeout = timeout
        self.pid = os.getpid()
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(_quiet)
        self._thread = threading.Thread(target=self._loop.run_forever, name="kaleido-loop", daemon=True)
        self._kaleido: Any = None
        self._closing = threading.Lock()
        #: Set when the browser is known dead: every waiting request fails at once with BrowserUnavailable.
        self.dead = threading.Event()
        #: Images being drawn or waiting for a tab; set after an image timed out (the supervisor pings it at once).
        self.in_flight = 0
        self._counting = threading.Lock()
        self.suspect = threading.Event()

    def open(self) -> Browser:
        """Start Chromium and load Kaleido's page (MathJax off: it would come from a CDN)."""
        path = browser_path()
        if not Path(path).is_file():
            raise BrowserUnavailable(f"no browser at {path}: install Debian's chromium or set BROWSER_PATH")
        self._thread.start()
        try:
            self._kaleido = self._wait(self._open(path), timeout=START_TIMEOUT_S, what="starting the browser")
        except RenderError:
            self.close()
            raise
        except Exception as exc:
            self.close()
            raise BrowserUnavailable(f"could not start {path}: {type(exc).__name__}: {exc}") from exc
        return self

    async def _open(self, path: str) -> Any:
        import kaleido

        browser = kaleido.Kaleido(n=self.tabs, timeout=self.timeout, mathjax=False, path=path)
        keep_page_warm(browser)
        send_figures_as_text()
        try:
            await browser.open()
        except BaseException:  # a half-started Chromium (also on timeout) must not outlive us
            with contextlib.suppress(Exception):
                await browser.close()
            raise
        return browser

    def chromium_ids(self) -> list[int]:
        """The browser's own processes (Chromium and its helpers) below choreographer's wrapper process."""
        return descendants(self.process_id) if self.process_id else []

    @property
    def process_id(self) -> int | None:
        """The Chromium process id, or None when not running."""
        process = getattr(self._kaleido, "subprocess", None)
        return getattr(process, "pid", None)

    def alive(self) -> bool:
        """Whether Chromium and the loop thread are both still running (a cheap check, no page work)."""
        process = getattr(self._kaleido, "subprocess", None)
        return (
            not self.dead.is_set()
            and self._thread.is_alive()
            and process is not None
            and getattr(process, "poll", lambda: 0)() is None
        )

    def render(self, spec: dict, opts: dict, *, timeout: float | None = None) -> bytes:
        """One image; a browser failure raises BrowserUnavailable, a slow image RenderTimeout."""
        if self._kaleido is None or not self.alive():
            raise BrowserUnavailable("the browser is not running")
        call = self._kaleido.calc_fig(spec, opts, topojson=topojson_url())
        with self._counting:
            self.in_flight += 1
        try:
            return self._wait(call, timeout=timeout or self.timeout, what=f"a {opts['format']} image")
        except RenderTimeout:
            self.suspect.set()
            raise
        except RenderError:
            raise
        except Exception as exc:
            raise _classify(exc) from exc
        finally:
            with self._counting:
                self.in_flight -= 1

    def ping(self, *, timeout: float = PING_TIMEOUT_S, draw: bool = True) -> None:
        """Raise RenderError unless the browser answers a DevTools call and, when idle, draws a tiny image in time.

        A stopped or hung Chromium answers neither: its process is alive, so only this finds it.
        """
        if self._kaleido is None or not self.alive():
            raise BrowserUnavailable("the browser is not running")
        try:
            self._wait(self._kaleido.send_command("Browser.getVersion"), timeout=timeout, what="the browser's ping")
        except RenderError:
            raise
        except Exception as exc:
            raise _classify(exc) from exc
        if not self.suspect.is_set() and (self.in_flight or not draw):
            return  # busy drawing (a tab would answer after the exports), or not a drawing round: DevTools suffices
        opts = image_opts(fmt="png", width=16, height=16, scale=1.0)
        try:
            self.render(PING_FIGURE, opts, timeout=timeout)
        except RenderTimeout:
            if self.in_flight:  # it waited behind an export that started meanwhile: not a verdict
                return
            raise
        self.suspect.clear()

    def close(self) -> None:
        """Close Chromium, end every task and stop the loop thread (once; a dead browser is only cleaned up)."""
        if not self._closing.acquire(blocking=False):
            return  # another thread is closing it already
        if self._kaleido is not None and not self.alive():
            self.dead.set()
        if self._thread.is_alive():
            wait = DEAD_CLOSE_S if self.dead.is_set() else START_TIMEOUT_S + 5
            with contextlib.suppress(Exception):
                self._wait(self._shutdown(), timeout=wait, what="closing the browser", watch=False)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        if self.dead.is_set():
            process = getattr(self._kaleido, "subprocess", None)
            family = descendants(process.pid) if process is not None else []
            with contextlib.suppress(Exception):
                process.kill()
                process.wait(timeout=5)
            for pid in family:  # Chromium under choreographer's wrapper, stopped or hung, and its helpers
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        self._kaleido = None
        if not self._thread.is_alive() and not self._loop.is_closed():
            self._loop.close()

    async def _shutdown(self) -> None:
        if self._kaleido is not None and not self.dead.is_set():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._kaleido.close(), START_TIMEOUT_S)
        pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def _wait(self, call: Coroutine, *, timeout: float, what: str, watch: bool = True) -> Any:
        """The call's result; RenderTimeout after `timeout`, BrowserUnavailable at once if the browser dies."""
        future = asyncio.run_coroutine_threadsafe(call, self._loop)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                return future.result(timeout=max(min(POLL_S, left), 0))
            except concurrent.futures.TimeoutError as exc:
                if watch and self._kaleido is not None and not self.alive():
                    self.dead.set()
                    future.cancel()
                    raise BrowserUnavailable("the export browser stopped; it is being restarted") from exc
                if left <= 0:
                    future.cancel()
                    raise RenderTimeout(f"{what} took over {timeout:g} s") from exc
            except concurrent.futures.CancelledError as exc:
                raise BrowserUnavailable("the export browser stopped; it is being restarted") from exc


#: Images a tab draws before Kaleido's page is reloaded (it reloads after every image by default: ~0.2 s each).
RELOAD_EVERY = 50


def keep_page_warm(browser: Any, *, every: int = RELOAD_EVERY) -> None:
    """Return tabs to Kaleido's queue without reloading the page, except after every `every` images."""
    reload_and_return = browser._return_kaleido_tab
    served = {"count": 0}

    async def return_tab(tab: Any) -> None:
        served["count"] += 1
        if served["count"] % every == 0:
            await reload_and_return(tab)
        else:
            await browser.tabs_ready.put(tab)

    browser._return_kaleido_tab = return_tab


#: Kaleido's page call (kaleido 1.x), and the same call taking the figure as one JSON string.
KALEIDO_CALL = "function(spec, ...args){return kaleido_scopes.plotly(spec, ...args).then(JSON.stringify);}"
TEXT_CALL = "function(text, ...args){return kaleido_scopes.plotly(JSON.parse(text), ...args).then(JSON.stringify);}"


def send_figures_as_text() -> None:
    """Send each figure to Kaleido's page as one JSON string that the page parses, not as a DevTools object.

    Chromium converts a DevTools object argument value by value, which took about half of a slide image's time;
    V8's JSON.parse reads the same figure in a few milliseconds. Idempotent; a Kaleido whose call differs is left as
    it is.
    """
    from kaleido._kaleido_tab import _devtools_utils as devtools

    if not getattr(devtools.exec_js_fn, "sends_text", False):
        devtools.exec_js_fn = text_call(devtools.exec_js_fn)


def text_call(real: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Kaleido's `exec_js_fn` sending its figure as JSON text (other calls pass through unchanged)."""

    async def exec_js_fn(tab: Any, js_id: int, fn: str, *args: Any) -> Any:
        if fn == KALEIDO_CALL and args and isinstance(args[0], dict):
            fn, args = TEXT_CALL, (figure_json(args[0]), *args[1:])
        return await real(tab, js_id, fn, *args)

    exec_js_fn.sends_text = True  # type: ignore[attr-defined]
    return exec_js_fn


def figure_json(spec: dict) -> str:
    """The figure as compact JSON (Plotly's encoder: NaN as null, numpy arrays as lists)."""
    from _plotly_utils.utils import PlotlyJSONEncoder

    return json.dumps(spec, cls=PlotlyJSONEncoder, separators=(",", ":"))


def _quiet(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """Leftovers of a browser that died or timed out (already reported to the caller) go to the debug log."""
    _log.debug("kaleido loop: %s", context.get("exception") or context.get("message"))


def _classify(exc: Exception) -> RenderError:
    """A figure the browser rejected (RenderError), or a browser that is gone (BrowserUnavailable)."""
    from kaleido.errors import JavascriptError, KaleidoError

    if isinstance(exc, KaleidoError | JavascriptError):
        return RenderError(f"the browser could not draw the figure: {exc}")
    return BrowserUnavailable(f"the browser failed: {type(exc).__name__}: {exc}")


_lock = threading.Lock()
_shared: Browser | None = None
_atexit_registered = False
#: The supervisor thread of this process, and whether it should keep a browser running.
_supervisor: threading.Thread | None = None
_supervising = threading.Event()
restarts = 0


def start(*, tabs: int = 1) -> Browser:
    """Start the shared warm browser (idempotent; `render` starts it on first use otherwise) and its supervisor."""
    global _shared, _atexit_registered
    with _lock:
        if _shared is not None and _shared.pid == os.getpid() and not _shared.dead.is_set():
            return _shared
        pio.defaults.topojson = topojson_url()  # for any plain plotly export in this process too
        _shared = Browser(tabs=tabs).open()  # a browser inherited through fork() is not ours: start anew
        if not _atexit_registered:
            atexit.register(stop)
            _atexit_registered = True
        _ensure_supervisor()
        return _shared


def _ensure_supervisor() -> None:
    """One health-check thread per process (called with _lock held)."""
    global _supervisor
    _supervising.set()
    if _supervisor is not None and _supervisor.is_alive() and getattr(_supervisor, "pid", None) == os.getpid():
        return
    _supervisor = threading.Thread(target=_supervise, name="kaleido-supervisor", daemon=True)
    _supervisor.pid = os.getpid()  # type: ignore[attr-defined]
    _supervisor.start()


def _supervise() -> None:
    """Every few seconds: a dead or hung shared browser is dropped (its waiting requests fail at once), a new started.

    Hung: alive but not answering the ping (a stopped process, a stuck page) within PING_TIMEOUT_S.
    """
    global restarts
    while True:
        _supervising.wait()
        time.sleep(SUPERVISE_INTERVAL_S)
        browser = _shared
        if browser is not None and (browser.pid != os.getpid() or healthy(browser)):
            continue
        if browser is not None:
            _log.warning("export browser dead or hung (pid %s); restarting it", browser.process_id)
            browser.dead.set()  # every request waiting on it fails now, with BrowserUnavailable (503)
            _discard(browser)
        if not _supervising.is_set():
            continue
        try:  # a browser dropped by a failed request is also replaced here, before the next user asks
            start(tabs=browser.tabs if browser is not None else 1)
            restarts += 1
        except RenderError as exc:
            _log.error("export browser could not be restarted (will retry): %s", exc)


#: The supervisor's rounds between tiny test images (each round also makes a DevTools call, far cheaper).
DRAW_EVERY = 5
_rounds = itertools.count()


def healthy(browser: Browser) -> bool:
    """Whether the browser is running and answers its ping in time (a browser being closed counts as healthy)."""
    if not browser.alive():
        return False
    try:
        browser.ping(draw=next(_rounds) % DRAW_EVERY == 0)
    except RenderError as exc:
        if _shared is not browser:
            return True  # dropped meanwhile (stop or another failure): nothing left to decide here
        _log.warning("export browser failed its health check: %s", exc)
        return False
    return True


def stop() -> None:
    """Close the shared browser, if this process started one (the supervisor stops restarting it)."""
    global _shared
    _supervising.clear()
    with _lock:
        browser, _shared = _shared, None
    if browser is not None and browser.pid == os.getpid():
        browser.close()


def is_running() -> bool:
    """Whether this process has a warm browser."""
    return _shared is not None and _shared.pid == os.getpid()


def _discard(browser: Browser) -> None:
    """Drop a failed shared browser so the next call starts a fresh one; it is closed in the background."""
    global _shared
    with _lock:
        if _shared is browser:
            _shared = None
    threading.Thread(target=browser.close, name="kaleido-close", daemon=True).start()


def _spec(fig: go.Figure | dict) -> dict:
    return fig.to_dict() if isinstance(fig, go.Figure) else fig


class Admission:
    """This process's image queue: an image that could not be drawn within its timeout is refused at once.

    The estimate of seconds per image follows the images drawn (a moving average), so the bound follows the load.
    """

    def __init__(self, *, seconds: float = DEFAULT_IMAGE_S) -> None:
        self.seconds = seconds
        self.waiting = 0
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def slot(self, *, timeout: float, tabs: int = 1) -> Iterator[None]:
        """Hold a place in the queue while drawing; RenderBusy when the queue ahead would outlast `timeout`."""
        with self._lock:
            expected = (self.waiting + 1) * self.seconds / max(tabs, 1)
            if self.waiting and expected > timeout:
                retry = min(max(math.ceil(self.waiting * self.seconds / max(tabs, 1)), 1), 600)
                raise RenderBusy(
                    f"{self.waiting} images are waiting for the export browser (about {retry} s of work)",
                    retry_after=retry,
                )
            self.waiting += 1
            place = self.waiting  # images ahead of this one and itself: it waits about place x seconds
        started, drawn = time.monotonic(), False
        try:
            yield
            drawn = True
        finally:
            with self._lock:
                self.waiting -= 1
                if drawn:
                    each = (time.monotonic() - started) * max(tabs, 1) / place
                    self.seconds = 0.7 * self.seconds + 0.3 * each


admission = Admission()


def render(
    fig: go.Figure | dict, *, fmt: str, width: int, height: int, scale: float, timeout: float | None = None
) -> bytes:
    """The figure as PNG, SVG or PDF bytes, drawn by the shared warm browser.

    RenderBusy at once when the images waiting already would outlast the timeout; BrowserUnavailable at once when
    the browser dies or the supervisor finds it hung. A timed-out image leaves the browser to the supervisor's check.
    """
    opts = image_opts(fmt=fmt, width=width, height=height, scale=scale)
    limit = timeout or RENDER_TIMEOUT_S
    browser = start()  # outside the queue: a first image's browser start is no measure of drawing
    with admission.slot(timeout=limit, tabs=browser.tabs):
        try:
            return browser.render(_spec(fig), opts, timeout=limit)
        except BrowserUnavailable:
            _discard(browser)
            raise


def render_one_shot(
    fig: go.Figure | dict, *, fmt: str, width: int, height: int, scale: float, timeout: float | None = None
) -> bytes:
    """The same image from a browser started for it alone and closed after (the cold baseline)."""
    opts = image_opts(fmt=fmt, width=width, height=height, scale=scale)
    browser = Browser().open()
    try:
        return browser.render(_spec(fig), opts, timeout=timeout)
    finally:
        browser.close()
