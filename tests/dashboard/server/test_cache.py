"""The export cache: settings from the environment, hits and misses, and exports that survive a broken cache."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import flask
import pytest

from dashboard.config import CacheConfig, cache_config_from_env
from dashboard.server import cache as export_cache
from dashboard.server.blueprint import register_routes
from dashboard.server.cache import cached_bytes, init_cache

CSV = "/export/hubs.csv?layers=logistics_hubs"


def test_defaults_when_nothing_is_set() -> None:
    config = cache_config_from_env(environ={"ATLAS_CACHE_DIR": "  "})
    assert config.backend == "FileSystemCache" and config.redis_url is None and config.timeout == 86_400
    assert Path(config.directory) == Path(tempfile.gettempdir()) / "central-region-atlas-cache"


def test_settings_from_the_environment() -> None:
    env = {
        "ATLAS_CACHE_TYPE": "RedisCache",
        "ATLAS_CACHE_REDIS_URL": "redis://10.0.0.5:6379/2",
        "ATLAS_CACHE_TIMEOUT": "60",
    }
    assert cache_config_from_env(environ=env) == CacheConfig(
        backend="RedisCache", redis_url="redis://10.0.0.5:6379/2", timeout=60
    )
    assert export_cache.flask_config(CacheConfig(backend="RedisCache", redis_url="redis://h/0"))["CACHE_REDIS_URL"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ATLAS_CACHE_TYPE": "Memcached"}, "choose one of FileSystemCache, RedisCache, NullCache"),
        ({"ATLAS_CACHE_TYPE": "RedisCache"}, "needs ATLAS_CACHE_REDIS_URL"),
        ({"ATLAS_CACHE_TIMEOUT": "1h"}, "give whole seconds"),
        ({"ATLAS_CACHE_TIMEOUT": "-5"}, "give whole seconds"),
        ({"ATLAS_CACHE_TIMEOUT": "١٢"}, "give whole seconds"),
    ],
)
def test_bad_settings_fail_at_start_with_the_variable_named(env: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cache_config_from_env(environ=env)


@pytest.fixture
def server(tmp_path: Path) -> flask.Flask:
    server = flask.Flask(__name__)
    init_cache(server, config=CacheConfig(directory=str(tmp_path / "cache")))
    register_routes(server)
    return server


def test_the_cache_lives_on_the_server_not_in_the_module(server: flask.Flask) -> None:
    assert isinstance(server.extensions[export_cache.EXTENSION], export_cache.Cache)
    assert export_cache.cache_for(flask.Flask("bare")) is None


def test_a_second_request_is_a_hit_with_the_same_bytes(server: flask.Flask) -> None:
    client = server.test_client()
    first, second = client.get(CSV), client.get("/export/other-name.csv?layers=logistics_hubs")
    assert (first.headers["X-Atlas-Cache"], second.headers["X-Atlas-Cache"]) == ("miss", "hit")
    assert first.data == second.data and second.headers["Content-Disposition"].endswith('other-name.csv"')


def test_different_views_are_different_entries(server: flask.Flask) -> None:
    client = server.test_client()
    assert client.get(CSV).headers["X-Atlas-Cache"] == "miss"
    assert client.get(CSV + "&provinces=420000").headers["X-Atlas-Cache"] == "miss"


def test_a_view_with_an_upload_is_not_cached(server: flask.Flask) -> None:
    url = CSV + "&upload=AAAAAAAAAAAAAAAA"  # expired or on another server: its bytes are not the key's alone
    responses = [server.test_client().get(url) for _ in range(2)]
    assert [r.status_code for r in responses] == [410, 410]  # a data export never silently lacks the upload's rows
    assert all(b"no longer on the server" in r.data and "X-Atlas-Cache" not in r.headers for r in responses)


class Broken:
    def get(self, key: str) -> None:
        raise ConnectionError("cache server down")

    def set(self, key: str, value: bytes) -> None:
        raise ConnectionError("cache server down")


def test_a_broken_cache_never_breaks_an_export(server: flask.Flask, caplog: pytest.LogCaptureFixture) -> None:
    server.extensions[export_cache.EXTENSION] = Broken()
    response = server.test_client().get(CSV)
    assert response.status_code == 200 and response.headers["X-Atlas-Cache"] == "bypass"
    assert b"logistics_hubs" in response.data
    assert "export cache read failed" in caplog.text


def test_a_failed_write_still_returns_the_bytes(server: flask.Flask) -> None:
    class WriteFails(Broken):
        def get(self, key: str) -> None:
            return None

    server.extensions[export_cache.EXTENSION] = WriteFails()
    with server.app_context():
        assert cached_bytes(server, "k", make=lambda: b"data") == (b"data", "bypass")


def test_a_failed_export_is_not_cached(server: flask.Flask) -> None:
    def failing() -> bytes:
        raise RuntimeError("render failed")

    with server.app_context():
        with pytest.raises(RuntimeError):
            cached_bytes(server, "k", make=failing)
        assert cached_bytes(server, "k", make=lambda: b"ok") == (b"ok", "miss")


def test_null_cache_always_renders() -> None:
    server = flask.Flask(__name__)
    init_cache(server, config=CacheConfig(backend="NullCache"))
    with server.app_context():
        assert cached_bytes(server, "k", make=lambda: b"1")[1] == "miss"
        assert cached_bytes(server, "k", make=lambda: b"2") == (b"2", "miss")


def test_redis_is_imported_only_when_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # as if not installed
    init_cache(flask.Flask("files"), config=CacheConfig(directory=str(tmp_path)))
    with pytest.raises(RuntimeError, match="pip install redis"):
        init_cache(flask.Flask("redis"), config=CacheConfig(backend="RedisCache", redis_url="redis://127.0.0.1:1/0"))


def test_a_cache_folder_others_can_write_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(RuntimeError, match="writable by no one else"):
        init_cache(flask.Flask("shared"), config=CacheConfig(directory=str(shared)))
    created = tmp_path / "new" / "cache"
    init_cache(flask.Flask("new"), config=CacheConfig(directory=str(created)))
    assert created.stat().st_mode & 0o777 == 0o700


def test_new_code_or_data_starts_a_new_namespace(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    before = export_cache.content_stamp(roots=[tmp_path / "pkg"])
    (tmp_path / "pkg" / "a.py").write_text("x = 2\n")
    assert export_cache.content_stamp(roots=[tmp_path / "pkg"]) != before
