"""gunicorn settings: `gunicorn -c dashboard/server/gunicorn_conf.py dashboard.wsgi:server` (threaded workers)."""

from __future__ import annotations

import contextlib
import logging
import os
import time

DEFAULT_WORKERS = 2
#: Threads per worker (gthread): an export waiting on its browser, or a slow figure, no longer holds the worker.
DEFAULT_THREADS = 16


def count_from_env(name: str, *, default: int, environ: dict[str, str] | None = None) -> int:
    """The environment variable `name` as a positive whole number, else `default`."""
    value = (os.environ if environ is None else environ).get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name}={value!r}: give a whole number, 1 or more")
    return int(value)


def workers_from_env(*, environ: dict[str, str] | None = None) -> int:
    """ATLAS_WORKERS as a positive whole number, else DEFAULT_WORKERS."""
    return count_from_env("ATLAS_WORKERS", default=DEFAULT_WORKERS, environ=environ)


def threads_from_env(*, environ: dict[str, str] | None = None) -> int:
    """ATLAS_THREADS (threads per worker) as a positive whole number, else DEFAULT_THREADS."""
    return count_from_env("ATLAS_THREADS", default=DEFAULT_THREADS, environ=environ)


def warm_views() -> list[str]:
    """Export URLs to draw ahead of time: the default view and every step of the bundled story (slide PNG)."""
    from dashboard.export.request import export_href
    from dashboard.view.state import ViewState, with_step
    from dashboard.view.stories import load_story

    state = ViewState()
    story = load_story(state.story)
    return [export_href(view, fmt="png") for view in [state, *(with_step(state, step) for step in story.steps)]]


#: The line the worker logs when its cache is filled (the load benchmark waits for it before measuring).
PREFILLED = "export cache prefilled"


def prefill_cache(app: object, *, urls: list[str]) -> int:
    """Request each export once through the app (filling the shared cache); how many succeeded."""
    client = app.test_client()  # type: ignore[attr-defined]
    done = 0
    for url in urls:
        try:
            done += client.get(url).status_code == 200
        except Exception:  # a failed warm-up must never stop the worker
            continue
    logging.getLogger("gunicorn.error").info("%s: %d of %d", PREFILLED, done, len(urls))
    return done


def start_browser(*, idle: bool) -> bool:
    """Start the warm browser, from a thread of the idle scheduling class when `idle`; whether it started.

    On Linux the class belongs to the thread and passes to the threads and processes it starts (Chromium cannot
    leave it by changing its nice values): the browser's event loop, its supervisor and every Chromium process,
    restarts included, get the CPU the request threads leave, so a render never slows the interactive page.
    """
    import threading

    from dashboard.export import render

    started: list[bool] = []

    def run() -> None:
        if idle and hasattr(os, "SCHED_IDLE"):
            with contextlib.suppress(OSError):  # not allowed here: the browser runs at the worker's priority
                os.sched_setscheduler(threading.get_native_id(), os.SCHED_IDLE, os.sched_param(0))
        try:
            render.start()
            started.append(True)
        except render.RenderError:
            started.append(False)

    thread = threading.Thread(target=run, name="browser-start")
    thread.start()
    thread.join()
    return bool(started and started[0])


#: Seconds after the browser is up before the worker draws the story's exports for the cache.
PREFILL_DELAY_S = 5.0


#: The longest the export warm-up waits for the screen's warm-up to finish first.
SCREEN_FIRST_S = 60.0


def warm_up(app: object) -> None:
    """Load the detailed atlas, start the browser and fill the export cache (what post_worker_init starts).

    After the screen's warm-up and in quiet moments: starting the browser holds the interpreter for about half a
    second, which a first visitor's map would otherwise wait for (0.96 s from /healthz to the map instead of 0.6).
    """
    from dashboard.server import warm
    from geodata import load_atlas

    warm.finished(timeout=SCREEN_FIRST_S)
    warm.REQUESTS.wait_quiet(warm.QUIET_WAIT_S)
    load_atlas(resolution="detail")
    warm.REQUESTS.wait_quiet(warm.QUIET_WAIT_S)
    if not start_browser(idle=os.environ.get("ATLAS_BROWSER_IDLE", "1") != "0"):
        return  # no browser here: image exports answer 503 as before
    if app is not None and hasattr(app, "test_client"):
        time.sleep(PREFILL_DELAY_S)  # the first visitors' requests go first: drawing the story holds the GIL
        prefill_cache(app, urls=warm_views())


def post_worker_init(worker: object) -> None:
    """Warm the worker in the background: it answers at once, exports find the detailed atlas and browser ready.

    ATLAS_WARM=0 turns this off (tests that start many workers); ATLAS_BROWSER_IDLE=0 starts the browser at the
    worker's own priority. An export arriving first starts what it needs itself (both are idempotent).
    """
    if os.environ.get("ATLAS_WARM", "1") == "0":
        return
    import threading

    app = getattr(worker, "wsgi", None)
    threading.Thread(target=warm_up, args=(app,), name="warm-up", daemon=True).start()


def worker_exit(server: object, worker: object) -> None:
    """Close the worker's warm browser (if it started one) as the worker ends, so no Chromium outlives it."""
    from dashboard.export import render

    render.stop()


# gunicorn reads these names; the command line overrides them (e.g. --workers 4 --bind 0.0.0.0:8050).
bind = "127.0.0.1:8050"
workers = workers_from_env()
#: Threaded workers: interactive requests are answered while an export of the same worker is in flight.
worker_class = "gthread"
threads = threads_from_env()
#: Seconds an idle keep-alive connection stays open: longer than a planner's pause between clicks, so a browser
#: rarely sends a request on a connection the server is closing (a reset it does not retry for a POST).
keepalive = 75
#: An export can take seconds (the first one also starts the worker's browser).
timeout = 120
graceful_timeout = 30
#: Each worker loads the app itself and starts its own browser at boot (post_worker_init; nothing shared across fork).
preload_app = False
