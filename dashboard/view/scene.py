"""A view resolved once: the validated state, its story step, the planner's layer and its titles, for pure renderers."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import pandas as pd

from dashboard.view import i18n
from dashboard.view.state import ViewState
from dashboard.view.stories import Step, Story, StoryError, load_story
from geodata._paths import CENTRAL_PROVINCES
from geodata.indicators import load_indicators
from geodata.physical import Physical, load_physical
from geodata.userdata import UserLayer


@dataclass(frozen=True, eq=False)
class Scene:
    """Everything a renderer needs beyond the atlas; building one reads no file."""

    state: ViewState
    step: Step | None = None  # the story step the view shows, when it shows one
    upload: UserLayer | None = None  # the planner's layer the view names, while the server keeps it
    title: str = ""
    subtitle: str = ""  # a step's caption with its guideline section; empty outside stories
    physical: Physical | None = None  # rivers, lakes and relief bands the map draws (light resolution)
    indicators: pd.DataFrame | None = None  # the indicator table the indicator map classes (callers must not modify)

    def physical_layers(self) -> Physical:
        """The physical layers; a scene made without them (scene_of) cannot draw a map."""
        if self.physical is None:
            raise ValueError("the scene carries no physical layers: build it with dashboard.view.scene.resolve")
        return self.physical

    def indicator_table(self) -> pd.DataFrame:
        """The indicator table; a scene made without it (scene_of) cannot draw the indicator map."""
        if self.indicators is None:
            raise ValueError("the scene carries no indicator table: build it with dashboard.view.scene.resolve")
        return self.indicators


@functools.cache
def bundled_physical() -> Physical:
    """The bundled physical layers at the browser's (light) resolution, read once."""
    return load_physical(resolution="light")


@functools.cache
def bundled_indicators() -> pd.DataFrame:
    """The bundled indicator table, read and validated once (callers must not modify it)."""
    return load_indicators()


def step_title(step: Step, lang: str) -> str:
    """A story step's title in the view's language."""
    return step.title[lang]


def step_caption(step: Step, lang: str) -> str:
    """A story step's caption (a guideline quote) with the guideline section it comes from."""
    return step.caption[lang] + i18n.t("caption_section", lang, n=step.section)


def where_text(state: ViewState) -> str:
    """The provinces a view shows: "Central provinces" for all six, else their names."""
    if len(state.provinces) == len(CENTRAL_PROVINCES):
        return i18n.t("central_provinces", state.lang)
    return i18n.t("list_sep", state.lang).join(i18n.province_name(p, state.lang) for p in state.provinces)


def view_title(state: ViewState) -> str:
    """A title naming the provinces, the boundary level and the layer count (outside stories)."""
    level = i18n.t(state.level, state.lang)
    return i18n.t("map_title", state.lang, where=where_text(state), level=level, count=len(state.layers))


def scene_of(
    state: ViewState,
    *,
    step: Step | None = None,
    upload: UserLayer | None = None,
    physical: Physical | None = None,
    indicators: pd.DataFrame | None = None,
) -> Scene:
    """The scene of a view whose step (if any) and data are already at hand: pure, no file read."""
    if state.view and (step is None or step.id != state.view):
        raise ValueError(f"the view shows story step {state.view!r}: resolve it (dashboard.view.scene.resolve)")
    base = Scene(state=state, upload=upload, physical=physical, indicators=indicators, title=view_title(state))
    if step is None:
        return base
    return replace(base, step=step, title=step_title(step, state.lang), subtitle=step_caption(step, state.lang))


def resolve(
    state: ViewState | Scene,
    *,
    upload: UserLayer | None = None,
    story: Story | None = None,
    physical: Physical | None = None,
) -> Scene:
    """Resolve a validated view once: its step from `story` (else the bundled story it names), titles, upload,
    and the data the figures draw (the bundled physical layers unless `physical` is given, the indicator table).

    A step the story lacks (a view built in code, not validated) resolves to the view without the step. A scene
    already resolved (and no other upload) is returned as it is.
    """
    if isinstance(state, Scene):
        if upload is not None and upload is not state.upload:
            raise ValueError("a scene carries its upload; do not pass another")
        return state
    phys, table = physical or bundled_physical(), bundled_indicators()
    if not state.view:
        return scene_of(state, upload=upload, physical=phys, indicators=table)
    try:
        step = (story or load_story(state.story)).step(state.view)
    except (KeyError, StoryError):
        return scene_of(state.with_(view=None), upload=upload, physical=phys, indicators=table)
    return scene_of(state, step=step, upload=upload, physical=phys, indicators=table)
