"""The screen warm-up builds what a first level switch or zoom needs, and can be turned off."""

from __future__ import annotations

import threading

from dashboard.figures import screen
from dashboard.server import warm
from dashboard.view.scene import resolve
from dashboard.view.state import ViewState


def test_warm_up_leaves_every_level_static_traces_built_zoomed_out_and_in(atlas) -> None:
    screen._STATIC.clear()  # what other tests built must not count
    warm.warm_screen()
    for level in ("province", "prefecture", "county"):
        for view in (ViewState(level=level), ViewState(level=level, center=(113.5, 31.0), scale=3.0)):
            scene = resolve(view)
            drawn = screen.drawn_atlas(atlas, view)
            theme = screen.theme_for(view)
            specs = screen.trace_specs(drawn, level, phys=scene.physical_layers())
            missing = [spec.role for spec in specs if (id(spec), id(theme)) not in screen._STATIC]
            assert not missing, (level, view.scale, missing)


def test_warm_up_is_off_with_atlas_warm_0_and_in_tests() -> None:
    assert warm.wanted(environ={})
    assert not warm.wanted(environ={"ATLAS_WARM": "0"})
    assert not warm.wanted(environ={"PYTEST_CURRENT_TEST": "x"})


def test_the_warm_up_thread_starts_once() -> None:
    first = warm.start()
    assert warm.start() is first
    first.join(timeout=120)
    assert not first.is_alive()


def test_the_warm_up_waits_while_a_request_is_in_flight(monkeypatch) -> None:
    built: list[object] = []
    first_built = threading.Event()

    def build(atlas, scene):
        built.append(scene)
        first_built.set()

    monkeypatch.setattr(warm, "map_figure_data", build)
    monkeypatch.setattr(warm, "QUIET_WAIT_S", 30.0)
    warm.REQUESTS.enter()  # a visitor's request, being answered
    try:
        thread = threading.Thread(target=warm.warm_screen)
        thread.start()
        assert not first_built.wait(timeout=0.5)  # nothing is built while the request is in flight
    finally:
        warm.REQUESTS.leave()
    thread.join(timeout=60)
    assert len(built) == len(warm.warm_views())


def test_requests_through_the_app_are_counted_while_they_run(monkeypatch) -> None:
    from flask import Flask

    server = Flask(__name__)
    seen: list[bool] = []

    @server.route("/slow")
    def slow() -> str:
        seen.append(warm.REQUESTS.wait_quiet(0.0))  # not quiet: this request is in flight
        return "ok"

    warm.track_requests(server)
    assert server.test_client().get("/slow").status_code == 200
    assert seen == [False]
    assert warm.REQUESTS.wait_quiet(0.0)  # and quiet again once it is answered
    assert server.test_client().get("/missing").status_code == 404
    assert warm.REQUESTS.wait_quiet(0.0)


def test_the_export_warm_up_starts_the_browser_only_after_the_screen_warm_up(monkeypatch) -> None:
    from dashboard.server import gunicorn_conf

    order: list[str] = []
    release = threading.Event()

    def screen() -> None:
        release.wait(timeout=30)
        order.append("screen warm")

    monkeypatch.setattr(warm, "_thread", [threading.Thread(target=screen)])
    warm._thread[0].start()
    browser = threading.Event()

    def start_browser(idle: bool) -> bool:
        order.append("browser")
        browser.set()
        return False

    monkeypatch.setattr(gunicorn_conf, "start_browser", start_browser)
    exports = threading.Thread(target=gunicorn_conf.warm_up, args=(None,))
    exports.start()
    assert not browser.wait(timeout=2.0)  # not while the screen is still warming up
    release.set()
    exports.join(timeout=60)
    assert order == ["screen warm", "browser"]
