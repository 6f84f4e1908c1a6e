"""The map as a cartographer checks it: physical context, placed labels, spread symbols, legend, projection."""

from __future__ import annotations

import itertools
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from pyproj import Geod

from dashboard.config import PROJECTION
from dashboard.figures import labels
from dashboard.figures import screen as figures
from dashboard.figures.printing import PrintOptions, conic_scale_bar, map_area, page_frame, print_figure
from dashboard.figures.projection import ScreenMap, fit_ranges, raw_bounds
from dashboard.ui.map_callbacks import viewport_from_relayout
from dashboard.view.scene import resolve
from dashboard.view.state import ViewState, parse_query, to_query, with_step
from dashboard.view.stories import load_story
from geodata.layers import LAYER_IDS

ALL = ViewState(layers=LAYER_IDS)


def fig_dict(atlas, state: ViewState, **kwargs) -> dict:
    return figures.map_figure(atlas, resolve(state), **kwargs).to_plotly_json()


def role(fig: dict, name: str) -> list[dict]:
    return [t for t in fig["data"] if t["meta"]["role"] == name]


def test_rivers_and_lakes_are_drawn_with_both_names(atlas) -> None:
    fig = fig_dict(atlas, ViewState())
    rivers = {(t["meta"]["name_en"], t["meta"]["name_zh"]): t for t in role(fig, "rivers")}
    for en, zh in [("Yangtze River", "长江"), ("Yellow River", "黄河"), ("Xiang River", "湘江"), ("Gan River", "赣江")]:
        trace = rivers[(en, zh)]
        assert trace["hoverinfo"] == "skip"  # a river never takes the click meant for a city on its bank
        assert trace["visible"] and len([x for x in trace["lon"] if x is not None]) > 10
    labels = [text for t in role(fig, "labels") for text in t["text"]]
    assert "Yangtze River" in labels and "Yellow River" in labels  # the rivers are named on the map
    zh_labels = [text for t in role(fig_dict(atlas, ViewState(lang="zh")), "labels") for text in t["text"]]
    assert "长江" in zh_labels and "黄河" in zh_labels
    lakes = role(fig, "lakes")[0]
    assert ["Poyang Lake", "鄱阳湖"] in lakes["meta"]["names"] and ["Dongting Lake", "洞庭湖"] in lakes["meta"]["names"]
    assert any("Poyang Lake" in text and "鄱阳湖" in text for text in lakes["hovertext"])
    # drawn beneath the guideline layers
    order = [t["meta"]["role"] for t in fig["data"]]
    assert max(i for i, r in enumerate(order) if r in ("rivers", "lakes", "relief")) < order.index("zones")


def test_context_layers_follow_the_view(atlas) -> None:
    fig = fig_dict(atlas, ViewState(context=("rivers",)))
    assert all(t["visible"] for t in role(fig, "rivers"))
    assert not any(t["visible"] for t in role(fig, "lakes") + role(fig, "relief"))


STORY_STEPS = [with_step(ViewState(), step) for step in load_story("guideline").steps]
VIEWS = {
    "default": ViewState(),
    "all layers": ALL,
    "county": ViewState(level="county"),
    "all layers zh": ALL.with_(lang="zh"),
    "zoomed": ViewState(center=(113.5, 30.5), scale=3.0),
    **{f"step {s.view}": s for s in STORY_STEPS},
    **{f"presented {s.view}": s.with_(present=True) for s in STORY_STEPS[:2]},
}


