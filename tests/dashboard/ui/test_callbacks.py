"""Callbacks called directly: state transitions, figure-or-patch, details, translated options."""

from __future__ import annotations

import json

from dash import html, no_update

from dashboard.figures.screen import theme_for
from dashboard.ui import callbacks, ids, layout
from dashboard.ui.details import details_panel
from dashboard.view.state import ViewState
from geodata.layers import THEMES

CONTROLS = {"groups": [[], [], [], [], [], []], "provinces": [], "level": None, "lang": None, "labels": []}


def text_of(component: object) -> str:
    """All text inside a Dash component tree."""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(text_of(c) for c in component)
    children = getattr(component, "children", None)
    return text_of(children) if children is not None else ""


def test_url_load_parses_the_query_with_notices(atlas) -> None:
    state, notices = callbacks.next_state(
        ids.URL, "?layers=metro_circles,nope&select=mc-wuhan", ViewState(), atlas=atlas, controls=CONTROLS
    )
    assert state.layers == ("metro_circles",) and state.select == "mc-wuhan"
    assert [(n.key, n.value) for n in notices] == [("layers", "nope")]


def test_first_load_without_trigger_reads_the_url(atlas) -> None:
    state, _ = callbacks.next_state(None, "?level=county", ViewState(), atlas=atlas, controls=CONTROLS)
    assert state.level == "county"


def test_controls_build_the_view_and_keep_the_selection(atlas) -> None:
    current = ViewState(select="hub-ganzhou")
    controls = {
        "groups": [["transfer_zones"], [], ["logistics_hubs"], [], [], []],
        "provinces": ["420000", "360000"],
        "level": "county",
        "lang": "zh",
        "labels": [],
    }
    state, notices = callbacks.next_state(ids.LEVEL, "county", current, atlas=atlas, controls=controls)
    assert notices == []
    assert state == ViewState(
        layers=("transfer_zones", "logistics_hubs"),
        provinces=("360000", "420000"),
        level="county",
        lang="zh",
        labels=False,
        select="hub-ganzhou",
    )


def test_unticking_every_province_keeps_the_last_choice(atlas) -> None:
    current = ViewState(provinces=("420000",))
    state, _ = callbacks.next_state(ids.PROVINCES, [], current, atlas=atlas, controls={**CONTROLS, "provinces": []})
    assert state.provinces == ("420000",)


def test_search_selects_and_fits_the_choice(atlas) -> None:
    state, _ = callbacks.next_state(ids.SEARCH, "420100", ViewState(), atlas=atlas, controls=CONTROLS)
    assert (state.select, state.fit) == ("420100", "select")
    cleared, _ = callbacks.next_state(ids.SEARCH, None, state, atlas=atlas, controls=CONTROLS)
    assert cleared == state


def test_map_click_selects_the_feature_under_the_pointer(atlas) -> None:
    click = {"points": [{"customdata": ["feature", "hub-yichang"]}]}
    state, _ = callbacks.next_state(ids.MAP, click, ViewState(), atlas=atlas, controls=CONTROLS)
    assert state.select == "hub-yichang" and state.fit == "provinces"
    outline_click = {"points": [{"lon": 1, "lat": 2}]}
    assert callbacks.next_state(ids.MAP, outline_click, state, atlas=atlas, controls=CONTROLS)[0] == state


def test_picking_a_listed_feature_selects_it_but_new_buttons_do_not(atlas) -> None:
    trigger = {"type": ids.PICK, "id": "mc-wuhan"}
    assert callbacks.next_state(trigger, 1, ViewState(), atlas=atlas, controls=CONTROLS)[0].select == "mc-wuhan"
    assert callbacks.next_state(trigger, None, ViewState(), atlas=atlas, controls=CONTROLS)[0].select is None


def test_reset_restores_the_default_view_in_the_same_language(atlas) -> None:
    current = ViewState(layers=(), level="county", lang="zh", select="mc-wuhan")
    state, _ = callbacks.next_state(ids.RESET, 1, current, atlas=atlas, controls=CONTROLS)
    assert state == ViewState(lang="zh")


