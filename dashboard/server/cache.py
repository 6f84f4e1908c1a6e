"""The export cache all workers share (Flask-Caching, set by ATLAS_CACHE_*); a cache failure never breaks a request."""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import flask
from flask_caching import Cache

from dashboard.config import SOURCE_DIRS, CacheConfig, cache_config_from_env

_log = logging.getLogger(__name__)
#: Where init_cache keeps the Cache in `server.extensions`, and the key namespace in `server.config`.
EXTENSION = "atlas_cache"
NAMESPACE_KEY = "ATLAS_CACHE_NAMESPACE"
#: What a cached export depends on besides its request: the code and the bundled data.
#: Values of the X-Atlas-Cache response header.
HIT, MISS, BYPASS, COALESCED = "hit", "miss", "bypass", "coalesced"
#: Identical concurrent requests are made once: the first holds a marker key, the others wait (bounded) for its bytes.
MARKER_SUFFIX = "#making"
MARKER_TTL_S = 150
COALESCE_WAIT_S = 30.0
COALESCE_POLL_S = 0.1


def flask_config(config: CacheConfig) -> dict:
    """Flask-Caching's settings for a CacheConfig."""
    settings = {
        "CACHE_TYPE": config.backend,
        "CACHE_DEFAULT_TIMEOUT": config.timeout,
        "CACHE_KEY_PREFIX": "atlas/",
        "CACHE_NO_NULL_WARNING": True,
    }
    if config.backend == "FileSystemCache":
        settings["CACHE_DIR"] = config.directory
    if config.backend == "RedisCache":
        settings["CACHE_REDIS_URL"] = config.redis_url
    return settings


def content_stamp(*, roots: Iterable[Path] = SOURCE_DIRS) -> str:
    """A digest of every file under `roots` (bytecode aside): new code or data starts a new key namespace."""
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(path.relative_to(root.parent).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def private_dir(path: str) -> Path:
    """The cache folder, created 0700 if missing; refused unless ours and closed to others (entries are pickles)."""
    folder = Path(path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.stat()
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise RuntimeError(
            f"ATLAS_CACHE_DIR={path}: the folder must belong to this user and be writable by no one else"
        )
    return folder


def init_cache(server: flask.Flask, *, config: CacheConfig | None = None) -> Cache:
    """Attach the export cache (from the environment unless `config` is given) to the Flask server."""
    config = config or cache_config_from_env()
    if config.backend == "FileSystemCache":
        private_dir(config.directory)
    try:
        cache = Cache(server, with_jinja2_ext=False, config=flask_config(config))
    except RuntimeError as exc:
        if config.backend != "RedisCache":
            raise
        raise RuntimeError(f"ATLAS_CACHE_TYPE=RedisCache could not start: {exc} (pip install redis)") from exc
    server.extensions[EXTENSION] = cache
    server.config[NAMESPACE_KEY] = content_stamp()
    _log.info("export cache: %s, timeout %d s", config.backend, config.timeout)
    return cache


def cache_for(server: flask.Flask) -> Cache | None:
    """The server's export cache, or None when init_cache was not called."""
    return server.extensions.get(EXTENSION)


def namespaced(server: flask.Flask, key: str) -> str:
    """The key within the server's code-and-data namespace."""
    return f"{server.config.get(NAMESPACE_KEY, 'none')}/{key}"


def stored_bytes(server: flask.Flask, key: str) -> bytes | None:
    """The bytes stored under `key`, or None when there are none (or no cache, or it failed: logged)."""
    cache = cache_for(server)
    if cache is None:
        return None
    try:
        data = cache.get(namespaced(server, key))
    except Exception as exc:
        _log.warning("export cache read failed: %s: %s", type(exc).__name__, exc)
        return None
    return data if isinstance(data, bytes) else None


def cached_bytes(
    server: flask.Flask, key: str | None, *, make: Callable[[], bytes], timeout: int | None = None
) -> tuple[bytes, str | None]:
    """The bytes stored under `key`, else `make()` stored; and hit, miss, bypass (cache failed) or None (no cache).

    A key of None means "do not cache". Errors of `make` propagate; errors of the cache are logged and the bytes
    made anyway. `timeout` (seconds) overrides the cache's default lifetime for this entry.
    """
    cache = cache_for(server)
    if cache is None or key is None:
        return make(), None
    key = namespaced(server, key)
    try:
        data = cache.get(key)
    except Exception as exc:
        _log.warning("export cache read failed, rendering instead: %s: %s", type(exc).__name__, exc)
        return make(), BYPASS
    if isinstance(data, bytes):
        return data, HIT
    marker = key + MARKER_SUFFIX
    deadline = time.monotonic() + COALESCE_WAIT_S
    owner = _claim(cache, marker)
    while not owner and time.monotonic() < deadline:
        waited = _wait_for(cache, key, marker, deadline=deadline)
        if waited is not None:
            return waited, COALESCED
        owner = _claim(cache, marker)  # the maker failed: one of the waiters takes over, the others wait on
    try:
        data = make()
        try:
            stored = cache.set(key, data, timeout=timeout)
        except Exception as exc:
            _log.warning("export cache write failed: %s: %s", type(exc).__name__, exc)
            return data, BYPASS
    finally:
        if owner:
            _release(cache, marker)
    return data, MISS if stored is not False else BYPASS


_claiming = threading.Lock()


def _claim(cache: Cache, marker: str) -> bool:
    """Whether this request is the one to make the bytes (a cache that cannot add lets everyone make them).

    The lock makes the claim atomic among this process's threads (FileSystemCache's add checks, then writes);
    across processes it is as atomic as the backend's add (Redis: fully).
    """
    try:
        with _claiming:
            return cache.add(marker, os.getpid(), timeout=MARKER_TTL_S) is not False
    except Exception as exc:
        _log.debug("export cache marker failed: %s", exc)
        return True


def _release(cache: Cache, marker: str) -> None:
    try:
        cache.delete(marker)
    except Exception as exc:
        _log.debug("export cache marker not removed (it expires): %s", exc)


def _wait_for(cache: Cache, key: str, marker: str, *, deadline: float) -> bytes | None:
    """The bytes another request is making, once stored; None if its marker goes without them or the wait ends."""
    while time.monotonic() < deadline:
        time.sleep(COALESCE_POLL_S)
        try:
            data = cache.get(key)
            if isinstance(data, bytes):
                return data
            if not cache.has(marker):
                return None
        except Exception:
            return None
    return None
