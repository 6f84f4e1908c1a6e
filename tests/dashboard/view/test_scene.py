"""A view resolved once into a scene: the story step, its title and caption with the guideline section, the upload."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from dashboard.view.scene import resolve, scene_of
from dashboard.view.state import ViewState, parse_query, with_step
from dashboard.view.stories import load_story, parse_story


def test_a_step_url_resolves_to_its_step_title_and_caption() -> None:
    state, _ = parse_query("?story=guideline&view=metro&lang=zh")
    scene = resolve(state)
    step = load_story().step("metro")
    assert scene.step == step and scene.title == step.title["zh"]
    assert scene.subtitle.startswith(step.caption["zh"])


@pytest.mark.parametrize("step", load_story().steps, ids=lambda s: s.id)
def test_every_caption_names_its_own_guideline_section(step) -> None:
    english = resolve(with_step(ViewState(), step)).subtitle
    chinese = resolve(with_step(ViewState(lang="zh"), step)).subtitle
    assert english.endswith(f"(guideline section {step.section})")
    assert chinese.endswith(f"英文译本第{step.section}部分）")


def test_the_section_comes_from_the_step_not_a_fixed_text() -> None:
    step = load_story().step("metro")
    moved = replace(step, section="7")
    assert scene_of(with_step(ViewState(), moved), step=moved).subtitle.endswith("(guideline section 7)")
    assert "section 7" not in resolve(with_step(ViewState(), step)).subtitle


def test_a_story_from_a_file_resolves_only_when_handed_over() -> None:
    text = (
        "id: mine\ntitle: {en: Mine, zh: 我的}\nsteps:\n"
        "  - id: one\n    title: {en: One, zh: 一}\n    caption: {en: Quote, zh: 引文}\n    section: '5'\n"
        "    layers: [metro_circles]\n    level: prefecture\n"
    )
    story = parse_story(text, path=Path("mine.yaml"))
    state = with_step(ViewState().with_(story="mine"), story.steps[0])
    assert resolve(state, story=story).subtitle == "Quote (guideline section 5)"
    assert resolve(state).step is None  # by name only a bundled story is read: none is called "mine"


def test_a_plain_view_needs_no_story_and_a_step_view_needs_resolving() -> None:
    assert scene_of(ViewState()).title.startswith("Central provinces")
    with pytest.raises(ValueError, match="resolve"):
        scene_of(with_step(ViewState(), load_story().step("metro")))
