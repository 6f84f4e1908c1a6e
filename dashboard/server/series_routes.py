"""Map series routes: GET /export/series/<set>.<fmt> (the file), or a job started, polled and fetched by id."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import asdict, dataclass

import flask

from dashboard.export import render
from dashboard.export.publish import PublishError
from dashboard.export.request import ExportError
from dashboard.export.series import MEDIA_TYPES, SeriesRequest, export_series, parse_series, series_filename
from dashboard.figures.series import SeriesError
from dashboard.server.cache import cache_for, namespaced
from dashboard.server.routes import unavailable
from geodata import load_atlas

_log = logging.getLogger(__name__)
PREFIX = "/export/series"
JOB_ID_BYTES = 12
#: Seconds a finished job's file is kept for its download.
JOB_TTL_S = 1800
#: One series at a time per worker: pages share the worker's one browser.
_drawing = threading.Semaphore(1)
_jobs: dict[str, dict] = {}
_jobs_lock = threading.Lock()


@dataclass
class JobStatus:
    """Where a series job is: queued, drawing (page k of n), done or failed."""

    state: str
    page: int = 0
    total: int = 0
    message: str = ""
    filename: str = ""
    container: str = "pdf"


def _error(status: int, message: str) -> flask.Response:
    response = flask.make_response(message + "\n", status)
    response.mimetype = "text/plain"
    response.headers["Cache-Control"] = "no-store"
    return response


def split_series_name(filename: str) -> tuple[str, str]:
    """`<set>.<fmt>` from the URL, e.g. `prefectures:410000.pdf`."""
    name, dot, fmt = filename.rpartition(".")
    if not dot or not name:
        raise ExportError("the URL must end in <set>.<format>, e.g. provinces.pdf or prefectures:410000.png")
    return name, fmt


def parse_url(filename: str) -> SeriesRequest:
    """The series request of a URL: its set and format, and the query's view and print options."""
    set_text, fmt = split_series_name(filename)
    query = flask.request.query_string.decode("utf-8", "replace")
    return parse_series(set_text, query, fmt=fmt)


def _attachment(data: bytes, *, request: SeriesRequest) -> flask.Response:
    response = flask.make_response(data)
    response.headers["Content-Type"] = MEDIA_TYPES[request.container]
    response.headers["Content-Disposition"] = f'attachment; filename="{series_filename(request)}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def series_file(filename: str) -> flask.Response:
    """The whole series in one response (a PDF, or a zip of PNG/SVG pages)."""
    try:
        request = parse_url(filename)
    except (ExportError, SeriesError) as exc:
        return _error(400, f"bad series request: {exc}")
    try:
        with _drawing:
            data = export_series(request, atlas=load_atlas(resolution="detail"))
    except (render.BrowserUnavailable, render.RenderTimeout, render.RenderBusy) as exc:
        return unavailable(exc)
    except (render.RenderError, PublishError) as exc:
        return _error(500, f"series export failed: {exc}")
    return _attachment(data, request=request)


# --- Jobs: progress pollable by any worker through the shared cache (an in-process table without one) --------


def _store(app: flask.Flask, job_id: str, *, status: JobStatus | None = None, data: bytes | None = None) -> None:
    cache = cache_for(app)
    record = {"status": asdict(status)} if status else {}
    if data is not None:
        record["data"] = data
    with _jobs_lock:
        _jobs.setdefault(job_id, {}).update(record)
        _jobs[job_id]["time"] = time.monotonic()
    if cache is not None:
        try:
            for key, value in record.items():
                cache.set(namespaced(app, f"series-job/{job_id}/{key}"), value, timeout=JOB_TTL_S)
        except Exception as exc:  # a cache failure leaves the in-process table
            _log.warning("series job cache write failed: %s: %s", type(exc).__name__, exc)


