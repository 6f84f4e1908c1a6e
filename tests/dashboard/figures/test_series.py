"""Map series page specs: which units, in which order, framed how, with which features listed."""

from __future__ import annotations

import pytest

from dashboard.export.series import parse_set
from dashboard.figures.series import SeriesError, SeriesSet, build_series, features_inside
from dashboard.view.state import ViewState
from dashboard.view.stories import load_story
from geodata._paths import CENTRAL_PROVINCES


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("provinces", SeriesSet("provinces")),
        ("prefectures:410000", SeriesSet("prefectures", "410000")),
        ("layer:logistics_hubs", SeriesSet("layer", "logistics_hubs")),
        ("story:guideline", SeriesSet("story", "guideline")),
    ],
)
def test_sets_parse(text: str, expected: SeriesSet) -> None:
    assert parse_set(text) == expected
    assert parse_set(text).text == text


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("counties", "unknown series set 'counties'"),
        ("prefectures", "needs an argument"),
        ("prefectures:110000", "unknown province '110000'"),  # Beijing is not one of the six
        ("layer:roads", "unknown layer 'roads'"),
        ("story:nope", "unknown story 'nope'"),
        ("provinces:410000", "takes no argument"),
    ],
)
def test_unknown_sets_are_refused_with_one_line(text: str, says: str) -> None:
    with pytest.raises(SeriesError, match=says) as caught:
        parse_set(text)
    assert "\n" not in str(caught.value)


def test_province_series_has_a_page_per_province_in_adcode_order_after_the_cover(atlas) -> None:
    series = build_series(atlas, parse_set("provinces"))
    assert series.total == 7
    assert [page.number for page in series.pages] == [2, 3, 4, 5, 6, 7]
    assert [page.code for page in series.pages] == sorted(CENTRAL_PROVINCES)
    assert [page.title for page in series.pages] == ["Shanxi", "Anhui", "Jiangxi", "Henan", "Hubei", "Hunan"]
    for page in series.pages:
        assert page.state.select == page.code and page.state.fit == "select"  # framed on its unit
    assert series.cover.select is None and series.cover.fit == "provinces"


def test_prefecture_series_covers_exactly_the_province_s_prefectures(atlas) -> None:
    series = build_series(atlas, parse_set("prefectures:360000"), base=ViewState(lang="zh"))
    expected = atlas.prefectures[atlas.prefectures["province_adcode"] == "360000"]
    assert [page.code for page in series.pages] == sorted(expected["adcode"])
    assert series.pages[0].title == expected.sort_values("adcode")["name_zh"].iloc[0]
    assert all(page.state.level == "county" for page in series.pages)
    assert series.cover.provinces == ("360000",)


def test_story_series_follows_the_steps(atlas) -> None:
    story = load_story("guideline")
    series = build_series(atlas, parse_set("story:guideline"))
    assert [page.code for page in series.pages] == [step.id for step in story.steps]
    assert [page.title for page in series.pages] == [step.title["en"] for step in story.steps]
    assert [set(page.state.layers) for page in series.pages] == [set(step.layers) for step in story.steps]


def test_layer_series_has_one_page_per_feature_with_the_layer_shown(atlas) -> None:
    rows = atlas.layers["metro_circles"]
    series = build_series(atlas, parse_set("layer:metro_circles"), base=ViewState(layers=("central_cities",)))
    assert [page.code for page in series.pages] == list(rows["feature_id"])
    assert all("metro_circles" in page.state.layers for page in series.pages)


def test_each_province_page_lists_its_own_point_features_and_no_one_else_s(atlas) -> None:
    base = ViewState(layers=("logistics_hubs", "innovation_centres"))
    series = build_series(atlas, parse_set("provinces"), base=base)
    points = atlas.features[atlas.features["layer"].isin(base.layers)]
    for page in series.pages:
        mine = set(points[points["province_adcode"] == page.code]["name_en"])
        others = set(points[points["province_adcode"] != page.code]["name_en"]) - mine
        assert mine <= set(page.features), page.title
        assert not others & set(page.features), page.title


def test_features_inside_skips_units_that_only_share_a_border(atlas) -> None:
    henan = atlas.provinces[atlas.provinces["adcode"] == "410000"].geometry.iloc[0]
    names = features_inside(atlas, henan, layers=("province_roles",), lang="en")
    roles = atlas.layers["province_roles"]
    henan_role = roles[roles["province_adcodes"].map(lambda codes: "410000" in list(codes))]
    assert set(names) == set(henan_role["name_en"])
