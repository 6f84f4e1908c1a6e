"""The screen warm-up builds what a first level switch or zoom needs, and can be turned off."""

from __future__ import annotations

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
