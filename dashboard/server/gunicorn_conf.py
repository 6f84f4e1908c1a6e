"""gunicorn settings: `gunicorn -c dashboard/server/gunicorn_conf.py dashboard.wsgi:server` (ATLAS_WORKERS workers)."""

from __future__ import annotations

import os

DEFAULT_WORKERS = 2


def workers_from_env(*, environ: dict[str, str] | None = None) -> int:
    """ATLAS_WORKERS as a positive whole number, else DEFAULT_WORKERS."""
    value = (os.environ if environ is None else environ).get("ATLAS_WORKERS", "").strip()
    if not value:
        return DEFAULT_WORKERS
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"ATLAS_WORKERS={value!r}: give a whole number of workers, 1 or more")
    return int(value)


def warm_views() -> list[str]:
    """Export URLs to draw ahead of time: the default view and every step of the bundled story (slide PNG)."""
    from dashboard.export.request import export_href
    from dashboard.view.state import ViewState, with_step
    from dashboard.view.stories import load_story

    state = ViewState()
    story = load_story(state.story)
    return [export_href(view, fmt="png") for view in [state, *(with_step(state, step) for step in story.steps)]]


def prefill_cache(app: object, *, urls: list[str]) -> int:
    """Request each export once through the app (filling the shared cache); how many succeeded."""
    client = app.test_client()  # type: ignore[attr-defined]
    done = 0
    for url in urls:
        try:
            done += client.get(url).status_code == 200
        except Exception:  # a failed warm-up must never stop the worker
            continue
    return done


def post_worker_init(worker: object) -> None:
    """Load the detailed atlas and start the browser before the first request; fill the cache in the background.

    ATLAS_WARM=0 turns this off (tests that start many workers).
    """
    if os.environ.get("ATLAS_WARM", "1") == "0":
        return
    import threading

    from dashboard.export import render
    from geodata import load_atlas

    load_atlas(resolution="detail")
    try:
        render.start()
    except render.RenderError:
        return  # no browser here: image exports answer 503 as before
    app = getattr(worker, "wsgi", None)
    if app is not None and hasattr(app, "test_client"):
        threading.Thread(target=prefill_cache, args=(app,), kwargs={"urls": warm_views()}, daemon=True).start()


def worker_exit(server: object, worker: object) -> None:
    """Close the worker's warm browser (if it started one) as the worker ends, so no Chromium outlives it."""
    from dashboard.export import render

    render.stop()


# gunicorn reads these names; the command line overrides them (e.g. --workers 4 --bind 0.0.0.0:8050).
bind = "127.0.0.1:8050"
workers = workers_from_env()
#: An export can take seconds (the first one also starts the worker's browser).
timeout = 120
graceful_timeout = 30
#: Each worker loads the app itself and starts its own browser at boot (post_worker_init; nothing shared across fork).
preload_app = False