@pytest.mark.parametrize("name", list(VIEWS))
def test_no_two_placed_labels_overlap(atlas, name: str) -> None:
    state = VIEWS[name]
    frame = figures.map_frame(resolve(state), panel_width=960, aspect=1.6, atlas=atlas)
    placement = figures.map_placement(atlas, resolve(state), frame)
    boxes = [p.box for p in placement.placed]
    assert len(boxes) >= 6
    for a, b in itertools.combinations(boxes, 2):
        assert not labels.overlaps(a, b), (a, b)
    assert all(labels.inside(box, (frame.width, frame.height)) for box in boxes)
    # the labels also keep clear of the symbols drawn
    points = [p for p in figures.shown_points(atlas, state) if p[0] in state.layers]
    for symbol in figures.symbol_obstacles(points, placement.offsets, placement.screen, theme=placement.theme):
        assert not any(labels.overlaps(box, symbol) for box in boxes)
    # and the figure carries the same boxes it was placed with
    label_trace = role(fig_dict(atlas, state, aspect=1.6, panel_width=960), "labels")[0]
    assert label_trace["meta"]["boxes"] == [[round(v, 1) for v in box] for box in boxes]


def test_province_names_are_always_placed_in_both_languages(atlas) -> None:
    for state in (ViewState(), ALL, ViewState(labels=False)):
        texts = role(fig_dict(atlas, state), "labels")[0]["text"]
        for en, zh in [("Henan", "河南"), ("Hubei", "湖北"), ("Anhui", "安徽")]:
            assert any(en in t and zh in t for t in texts), (en, state)


@pytest.mark.parametrize("panel", [(1280, 1280 / 560), (960, 1.6), (390, 0.8)], ids=["presenter", "desktop", "phone"])
def test_all_six_province_names_survive_symbols_in_every_step(atlas, panel) -> None:
    """Symbols over a province's anchor (Zhengzhou's hub in Henan) move its name, never drop it."""
    width, aspect = panel
    for state in (ALL, *STORY_STEPS, *(s.with_(present=True) for s in STORY_STEPS)):
        frame = figures.map_frame(resolve(state), panel_width=width, aspect=aspect, atlas=atlas)
        keys = {p.candidate.key for p in figures.map_placement(atlas, resolve(state), frame).placed}
        assert len({k for k in keys if k.startswith("province:")}) == 6, (state.view, state.present)


def test_names_of_neighbours_and_prefectures(atlas) -> None:
    keys = role(fig_dict(atlas, ViewState()), "labels")[0]["meta"]["keys"]
    assert any(k.startswith("neighbour:") for k in keys) and any(k.startswith("prefecture:") for k in keys)
    at_province = role(fig_dict(atlas, ViewState(level="province")), "labels")[0]["meta"]["keys"]
    assert not any(k.startswith("prefecture:") for k in at_province)
    zoomed = ViewState(level="province", center=(113.5, 34.5), scale=3.0)
    assert any(k.startswith("prefecture:") for k in role(fig_dict(atlas, zoomed), "labels")[0]["meta"]["keys"])


def test_labels_are_replaced_when_zoomed(atlas) -> None:
    wide = role(fig_dict(atlas, ViewState()), "labels")[0]
    close = role(fig_dict(atlas, ViewState(center=(113.0, 28.0), scale=4.0)), "labels")[0]
    assert wide["meta"]["boxes"] != close["meta"]["boxes"]
    assert "Xiangtan" in close["text"] and "Xiangtan" not in wide["text"]


def test_co_located_points_are_spread_and_each_stays_clickable(atlas) -> None:
    fig = fig_dict(atlas, ALL, aspect=1.6, panel_width=960)
    placement = figures.map_placement(
        atlas, resolve(ALL), figures.map_frame(resolve(ALL), panel_width=960, aspect=1.6, atlas=atlas)
    )
    drawn = {}
    for trace in role(fig, "points"):
        for (kind, fid), lon, lat in zip(trace["customdata"], trace["lon"], trace["lat"], strict=True):
            assert kind == "feature"
            drawn[fid] = placement.screen.to_px(np.array([lon]), np.array([lat]))
    for group in (["city-zhengzhou", "hub-zhengzhou", "fin-zce"], ["city-hefei", "inno-hefei-science-centre"],
                  ["city-changsha", "hub-changsha"], ["city-taiyuan", "hub-taiyuan"]):  # fmt: skip
        for a, b in itertools.combinations(group, 2):
            distance = float(np.hypot(drawn[a][0] - drawn[b][0], drawn[a][1] - drawn[b][1])[0])
            assert distance >= 8, (a, b, distance)  # far enough apart to hover and click each


