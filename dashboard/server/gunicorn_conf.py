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
#: Each worker loads the app itself and starts its own browser on its first image (nothing shared across fork).
preload_app = False
