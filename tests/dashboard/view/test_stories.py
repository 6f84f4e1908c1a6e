"""Stories: the bundled one is complete and verbatim; a bad story file fails naming its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.view.stories import StoryError, load_story, parse_story, story_path
from geodata._paths import GUIDELINE_DIR
from geodata.guideline_text import unmarked

GUIDELINE = (GUIDELINE_DIR / "guideline-part1.txt").read_text(encoding="utf-8")

GOOD = """\
id: mine
title: {en: Mine, zh: 我的}
steps:
  - id: one
    title: {en: One, zh: 一}
    caption: {en: a caption, zh: 说明}
    section: "2"
    layers: [logistics_hubs]
    level: prefecture
  - id: two
    title: {en: Two, zh: 二}
    caption: {en: another, zh: 另一}
    section: "3"
    layers: [metro_circles]
    provinces: ["420000"]
    level: county
    select: mc-wuhan
"""


def test_bundled_story_walks_through_the_guideline_themes() -> None:
    story = load_story()
    assert [step.id for step in story.steps] == [
        "provinces",
        "logistics",
        "innovation",
        "transfer",
        "metro",
        "strategies",
        "rd-target",
    ]
    for step in story.steps:
        assert unmarked(step.caption["en"]) in GUIDELINE, step.id  # captions are verbatim quotes ("[sic]" aside)
        assert step.title["zh"] and step.caption["zh"], step.id


def test_a_users_story_parses() -> None:
    story = parse_story(GOOD, path=Path("mine.yaml"))
    assert [s.id for s in story.steps] == ["one", "two"]
    assert story.steps[1].provinces == ("420000",) and story.steps[1].select == "mc-wuhan"
    assert len(story.steps[0].provinces) == 6


def test_neighbours_clamp_at_the_ends() -> None:
    story = parse_story(GOOD, path=Path("mine.yaml"))
    assert story.neighbour("one", 1).id == "two"
    assert story.neighbour("two", 1).id == "two"
    assert story.neighbour("one", -1).id == "one"
    assert story.neighbour(None, 1).id == "one"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("layers: [metro_circles]", "layers: [metro_circle]"), r"mine.yaml line 14: unknown layer 'metro_circle'"),
        (("level: county", "level: street"), r"mine.yaml line 16: level must be one of"),
        (('provinces: ["420000"]', 'provinces: ["999999"]'), r"mine.yaml line 15: unknown province '999999'"),
        (("    caption: {en: another, zh: 另一}\n", ""), r"mine.yaml line 10: missing caption"),
        (("id: two", "id: one"), r"mine.yaml line 10: duplicate step id 'one'"),
        (("title: {en: One, zh: 一}", "title: {en: One, zh: [一"), r"mine.yaml line \d+: not valid YAML"),
        (
            ('    section: "2"\n', '    section: "2"\n    colour: red\n'),
            r"mine.yaml line 4: unknown step keys \['colour'\]",
        ),
    ],
)
def test_a_bad_story_names_the_line(edit: tuple[str, str], message: str) -> None:
    with pytest.raises(StoryError, match=message):
        parse_story(GOOD.replace(*edit, 1), path=Path("mine.yaml"))


def test_empty_and_stepless_stories_are_refused() -> None:
    with pytest.raises(StoryError, match="empty"):
        parse_story("", path=Path("x.yaml"))
    with pytest.raises(StoryError, match="line 3: a story needs a non-empty list of steps"):
        parse_story("id: x\ntitle: {en: a, zh: b}\nsteps: []\n", path=Path("x.yaml"))


def test_story_names_are_not_paths() -> None:
    with pytest.raises(StoryError, match="unknown story"):
        story_path("../../etc/passwd")
    with pytest.raises(StoryError, match="bundled stories: guideline"):
        story_path("nonesuch")