def test_legend_entries_are_unique_and_match_what_is_drawn(atlas) -> None:
    fig = fig_dict(atlas, ALL)
    shown = [t for t in fig["data"] if t.get("visible", True) and t.get("showlegend", True) is not False]
    names = [t["name"] for t in shown]
    assert len(names) == len(set(names))
    finance = [n for n in names if n.startswith("Finance and trade")]
    assert len(finance) == 3  # the area, its approximate outline and the exchange's site
    for trace in role(fig, "zones"):
        fill = trace["colorscale"][0][1]
        alpha = float(fill.rsplit(",", 1)[1].rstrip(")"))
        assert fill.startswith("rgba(") and alpha < 0.5  # pale, as drawn; the swatch shows the same fill
        assert trace["marker"]["opacity"] == 1.0
    outlines = [t for t in role(fig, "outline") if t.get("showlegend")]
    assert outlines and all(t["line"]["dash"] == "dash" and "approx" in t["name"] for t in outlines)
    groups = [t["legendgrouptitle"]["text"] for t in fig["data"] if t.get("legendgrouptitle", {}).get("text")]
    assert len(groups) == len(set(groups)) and "Physical context" in groups and "Innovation" in groups


def test_the_legend_sits_beside_the_map_not_on_it(atlas) -> None:
    fig = fig_dict(atlas, ALL, panel_width=1300, aspect=1.6)
    legend, margin = fig["layout"]["legend"], fig["layout"]["margin"]
    assert legend["x"] >= 1 and legend["xanchor"] == "left"
    widest = max(
        labels.text_width(line, size_px=legend["font"]["size"])
        for t in fig["data"] if t.get("showlegend", True) is not False and t.get("name")
        for line in t["name"].split("<br>")
    )  # fmt: skip
    assert margin["r"] >= widest + 30  # symbol and text fit in the margin: plotly need not grow it over the map
    narrow = fig_dict(atlas, ALL, panel_width=390, aspect=0.6)  # a phone: the legend is a drawer, off until asked
    assert narrow["layout"]["margin"]["r"] == 0 and narrow["layout"]["showlegend"] is False


def test_screen_and_print_share_the_conic_projection(atlas) -> None:
    screen = fig_dict(atlas, ViewState())["layout"]["geo"]["projection"]
    page = print_figure(atlas, resolve(ViewState()), options=PrintOptions()).to_plotly_json()["layout"]["geo"][
        "projection"
    ]
    for projection in (screen, page):
        assert projection["type"] == PROJECTION["type"] == "conic conformal"
        assert projection["parallels"] == [25, 47] and projection["rotation"]["lon"] == 105


def test_fitted_ranges_fill_the_frame(atlas) -> None:
    for aspect in (0.7, 1.6, 2.5):
        (west, east), (south, north) = fit_ranges((110.0, 24.0, 118.0, 40.0), aspect)
        xmin, ymin, xmax, ymax = raw_bounds((west, east), (south, north))
        assert (xmax - xmin) / (ymax - ymin) == pytest.approx(aspect, rel=2e-3)
        assert west <= 110 and east >= 118 and south <= 24 and north >= 40


def test_scale_bar_is_true_in_the_conic_projection(atlas) -> None:
    options = PrintOptions()
    state = ViewState()
    frame = page_frame(options, subtitle="", legend_px=300)
    area = map_area(frame, options)
    screen = figures.screen_map(atlas, state, area)
    bar = conic_scale_bar(screen)
    _, _, metres = Geod(ellps="WGS84").inv(bar.west, bar.lat, bar.east, bar.lat)
    assert metres / 1000 == pytest.approx(bar.km, rel=0.01)  # the bar is as long as it says
    x, _ = screen.to_px(np.array([bar.west, bar.east]), np.array([bar.lat, bar.lat]))
    assert 0.1 * area.width < x[1] - x[0] < 0.4 * area.width  # about a fifth of the map's width
    assert bar.km * screen.px_per_km(bar.lat) == pytest.approx(x[1] - x[0], rel=0.02)


