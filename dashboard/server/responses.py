"""Answers of the pure Dash callbacks (map figure, details) from the shared cache, keyed by the validated views."""

from __future__ import annotations

import gzip
import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection
from typing import Any

import flask
import orjson

from dashboard.server.cache import HIT, cached_bytes, stored_bytes
from dashboard.view.state import ViewState

_log = logging.getLogger(__name__)
#: Dash's callback endpoint (under the app's requests_pathname_prefix).
UPDATE_RULE = "/_dash-update-component"
#: Level 6 as Flask-Compress uses: the cache holds the compressed answer, so a hit costs no compression.
GZIP_LEVEL = 6
#: Seconds a callback answer is kept: the story's and the default view's answers are asked for again and again,
#: most panned views never; short-lived answers expire (and are pruned) before the exports they share the cache with.
ANSWER_TIMEOUT_S = 900
#: Keys a process remembers having answered once: an answer is stored the second time it is asked for. Most
#: pans and zooms are asked for once, and storing each (the shared cache's claim, write and count files) took a
#: quarter of a loaded worker's time; the default view's and the story's answers are asked for again and again.
SEEN_LIMIT = 4096
#: The X-Atlas-Cache value of an answer made and not stored (its key was new to this process).
ONCE = "once"
#: Keys of a callback request that decide its answer (Dash adds others the callbacks do not read).
KEYED_FIELDS = ("output", "inputs", "state", "changedPropIds")


class NotCacheable(Exception):
    """The callback's answer was not a plain 200 JSON body: it is returned as it is and not stored."""

    def __init__(self, response: flask.Response) -> None:
        super().__init__(response.status)
        self.response = response


def validated(value: object) -> tuple[object, bool]:
    """A callback input with any view in it validated (ViewState round trip); and whether it names an upload.

    Inputs are either a view (atlas-view.data) or {"view": ..., "width": ..., "height": ...} (atlas-sized-view).
    """
    if not isinstance(value, dict):
        return value, False
    if isinstance(value.get("view"), dict):
        inner, upload = validated(value["view"])
        return {**value, "view": inner}, upload
    if "level" in value and "layers" in value:
        state = ViewState.from_dict(value)
        return state.to_dict(), bool(state.upload)
    return value, False


def request_key(body: object, *, outputs: Collection[str]) -> str | None:
    """The cache key of one callback request, or None when it must be computed (other output, upload, bad body).

    An upload's layer expires outside the key, so a view naming one is never served from the cache.
    """
    if not isinstance(body, dict) or body.get("output") not in outputs:
        return None
    keyed: dict[str, Any] = {"output": body["output"], "changedPropIds": body.get("changedPropIds")}
    for field in ("inputs", "state"):
        items = body.get(field) or []
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            return None
        values = []
        for item in items:
            value, upload = validated(item.get("value"))
            if upload:
                return None
            values.append([item.get("id"), item.get("property"), value])
        keyed[field] = values
    try:
        digest = hashlib.sha256(orjson.dumps(keyed, option=orjson.OPT_SORT_KEYS)).hexdigest()
    except TypeError:
        return None
    return f"dash/{digest}"


def gzip_body(response: flask.Response) -> bytes:
    """The response's JSON body gzipped, or NotCacheable when it is anything but a plain 200 JSON answer."""
    if response.status_code != 200 or response.mimetype != "application/json" or response.is_streamed:
        raise NotCacheable(response)
    return gzip.compress(response.get_data(), compresslevel=GZIP_LEVEL, mtime=0)


def cached_answer(data: bytes, *, outcome: str | None) -> flask.Response:
    """A stored (gzipped) answer: sent as it is to a client that takes gzip, else unpacked."""
    takes_gzip = "gzip" in flask.request.headers.get("Accept-Encoding", "").lower()
    response = flask.make_response(data if takes_gzip else gzip.decompress(data))
    response.mimetype = "application/json"
    if takes_gzip:
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    if outcome:
        response.headers["X-Atlas-Cache"] = outcome
    return response


def caching_view(view: Callable[..., Any], *, outputs: Collection[str]) -> Callable[..., Any]:
    """Dash's callback view, answering the callbacks of `outputs` from the shared cache (stored the second time
    this process is asked for one, then reused by every worker)."""
    seen: OrderedDict[str, None] = OrderedDict()
    lock = threading.Lock()

    def asked_before(key: str) -> bool:
        with lock:
            if key in seen:
                seen.move_to_end(key)
                return True
            seen[key] = None
            if len(seen) > SEEN_LIMIT:
                seen.popitem(last=False)
            return False

    def answer(*args: Any, **kwargs: Any) -> Any:
        key = request_key(flask.request.get_json(silent=True), outputs=outputs)
        if key is None:
            return view(*args, **kwargs)
        if not asked_before(key):  # new here: served from the cache if another worker stored it, else made
            stored = stored_bytes(flask.current_app, key)
            if stored is not None:
                return cached_answer(stored, outcome=HIT)
            response = flask.make_response(view(*args, **kwargs))
            response.headers["X-Atlas-Cache"] = ONCE
            return response

        def make() -> bytes:
            return gzip_body(flask.make_response(view(*args, **kwargs)))

        try:
            data, outcome = cached_bytes(flask.current_app, key, make=make, timeout=ANSWER_TIMEOUT_S)
        except NotCacheable as exc:
            return exc.response
        return cached_answer(data, outcome=outcome)

    answer.__name__ = getattr(view, "__name__", "dash_update")
    answer.__doc__ = view.__doc__
    return answer


def install(server: flask.Flask, *, outputs: Collection[str]) -> bool:
    """Serve the callbacks writing `outputs` (Dash's output strings) from the cache; whether the route was found."""
    for rule in server.url_map.iter_rules():
        if rule.rule.endswith(UPDATE_RULE):
            server.view_functions[rule.endpoint] = caching_view(server.view_functions[rule.endpoint], outputs=outputs)
            _log.info("callback answers cached for %s", ", ".join(sorted(outputs)))
            return True
    return False
