"""URL state: a round trip restores the view; anything unusable is ignored with a notice."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.view import stories
from dashboard.view.state import KEYS, Notice, ViewState, parse_query, parse_store, to_query, with_step
from dashboard.view.stories import load_story
from geodata._paths import CENTRAL_PROVINCES, LEVELS
from geodata.layers import LAYER_IDS

SELECTABLE = {"hub-zhengzhou", "420100", "mc-wuhan"}

views = st.builds(
    ViewState,
    layers=st.lists(st.sampled_from(LAYER_IDS), unique=True).map(tuple),
    provinces=st.lists(st.sampled_from(list(CENTRAL_PROVINCES)), unique=True, min_size=1).map(tuple),
    level=st.sampled_from(LEVELS),
    lang=st.sampled_from(["en", "zh"]),
    labels=st.booleans(),
    select=st.one_of(st.none(), st.sampled_from(sorted(SELECTABLE))),
    fit=st.sampled_from(["provinces", "select"]),
)


@given(views)
def test_query_round_trip_restores_the_view(state: ViewState) -> None:
    expected = state if state.select else state.with_(fit="provinces")
    assert parse_query(to_query(state), selectable=SELECTABLE) == (expected, [])


@given(st.text(max_size=200))
def test_any_query_string_parses_without_raising(query: str) -> None:
    state, notices = parse_query(query, selectable=SELECTABLE)
    assert isinstance(state, ViewState)
    assert all(n.reason in {"unknown-key", "unknown-value", "malformed"} for n in notices)


def test_no_query_gives_the_default_view() -> None:
    state, notices = parse_query("")
    assert notices == []
    assert set(state.layers) == {"innovation_centres", "logistics_hubs", "transfer_zones"}
    assert state.provinces == tuple(CENTRAL_PROVINCES)
    assert (state.level, state.lang, state.select) == ("prefecture", "en", None)


def test_the_issue_example_parses_exactly() -> None:
    state, notices = parse_query(
        "?layers=logistics_hubs,transfer_zones&provinces=420000,430000&level=prefecture&lang=zh"
    )
    assert notices == []
    assert state.layers == ("transfer_zones", "logistics_hubs")
    assert state.provinces == ("420000", "430000")
    assert state.lang == "zh"


def test_bad_values_are_dropped_with_a_notice_each() -> None:
    query = "?layers=logistics_hubs,bogus&provinces=420000,999999&level=street&lang=fr&zzz=1&select=nope&labels=x"
    state, notices = parse_query(query, selectable=SELECTABLE)
    assert state == ViewState(layers=("logistics_hubs",), provinces=("420000",))
    assert {(n.key, n.value) for n in notices} == {
        ("layers", "bogus"), ("provinces", "999999"), ("level", "street"), ("lang", "fr"),
        ("zzz", "1"), ("select", "nope"), ("labels", "x"),
    }  # fmt: skip


def test_empty_layers_means_none_and_empty_provinces_means_all() -> None:
    state, notices = parse_query("?layers=&provinces=")
    assert state.layers == ()
    assert state.provinces == tuple(CENTRAL_PROVINCES)
    assert notices == []


def test_layers_keep_a_canonical_order() -> None:
    assert ViewState(layers=("transfer_zones", "logistics_hubs")).layers == ("transfer_zones", "logistics_hubs")
    assert ViewState(layers=("logistics_hubs", "transfer_zones")) == ViewState(
        layers=("transfer_zones", "logistics_hubs")
    )


def test_store_round_trip() -> None:
    state = ViewState(layers=("metro_circles",), select="mc-wuhan", fit="select", lang="zh")
    assert ViewState.from_dict(state.to_dict()) == state


steps = st.sampled_from([step.id for step in load_story().steps])


@given(views, steps, st.booleans())
def test_a_story_step_url_restores_the_step(base: ViewState, step_id: str, present: bool) -> None:
    state = with_step(base.with_(present=present), load_story().step(step_id))
    assert parse_query(to_query(state), selectable=SELECTABLE | {s.select for s in load_story().steps if s.select}) == (
        state,
        [],
    )


def test_a_step_url_is_short_and_sets_the_steps_layers() -> None:
    state, notices = parse_query("?present=1&view=logistics")
    assert notices == []
    assert state.present and state.view == "logistics"
    assert state.layers == ("logistics_hubs", "finance_trade")
    assert to_query(state) == "?story=guideline&view=logistics&lang=en&labels=1&present=1"


def test_unknown_step_or_story_is_noticed() -> None:
    state, notices = parse_query("?view=nope&story=../../x")
    assert state.view is None and state.story == "guideline"
    assert {(n.key, n.reason) for n in notices} == {("view", "unknown-value"), ("story", "unknown-value")}


# The browser's store comes back from the browser: it is validated like a URL, never trusted.
FORGED = [
    ({"zzz": 1}, "zzz", "unknown-key"),
    ({"story": "/etc/passwd.yaml"}, "story", "unknown-value"),
    ({"story": "../../dashboard/data/stories/guideline"}, "story", "unknown-value"),
    ({"view": "nope"}, "view", "unknown-value"),
    ({"labels": "yes"}, "labels", "malformed"),
    ({"layers": "metro_circles"}, "layers", "malformed"),
    ({"layers": ["metro_circles", 3]}, "layers", "malformed"),
    ({"level": 2}, "level", "malformed"),
    ({"select": ["a"]}, "select", "malformed"),
    ({"upload": "../../../etc/xx"}, "upload", "malformed"),
    ({"measure_col": "x" * 81}, "measure_col", "malformed"),
]


@pytest.mark.parametrize(("forged", "key", "reason"), FORGED)
def test_a_forged_store_is_refused_key_by_key_with_a_notice(forged: dict, key: str, reason: str) -> None:
    state = ViewState(layers=("metro_circles",), lang="zh")
    data = {**state.to_dict(), **forged}
    restored, notices = parse_store(data)
    assert [(n.key, n.reason) for n in notices] == [(key, reason)]
    kept_item = forged.get("layers") == ["metro_circles", 3]  # a bad item goes, the good ones stay
    expected = state if key not in KEYS or kept_item else state.with_(**{key: getattr(ViewState(), key)})
    assert restored == expected  # the forged key is back at its default, the rest as stored


def test_a_store_naming_a_story_file_never_reads_it(tmp_path, monkeypatch) -> None:
    story = tmp_path / "evil.yaml"
    story.write_text("id: evil\n", encoding="utf-8")
    read = []
    monkeypatch.setattr(stories.Path, "read_text", lambda self, **_: read.append(self) or "")
    restored, notices = parse_store({**ViewState().to_dict(), "story": str(story), "view": "one"})
    assert restored.story == "guideline" and restored.view is None
    assert ("story", "unknown-value") in {(n.key, n.reason) for n in notices}
    assert story not in read


def test_a_store_that_is_not_a_mapping_gives_the_default_view() -> None:
    assert parse_store(["layers"]) == (ViewState(), [Notice("store", "layers", "malformed")])
    assert parse_store(None) == (ViewState(), [])


def test_a_valid_store_keeps_its_step_without_reapplying_it() -> None:
    step = load_story().step("metro")
    state = with_step(ViewState(), step).with_(labels=False)
    assert parse_store(state.to_dict()) == (state, [])


@given(views)
def test_every_view_round_trips_through_the_store(state: ViewState) -> None:
    assert parse_store(state.to_dict()) == (state, [])


def test_upload_show_0_from_the_url_hides_the_uploads_features() -> None:
    state, notices = parse_query(f"?upload={'A' * 16}&upload_show=0&measure=count")
    assert notices == []
    assert state.upload_show is False and state.measure == "count"  # the units stay coloured
    assert "upload_show=0" in to_query(state)
    assert parse_query(f"?upload={'A' * 16}")[0].upload_show is True  # shown unless the URL says 0
