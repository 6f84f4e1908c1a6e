"""Figures to PNG, SVG and PDF bytes with Kaleido driving the machine's Chromium, offline, one browser kept warm."""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import logging
import os
import shutil
import threading
from collections.abc import Coroutine
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


class RenderError(RuntimeError):
    """The browser could not produce the image; the message says why."""


class BrowserUnavailable(RenderError):
    """No browser was found, it would not start, or it died."""


class RenderTimeout(RenderError):
    """The image took longer than the timeout."""


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
        try:
            await browser.open()
        except BaseException:  # a half-started Chromium (also on timeout) must not outlive us
            with contextlib.suppress(Exception):
                await browser.close()
            raise
        return browser

    @property
    def process_id(self) -> int | None:
        """The Chromium process id, or None when not running."""
        process = getattr(self._kaleido, "subprocess", None)
        return getattr(process, "pid", None)

    def render(self, spec: dict, opts: dict, *, timeout: float | None = None) -> bytes:
        """One image; a browser failure raises BrowserUnavailable, a slow image RenderTimeout."""
        if self._kaleido is None:
            raise BrowserUnavailable("the browser is not running")
        call = self._kaleido.calc_fig(spec, opts, topojson=topojson_url())
        try:
            return self._wait(call, timeout=timeout or self.timeout, what=f"a {opts['format']} image")
        except RenderError:
            raise
        except Exception as exc:
            raise _classify(exc) from exc

    def close(self) -> None:
        """Close Chromium, end every task and stop the loop thread (quietly: a dead browser is closed already)."""
        if self._thread.is_alive():
            with contextlib.suppress(Exception):
                self._wait(self._shutdown(), timeout=START_TIMEOUT_S + 5, what="closing the browser")
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._kaleido = None
        if not self._thread.is_alive() and not self._loop.is_closed():
            self._loop.close()

    async def _shutdown(self) -> None:
        if self._kaleido is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._kaleido.close(), START_TIMEOUT_S)
        pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def _wait(self, call: Coroutine, *, timeout: float, what: str) -> Any:
        future = asyncio.run_coroutine_threadsafe(call, self._loop)
        try:
            return future.result(timeout=timeout)
        except concurrent.futures.TimeoutError as exc:
            future.cancel()
            raise RenderTimeout(f"{what} took over {timeout:g} s") from exc


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


def start(*, tabs: int = 1) -> Browser:
    """Start the shared warm browser (idempotent; `render` starts it on first use otherwise)."""
    global _shared, _atexit_registered
    with _lock:
        if _shared is not None and _shared.pid == os.getpid():
            return _shared
        pio.defaults.topojson = topojson_url()  # for any plain plotly export in this process too
        _shared = Browser(tabs=tabs).open()  # a browser inherited through fork() is not ours: start anew
        if not _atexit_registered:
            atexit.register(stop)
            _atexit_registered = True
        return _shared


def stop() -> None:
    """Close the shared browser, if this process started one."""
    global _shared
    with _lock:
        browser, _shared = _shared, None
    if browser is not None and browser.pid == os.getpid():
        browser.close()


def is_running() -> bool:
    """Whether this process has a warm browser."""
    return _shared is not None and _shared.pid == os.getpid()


def _discard(browser: Browser) -> None:
    """Drop a failed shared browser so the next call starts a fresh one."""
    global _shared
    with _lock:
        if _shared is browser:
            _shared = None
    browser.close()


def _spec(fig: go.Figure | dict) -> dict:
    return fig.to_dict() if isinstance(fig, go.Figure) else fig


def render(
    fig: go.Figure | dict, *, fmt: str, width: int, height: int, scale: float, timeout: float | None = None
) -> bytes:
    """The figure as PNG, SVG or PDF bytes, drawn by the shared warm browser."""
    opts = image_opts(fmt=fmt, width=width, height=height, scale=scale)
    browser = start()
    try:
        return browser.render(_spec(fig), opts, timeout=timeout)
    except (BrowserUnavailable, RenderTimeout):
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