def test_screen_map_round_trips() -> None:
    screen = ScreenMap(900, 600, (105.0, 125.0), (22.0, 42.0), center=(114.0, 31.0), scale=2.0)
    x, y = screen.to_px(np.array([114.0]), np.array([31.0]))
    assert (x[0], y[0]) == pytest.approx((450, 300))
    lon, lat = screen.to_lonlat(123.0, 456.0)
    back = screen.to_px(np.array([lon]), np.array([lat]))
    assert (back[0][0], back[1][0]) == pytest.approx((123.0, 456.0), abs=1e-6)


def test_greedy_placement_moves_or_drops_the_lower_priority_label() -> None:
    first = labels.Candidate("a", "Zhengzhou", 100, 100, 13, 1, radius=6)
    second = labels.Candidate("b", "Kaifeng", 104, 100, 13, 2, radius=6)
    placed = labels.place([second, first], frame=(400, 300))
    assert [p.candidate.key for p in placed] == ["a", "b"]
    assert placed[0].position == "top center" and placed[1].position != "top center"
    assert not labels.overlaps(placed[0].box, placed[1].box)
    assert labels.place([second, first], frame=(400, 300)) == placed  # deterministic
    crowded = labels.place([first, second], frame=(400, 300), obstacles=[(0, 0, 400, 300)])
    assert crowded == []


def test_text_widths_come_from_the_font() -> None:
    assert labels.text_width("iiii", size_px=13) < labels.text_width("WWWW", size_px=13)
    assert labels.text_width("郑州", size_px=13) == pytest.approx(26, abs=1)


def test_the_viewport_goes_through_the_url() -> None:
    state = ViewState(center=(113.5, 31.25), scale=2.5, context=("rivers", "lakes"))
    query = to_query(state)
    assert "center=113.5000,31.2500" in query and "mapscale=2.5" in query and "context=lakes,rivers" in query
    restored, notices = parse_query(query)
    assert restored == state and notices == []
    _, notices = parse_query("?center=200,31&mapscale=2")
    assert [n.key for n in notices] == ["center"]
    bad, notices = parse_query("?mapscale=999&center=113,31&context=rivers,volcanoes")
    assert not bad.zoomed and {n.key for n in notices} == {"mapscale", "context"} and bad.context == ("rivers",)


def test_zoom_is_kept_across_level_language_and_layers_but_a_step_refits(atlas) -> None:
    zoomed = ViewState(center=(113.5, 31.0), scale=2.0)
    for other in (zoomed.with_(level="county"), zoomed.with_(lang="zh"), zoomed.with_(layers=("central_cities",))):
        geo = fig_dict(atlas, other)["layout"]["geo"]
        assert geo["projection"]["scale"] == 2.0 and geo["center"] == {"lon": 113.5, "lat": 31.0}
    assert not with_step(zoomed, load_story("guideline").steps[0]).zoomed


def test_relayout_data_becomes_the_view() -> None:
    current = ViewState()
    moved = viewport_from_relayout(
        {"geo.center.lon": 112.0, "geo.center.lat": 29.5, "geo.projection.scale": 3}, current
    )
    assert moved.center == (112.0, 29.5) and moved.scale == 3.0
    assert viewport_from_relayout({"autosize": True}, current) is None
    assert (
        viewport_from_relayout({"geo.projection.scale": 500, "geo.center.lon": 1, "geo.center.lat": 2}, current).scale
        == 40
    )


