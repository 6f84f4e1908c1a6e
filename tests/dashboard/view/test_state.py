"""URL state: a round trip restores the view; anything unusable is ignored with a notice."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dashboard.view.state import ViewState, parse_query, to_query, with_step
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