def test_control_values_follow_the_theme_order() -> None:
    themes = list(THEMES)[::-1]
    groups, provinces, level, lang, labels, *own = callbacks.control_values(ViewState(), themes)
    assert own == ["", None, None, "violet", ["on"]]
    assert groups[themes.index("logistics")] == ["logistics_hubs"]
    assert groups[themes.index("industry")] == ["transfer_zones"]
    assert (level, lang, labels) == ("prefecture", "en", ["on"])
    assert len(provinces) == 6


def test_render_map_sends_a_figure_first_then_patches(atlas) -> None:
    first = {"view": ViewState().to_dict(), "aspect": 1.5}
    figure, drawn = callbacks.render_map(first, None)
    assert figure["layout"]["title"]["text"].startswith("Central provinces")
    toggled = {"view": ViewState(layers=("metro_circles",)).to_dict(), "aspect": 1.5}
    patch, _ = callbacks.render_map(toggled, drawn)
    assert isinstance(patch, callbacks.PatchData)
    unchanged, _ = callbacks.render_map(first, first)
    assert unchanged is no_update
    county = {"view": ViewState(level="county").to_dict(), "aspect": 1.5}
    redrawn, _ = callbacks.render_map(county, first)
    assert not isinstance(redrawn, callbacks.PatchData) and len(redrawn["data"]) == len(figure["data"])
    resized, _ = callbacks.render_map({**first, "aspect": 2.0}, first)
    assert not isinstance(resized, callbacks.PatchData)


def test_render_map_waits_for_a_view() -> None:
    assert callbacks.render_map(None, None) == (no_update, no_update)


def test_details_of_a_zone_show_quote_members_and_flag(atlas) -> None:
    text = text_of(details_panel(atlas, ViewState(select="mc-wuhan")))
    assert "Wuhan Metropolitan Circle" in text and "武汉都市圈" in text
    assert "Heifei [sic] city to form metropolitan circles" in text  # the verbatim quote, its typo marked
    assert "Guideline section 3" in text
    assert "Xiantao" in text and "Approximate" not in text  # its members match the 2022 plan
    assert "Approximate" in text_of(details_panel(atlas, ViewState(select="mc-zhengzhou")))


def test_details_of_a_point_show_the_units_it_lies_in(atlas) -> None:
    text = text_of(details_panel(atlas, ViewState(select="hub-yichang")))
    assert "Yichang" in text and "Hubei" in text and "national logistics hubs" in text


def test_details_of_a_prefecture_list_the_features_inside(atlas) -> None:
    panel = details_panel(atlas, ViewState(select="420100", lang="zh"))
    text = text_of(panel)
    assert "武汉市" in text and "武汉都市圈" in text
    buttons = [c for c in panel[-1].children if isinstance(c, html.Li)]
    assert {b.children.id["id"] for b in buttons} >= {"city-wuhan", "mc-wuhan", "inno-wuhan-sci-infra"}


def test_details_hint_without_selection(atlas) -> None:
    assert "Click a feature" in text_of(details_panel(atlas, ViewState()))


def test_options_carry_counts_and_translate(atlas) -> None:
    en = layout.layer_options(atlas, "logistics", "en")
    assert {"label": "National logistics hubs (5)", "value": "logistics_hubs"} in en
    zh = layout.layer_options(atlas, "logistics", "zh")
    assert zh[0]["label"].startswith("国家物流枢纽")


def test_search_options_cover_features_and_units_in_both_scripts(atlas) -> None:
    options = layout.search_options(atlas, "en")
    by_value = {o["value"]: o for o in options}
    assert "mc-wuhan" in by_value and "420100" in by_value and "340100" in by_value
    luan = by_value["341500"]
    assert "六安" in luan["search"] and "luan" in luan["search"] and "Lu'an" in luan["label"]
    assert len(options) == len(atlas.features) + 6 + 87 + 703


