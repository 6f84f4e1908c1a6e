"""Presenter mode's pure parts: a planner's story through the upload and the browser store, the steps, the callout."""

from __future__ import annotations

import base64
import json

import pytest

from dashboard.ui import ids
from dashboard.ui.presenter_callbacks import callout_body, clicked_id, next_index, step_view, story_from_upload
from dashboard.view.state import ViewState, parse_story_store, story_to_store, toggled_present
from dashboard.view.stories import load_story
from tests.dashboard.ui.test_browser_presenter import OWN_STORY


def upload(text: str) -> str:
    return "data:application/x-yaml;base64," + base64.b64encode(text.encode("utf-8")).decode("ascii")


def test_a_good_upload_is_a_story_and_survives_the_browser_store(atlas) -> None:
    story, error = story_from_upload(upload(OWN_STORY), "hubs.yaml", atlas=atlas, lang="en")
    assert error == "" and story is not None and [s.id for s in story.steps] == ["hubs", "science"]
    back = parse_story_store(json.loads(json.dumps(story_to_store(story))))
    assert back == story


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (OWN_STORY.replace("level: county", "level: village"), ["hubs.yaml line", "village"]),
        ("steps: [unclosed", ["not valid YAML"]),
        (OWN_STORY.replace("layers: [innovation_centres]", "layers: [innovation_centres]\n    select: nowhere-1"),
         ["nowhere-1"]),
        ("", ["empty"]),
    ],
)  # fmt: skip
def test_a_bad_upload_is_refused_with_a_one_line_message(atlas, text: str, words: list[str]) -> None:
    story, error = story_from_upload(upload(text), "../../etc/hubs.yaml", atlas=atlas, lang="en")
    assert story is None and "\n" not in error and "Traceback" not in error
    assert all(word in error for word in words), error
    assert "../" not in error  # only the file's own name is shown


def test_a_forged_store_cannot_name_a_file_or_bring_unknown_values() -> None:
    good = json.loads(json.dumps(story_to_store(load_story())))
    assert parse_story_store(good) is not None
    forged = [
        {**good, "path": "/etc/passwd"},
        {**good, "steps": [{**good["steps"][0], "file": "guideline.yaml"}]},
        {**good, "steps": [{**good["steps"][0], "layers": ["../../secret"]}]},
        {**good, "steps": [{**good["steps"][0], "level": "village"}]},
        {**good, "steps": [good["steps"][0], good["steps"][0]]},  # duplicate step ids
        {**good, "steps": []},
        "guideline",
        None,
    ]
    assert [parse_story_store(data) for data in forged] == [None] * len(forged)


def test_stepping_is_clamped_and_a_forged_index_does_nothing() -> None:
    assert next_index(ids.STORY_PRESENT, None, 3) == 0
    assert next_index(ids.STORY_NEXT, {"index": 0}, 3) == 1
    assert next_index(ids.STORY_NEXT, {"index": 2}, 3) == 2
    assert next_index(ids.STORY_PREV, {"index": 0}, 3) == 0
    assert [next_index(ids.STORY_NEXT, step, 3) for step in (None, {"index": 7}, {"index": "1"}, {"index": True})] == [
        None
    ] * 4


def test_a_step_of_the_own_story_is_an_ordinary_presented_view(atlas) -> None:
    story, _ = story_from_upload(upload(OWN_STORY), "hubs.yaml", atlas=atlas, lang="en")
    state = step_view(ViewState(lang="zh", labels=True), story, 1)
    assert (state.layers, state.provinces, state.level) == (("innovation_centres",), ("340000",), "county")
    assert state.present and state.view is None and state.lang == "zh" and state.labels


def test_presenting_starts_at_the_first_step_and_leaving_keeps_the_step() -> None:
    first = load_story().steps[0]
    shown = toggled_present(ViewState(layers=("central_cities",)))
    assert shown.present and shown.view == first.id and set(shown.layers) == set(first.layers)
    assert not toggled_present(shown).present
    assert toggled_present(ViewState(view=load_story().steps[2].id)).view == load_story().steps[2].id


def test_the_callout_names_the_feature_and_quotes_the_guideline(atlas) -> None:
    row = atlas.features[atlas.features["layer"] == "logistics_hubs"].iloc[0]
    click = {"points": [{"customdata": ["feature", row["feature_id"]]}]}
    assert clicked_id(click) == row["feature_id"] and clicked_id({}) is None and clicked_id({"points": [{}]}) is None
    text = str(callout_body(atlas, clicked_id(click), "en"))
    assert row["name_en"] in text and row["quote"] in text and f"section {row['section']}" in text
    assert row["name_zh"] in str(callout_body(atlas, row["feature_id"], "zh"))
    assert callout_body(atlas, "no-such-feature", "en") is None


def test_the_source_strip_says_names_stand_inside_units_not_at_seats(atlas) -> None:
    from dashboard.ui.layout import page

    text = str(page(atlas))
    assert "not at its seat" in text and "source_line" in text  # the data has no seat points (see the report)


def test_the_own_story_title_strip_is_escaped_for_plotly(atlas) -> None:
    from dashboard.ui.presenter_callbacks import story_bar

    text = OWN_STORY.replace("en: The five logistics hubs", "en: \"<a href='javascript:alert(1)'>Hubs</a>\"")
    story, error = story_from_upload(upload(text), "hubs.yaml", atlas=atlas, lang="en")
    assert story is not None, error
    shown = story_bar(story, {"index": 0}, ViewState(present=True))
    assert shown[0].endswith("atlas-stepper-own") and "1 / 2" in shown[1]
    assert "<a" not in shown[3]["title"] and "&lt;a" in shown[3]["title"]
    assert "section 2" in shown[3]["subtitle"]
    assert story_bar(story, {"index": 0}, ViewState(present=False))[3] is None  # not presenting: no own title


def test_a_story_file_over_the_limit_is_refused_with_a_message(atlas) -> None:
    from dashboard.ui.layout import STORY_MAX_BYTES

    story, error = story_from_upload(upload("#" * (STORY_MAX_BYTES + 1)), "big.yaml", atlas=atlas, lang="en")
    assert story is None and "kilobytes" in error
    story, error = story_from_upload("no comma here", "x.yaml", atlas=atlas, lang="en")
    assert story is None and error