def _load(app: flask.Flask, job_id: str, key: str) -> object | None:
    with _jobs_lock:
        _expire()
        if key in _jobs.get(job_id, {}):
            return _jobs[job_id][key]
    cache = cache_for(app)
    if cache is None:
        return None
    try:
        return cache.get(namespaced(app, f"series-job/{job_id}/{key}"))
    except Exception:
        return None


def _expire() -> None:
    now = time.monotonic()
    for job_id in [j for j, record in _jobs.items() if now - record.get("time", now) > JOB_TTL_S]:
        del _jobs[job_id]


def _run_job(app: flask.Flask, job_id: str, request: SeriesRequest) -> None:
    base = JobStatus(state="drawing", filename=series_filename(request), container=request.container)

    def progress(page: int, total: int) -> None:
        _store(app, job_id, status=JobStatus(**{**asdict(base), "page": page, "total": total}))

    try:
        with _drawing:
            _store(app, job_id, status=base)
            data = export_series(request, atlas=load_atlas(resolution="detail"), progress=progress)
    except Exception as exc:
        _log.warning("series job %s failed: %s", job_id, exc)
        _store(app, job_id, status=JobStatus(**{**asdict(base), "state": "failed", "message": str(exc)[:300]}))
        return
    done = _load(app, job_id, "status") or {}
    status = JobStatus(**{**asdict(base), "state": "done", "page": done.get("total", 0), "total": done.get("total", 0)})
    _store(app, job_id, data=data)
    _store(app, job_id, status=status)


def start_job(filename: str) -> flask.Response:
    """Start drawing a series; 202 with the job's id and its status and result URLs."""
    try:
        request = parse_url(filename)
    except (ExportError, SeriesError) as exc:
        return _error(400, f"bad series request: {exc}")
    job_id = secrets.token_urlsafe(JOB_ID_BYTES)
    app = flask.current_app._get_current_object()  # type: ignore[attr-defined]
    _store(app, job_id, status=JobStatus(state="queued", filename=series_filename(request)))
    threading.Thread(target=_run_job, args=(app, job_id, request), name=f"series-{job_id}", daemon=True).start()
    body = {"job": job_id, "status": f"{PREFIX}/status/{job_id}", "result": f"{PREFIX}/result/{job_id}"}
    response = flask.jsonify(body)
    response.status_code = 202
    return response


def job_status(job_id: str) -> flask.Response:
    """{"state", "page", "total", "message", "filename"}: page k of n while drawing."""
    status = _load(flask.current_app, job_id, "status")
    if status is None:
        return _error(404, f"no series job {job_id!r} (unknown or expired)")
    response = flask.jsonify(status)
    response.headers["Cache-Control"] = "no-store"
    return response


def job_result(job_id: str) -> flask.Response:
    """The finished series file; 409 while it is still being drawn."""
    status = _load(flask.current_app, job_id, "status")
    if status is None:
        return _error(404, f"no series job {job_id!r} (unknown or expired)")
    if status["state"] == "failed":
        return _error(500, f"series export failed: {status['message']}")
    data = _load(flask.current_app, job_id, "data")
    if status["state"] != "done" or not isinstance(data, bytes):
        return _error(409, f"series job {job_id} is not done: page {status['page']} of {status['total'] or '?'}")
    response = flask.make_response(data)
    response.headers["Content-Type"] = MEDIA_TYPES[status["container"]]
    response.headers["Content-Disposition"] = f'attachment; filename="{status["filename"]}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def register_series_routes(blueprint: flask.Blueprint) -> None:
    """Add the series routes to the atlas Blueprint."""
    blueprint.add_url_rule(f"{PREFIX}/start/<path:filename>", "series_start", start_job, methods=["GET", "POST"])
    blueprint.add_url_rule(f"{PREFIX}/status/<job_id>", "series_status", job_status, methods=["GET"])
    blueprint.add_url_rule(f"{PREFIX}/result/<job_id>", "series_result", job_result, methods=["GET"])
    blueprint.add_url_rule(f"{PREFIX}/<path:filename>", "series_file", series_file, methods=["GET"])