def test_present_toggles_presenter_mode(atlas) -> None:
    state, _ = callbacks.next_state(ids.PRESENT, 1, ViewState(), atlas=atlas, controls=CONTROLS)
    assert state.present
    assert not callbacks.next_state(ids.PRESENT, 2, state, atlas=atlas, controls=CONTROLS)[0].present


def test_story_buttons_step_through_and_stop_at_the_ends(atlas) -> None:
    state = ViewState(present=True)
    seen = []
    for _ in range(9):
        state, _ = callbacks.next_state(ids.STEP_NEXT, 1, state, atlas=atlas, controls=CONTROLS)
        seen.append(state.view)
    assert seen == [
        "provinces",
        "logistics",
        "innovation",
        "transfer",
        "metro",
        "strategies",
        "rd-target",
        "rd-target",
        "rd-target",
    ]
    assert state.indicator == "rd_intensity" and state.year == 2024  # the last step sets the indicator map
    state, _ = callbacks.next_state(ids.STEP_PREV, 1, state, atlas=atlas, controls=CONTROLS)
    assert state.view == "strategies" and state.present and state.indicator is None
    assert set(state.layers) == {"river_corridors", "revolutionary_base_areas", "province_roles"}


def test_touching_a_control_leaves_the_story_step(atlas) -> None:
    state, _ = callbacks.next_state(ids.STEP_NEXT, 1, ViewState(), atlas=atlas, controls=CONTROLS)
    controls = {**CONTROLS, "groups": [[], [], [], ["logistics_hubs"], [], []], "provinces": ["420000"]}
    after, _ = callbacks.next_state(ids.LEVEL, "county", state, atlas=atlas, controls=controls)
    assert after.view is None


def test_render_chrome_switches_the_page_to_presenter_mode() -> None:
    class_name, config, counter, label = callbacks.render_chrome(ViewState(present=True, view="innovation").to_dict())
    assert class_name == "atlas atlas-present" and config["displayModeBar"] is False
    assert counter.endswith("3 / 7") and label == "Exit presentation"
    class_name, config, counter, _ = callbacks.render_chrome(ViewState().to_dict())
    assert class_name == "atlas" and config["displayModeBar"] is True
    assert "–" not in counter and "7 steps" in counter  # never "– / 7": how to start the story instead
    assert config["topojsonURL"] == "/assets/topojson/"


def test_export_link_follows_the_view_and_the_choices() -> None:
    state = ViewState(layers=("metro_circles",), lang="zh", select="mc-wuhan")
    href, name, error = callbacks.export_link(
        state, fmt="pdf", size="a4", custom=(None, None, None), flags=["title", "legend"], subtitle="Briefing"
    )
    assert error == "" and href.startswith("/export/") and name.endswith(".pdf")
    assert href.split("?")[0].endswith(name)
    for part in ("layers=metro_circles", "lang=zh", "select=mc-wuhan", "size=a4", "scalebar=0", "subtitle=Briefing"):
        assert part in href, part


def test_export_link_reports_a_bad_custom_size() -> None:
    href, name, error = callbacks.export_link(
        ViewState(), fmt="png", size="custom", custom=(100, 100, 2), flags=[], subtitle=None
    )
    assert (href, name) == (None, None) and "width" in error


def test_custom_png_export_carries_its_scale() -> None:
    href, _, _ = callbacks.export_link(
        ViewState(), fmt="png", size="custom", custom=(1600, 900, 2.5), flags=["title"], subtitle=None
    )
    assert "size=1600x900" in href and "&scale=2.5" in href


def test_an_upload_joins_the_view_with_counts_on(atlas) -> None:
    state, _ = callbacks.next_state(ids.UPLOAD_RESULT, {"id": "B" * 16}, ViewState(), atlas=atlas, controls=CONTROLS)
    assert (state.upload, state.measure) == ("B" * 16, "count")