def test_text_only_labels_are_anchored_beside_their_symbol() -> None:
    candidate = labels.Candidate("a", "Taiyuan", 100, 100, 13, 1, radius=15)
    (placed,) = labels.place([candidate], frame=(400, 300))
    x, y = labels.text_anchor(placed)
    assert placed.position == "top center" and x == 100 and y == pytest.approx(placed.box[3])  # the box's bottom


def test_an_export_shows_the_zoom_on_screen(atlas) -> None:
    from dashboard.export.request import export_href

    zoomed = ViewState(center=(113.5, 31.0), scale=2.0)
    href = export_href(zoomed, fmt="png", size="slide", scale=None, options={})
    query = parse_qs(urlparse(href).query)
    assert query["center"] == ["113.5000,31.0000"] and query["mapscale"] == ["2"]
    page = print_figure(atlas, resolve(zoomed), options=PrintOptions()).to_plotly_json()["layout"]["geo"]
    assert page["projection"]["scale"] == 2.0 and page["center"] == {"lon": 113.5, "lat": 31.0}


def test_the_toolbar_speaks_both_languages() -> None:
    from dashboard.ui.layout import context_options
    from dashboard.ui.map_callbacks import toolbar_text

    assert toolbar_text("copy_link", "zh") == "复制链接" and toolbar_text("copy_link", "en") == "Copy link"
    assert [o["label"] for o in context_options("zh")] == ["地势", "湖泊", "河流"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_step_caption_wraps_inside_the_figure_instead_of_running_off(atlas, lang) -> None:
    theme = figures.theme_for(STORY_STEPS[0].with_(present=True))
    for state in (s.with_(present=True, lang=lang) for s in STORY_STEPS):
        scene = resolve(state)
        frame = figures.map_frame(resolve(scene), panel_width=1280, aspect=1280 / 560, atlas=atlas)
        layout = figures.layout_props(atlas, resolve(scene), frame=frame)
        lines = layout["title"]["subtitle"]["text"].split("<br>")
        assert len(lines) <= figures.CAPTION_LINES
        assert all(labels.text_width(line, size_px=theme.font_size) <= frame.width + frame.legend_px for line in lines)
        said = "".join(lines).replace("…", "").replace(" ", "")
        assert scene.subtitle.replace(" ", "").startswith(said) and len(said) > 0.5 * len(
            scene.subtitle.replace(" ", "")
        )
        assert layout["margin"]["t"] > figures.title_height(theme)  # room for the second line


def test_wrap_text_breaks_at_spaces_and_between_chinese_characters() -> None:
    wide = max(labels.text_width(line, size_px=20) for line in ("alpha beta", "gamma delta")) + 1
    assert labels.text_width("alpha beta gamma", size_px=20) > wide
    english = labels.wrap_text("alpha beta gamma delta", width_px=wide, size_px=20, max_lines=3)
    assert english == "alpha beta<br>gamma delta"
    chinese = labels.wrap_text("促进中部地区高质量发展", width_px=labels.text_width("促进中部地区", size_px=20) + 1,
                               size_px=20, max_lines=1)  # fmt: skip
    assert (
        chinese.endswith("…")
        and labels.text_width(chinese, size_px=20) <= labels.text_width("促进中部地区", size_px=20) + 1
    )


def test_a_phone_title_stays_on_one_line_left_of_the_modebar(atlas) -> None:
    scene = resolve(ViewState(level="county", provinces=("140000", "340000", "360000")))
    theme = figures.theme_for(scene.state)
    frame = figures.map_frame(resolve(scene), panel_width=390, aspect=0.8, atlas=atlas)
    title = figures.layout_props(atlas, resolve(scene), frame=frame)["title"]["text"]
    width = labels.text_width(title, size_px=round(theme.font_size * 1.5))
    assert "<br>" not in title and title.endswith("…") and width <= 390 - figures.MODEBAR_PX
    wide = figures.map_frame(resolve(scene), panel_width=1600, aspect=1.6, atlas=atlas)
    assert figures.layout_props(atlas, resolve(scene), frame=wide)["title"]["text"] == figures.view_title(
        resolve(scene)
    )