def test_a_missing_upload_is_described_not_drawn(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("ATLAS_UPLOAD_DIR", str(tmp_path))
    info = callbacks.describe_upload(ViewState(upload="C" * 16).to_dict())
    assert "no longer on the server" in text_of(info)
    assert callbacks.upload_column_options(ViewState(upload="C" * 16)) == ([], [])
    assert callbacks.stored_upload("C" * 16) is None


def test_a_forged_store_is_noticed_by_the_view_sync(atlas) -> None:
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    forged = {**ViewState().to_dict(), "story": "/etc/passwd.yaml"}
    context_value.set(
        AttributeDict(
            triggered_inputs=[{"prop_id": f"{ids.LABELS}.value", "value": ["on"]}],
            outputs_list=[{}, {}, [{"id": {"theme": theme}} for theme in THEMES]],
        )
    )
    out = callbacks.sync_view(
        "", [[]] * len(THEMES), [], None, None, ["on"], None, 0, None, [], 0, 0, 0, None, "", None, None, None, [],
        forged,
    )  # fmt: skip
    assert out[1]["story"] == "guideline"
    assert "/etc/passwd.yaml" in text_of(out[14])


def sync_from_url(search: str, shown: tuple) -> tuple:
    """sync_view for a URL load, the controls showing `shown` (control_values' order)."""
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    context_value.set(
        AttributeDict(
            triggered_inputs=[{"prop_id": f"{ids.URL}.search", "value": search}],
            outputs_list=[{}, {}, [{"id": {"theme": theme}} for theme in THEMES]],
        )
    )
    groups, provinces, level, lang, labels, measure, column, label, color, show = shown
    return callbacks.sync_view(
        search, groups, provinces, level, lang, labels, None, 0, None, [], 0, 0, 0, None, measure, column, label,
        color, show, None, [], [],
    )  # fmt: skip


def test_a_url_load_sends_only_the_controls_that_change(atlas) -> None:
    themes = list(THEMES)
    shown = callbacks.control_values(ViewState(), themes)
    out = sync_from_url("", shown)
    # the page's controls already show the default view: nothing is sent back to them (each would re-run
    # every callback reading it, the whole page's translation for the language), only the view itself
    assert out[1] == ViewState().to_dict()
    assert out[2] == [no_update] * len(themes) and all(value is no_update for value in out[3:14])
    out = sync_from_url("?level=county&lang=zh", shown)
    assert (out[4], out[5]) == ("county", "zh")  # what differs is sent ...
    assert out[3] is no_update and out[6] is no_update  # ... what does not, is not
    assert out[2] == [no_update] * len(themes)


def test_entering_or_leaving_presenter_mode_redraws_the_whole_figure(atlas) -> None:
    normal = {"view": ViewState(), "aspect": 1.5}
    presented = {"view": ViewState(present=True), "aspect": 1.5}
    for old, new in ((normal, presented), (presented, normal)):
        drawn = callbacks.figure_or_patch(atlas, old, new)
        assert not isinstance(drawn, callbacks.PatchData) and drawn is not no_update
        assert drawn["layout"]["font"]["size"] == theme_for(new["view"]).font_size  # in the new theme


def test_a_new_upload_is_sent_as_a_patch_with_its_points(atlas, monkeypatch, tmp_path) -> None:
    from dashboard.uploads.store import UploadStore

    monkeypatch.setenv("ATLAS_UPLOAD_DIR", str(tmp_path))
    upload_id, _ = UploadStore.from_env().add(b"name,lng,lat\nA,114.30,30.60\nB,113.62,34.75\n", filename="p.csv")
    old = {"view": ViewState(), "aspect": 1.5}
    new = {"view": ViewState(upload=upload_id, measure="count"), "aspect": 1.5}
    patch = callbacks.figure_or_patch(atlas, old, new)
    assert isinstance(patch, callbacks.PatchData)
    sent = json.dumps(patch.to_plotly_json())
    assert "114.3" in sent and "p.csv (2)" in sent  # the points and their legend name
    back = callbacks.figure_or_patch(atlas, new, old)
    assert isinstance(back, callbacks.PatchData)
    assert "Delete" in json.dumps(back.to_plotly_json())  # the colour bar goes
