"""Presenter mode in a real headless Chromium: step 1 first, no stale hover, the callout, a planner's own story."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from dashboard.view.stories import load_story
from tests.dashboard.ui.waits import settled, wait_for

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[3] / "docs"
GRAPH = "document.querySelector('#atlas-map .js-plotly-plot')"

#: A planner's story: two steps whose captions are verbatim guideline quotes (the bundled story's, section 2).
OWN_STORY = """\
id: hubs-and-science
title:
  en: Hubs and science
  zh: 枢纽与科学
steps:
  - id: hubs
    title:
      en: The five logistics hubs
      zh: 五个物流枢纽
    caption:
      en: >-
        accelerating the construction of national logistics hubs in Zhengzhou, Changsha, Taiyuan, Yichang,
        and Ganzhou
      zh: 加快郑州、长沙、太原、宜昌、赣州等国家物流枢纽建设
    section: "2"
    layers: [logistics_hubs]
    level: prefecture
  - id: science
    title:
      en: Hefei's science centre
      zh: 合肥科学中心
    caption:
      en: "Speeding up the construction of the national scientific center in Hefei"
      zh: 加快合肥综合性国家科学中心建设
    section: "2"
    layers: [innovation_centres]
    provinces: ["340000"]
    level: county
"""


def drawn(browser) -> bool:
    return browser.execute_script(f"const g = {GRAPH}; return !!(g && g._fullData && g._fullData.length > 3)")


def open_view(browser, base: str, query: str = "") -> None:
    browser.get(f"{base}/{query}")
    wait_for(lambda: drawn(browser), what="the map")


def map_title(browser) -> str:
    return browser.execute_script(f"return {GRAPH}._fullLayout.title.text")


def text_of(browser, element_id: str) -> str:
    return browser.find_element(By.ID, element_id).text


def query(browser) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlparse(browser.current_url).query).items()}


def hover_labels(browser) -> int:
    return browser.execute_script("return document.querySelectorAll('#atlas-map .hoverlayer .hovertext').length")


def press(browser, key: str) -> None:
    ActionChains(browser).send_keys(key).perform()


def hover_a_point(browser) -> None:
    """Move the real mouse onto a drawn point until plotly shows its hover label (the map may still be redrawing)."""

    def hovered() -> bool:
        point = next(p for p in browser.find_elements(By.CSS_SELECTOR, ".scattergeo .point") if p.is_displayed())
        ActionChains(browser).move_to_element(point).move_by_offset(1, 0).move_by_offset(-1, 0).perform()
        return hover_labels(browser) > 0

    wait_for(hovered, what="a hover label")


def click_a_point(browser) -> None:
    """Click the first drawn point as a user would (found afresh: a redraw replaces the elements)."""

    def clicked() -> bool:
        point = next(p for p in browser.find_elements(By.CSS_SELECTOR, ".scattergeo .point") if p.is_displayed())
        ActionChains(browser).move_to_element(point).perform()
        # Plotly reports a click on what the pointer hovers, and its hover runs throttled after the move: a click
        # sent before the hover has landed is a click on nothing (seen on a loaded machine)
        if not browser.execute_script(f"return ({GRAPH}._hoverdata || []).length > 0"):
            return False
        ActionChains(browser).click().perform()
        return True

    wait_for(clicked, what="a point to click")


@pytest.fixture
def window(browser):
    """A 1280x720 viewport (the projector's), set exactly through the DevTools protocol; cleared afterwards."""
    metrics = {"width": 1280, "height": 720, "deviceScaleFactor": 1, "mobile": False}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    wait_for(lambda: browser.execute_script("return [innerWidth, innerHeight]") == [1280, 720], what="the viewport")
    yield browser
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_presenting_starts_at_step_one(window, live_url) -> None:
    steps = load_story().steps
    open_view(window, live_url, "?layers=central_cities")
    window.find_element(By.ID, "atlas-present").click()
    wait_for(lambda: query(window).get("view") == steps[0].id, what="step 1 on entering presenter mode")
    wait_for(lambda: f"1 / {len(steps)}" in text_of(window, "atlas-step-counter"), what="the counter at 1 / N")
    assert "–" not in text_of(window, "atlas-step-counter")
    press(window, Keys.PAGE_DOWN)
    wait_for(lambda: f"2 / {len(steps)}" in text_of(window, "atlas-step-counter"), what="step 2")


def test_stepping_with_the_keys_leaves_no_hover_label_behind(window, live_url) -> None:
    """Steps at the same level are patched into the figure: plotly would keep the old step's hover label."""
    ids = [step.id for step in load_story().steps]
    same_level = [
        (a, b) for a, b in zip(load_story().steps, load_story().steps[1:], strict=False) if a.level == b.level
    ]
    first, second = same_level[0]
    open_view(window, live_url, f"?present=1&view={first.id}")
    hover_a_point(window)
    press(window, Keys.PAGE_DOWN)
    wait_for(lambda: query(window).get("view") == second.id, what="the next step")
    wait_for(lambda: f"{ids.index(second.id) + 1} / {len(ids)}" in text_of(window, "atlas-step-counter"), what="it")
    wait_for(lambda: hover_labels(window) == 0, what="the old step's hover label to go")
    hover_a_point(window)
    press(window, Keys.ARROW_LEFT)
    wait_for(lambda: query(window).get("view") == first.id, what="back one step")
    wait_for(lambda: hover_labels(window) == 0, what="no hover label after stepping back")


def test_the_step_bar_sits_below_the_map_at_1280x720(window, live_url) -> None:
    open_view(window, live_url, "?present=1&view=provinces")
    wait_for(lambda: window.find_element(By.ID, "atlas-stepper").is_displayed(), what="the step bar")
    boxes = window.execute_script(
        "const m = document.getElementById('atlas-map').getBoundingClientRect();"
        " const s = document.getElementById('atlas-stepper').getBoundingClientRect();"
        " return {mapTop: m.top, mapBottom: m.bottom, mapHeight: m.height, barTop: s.top, barBottom: s.bottom,"
        " height: window.innerHeight};"
    )
    assert boxes["barBottom"] <= boxes["height"] + 1, boxes  # the bar is on screen
    assert boxes["mapBottom"] <= boxes["barTop"] + 1, boxes  # the map ends where the bar begins
    assert boxes["mapHeight"] >= 0.8 * boxes["height"], boxes  # and the map keeps most of the window


def test_a_click_in_presenter_mode_opens_a_readable_callout_with_the_quote(window, live_url) -> None:
    open_view(window, live_url, "?present=1&view=logistics&labels=1")
    click_a_point(window)
    callout = wait_for(
        lambda: (
            window.find_element(By.ID, "atlas-callout").is_displayed() and window.find_element(By.ID, "atlas-callout")
        ),
        what="the callout",
    )
    wait_for(lambda: "Guideline section" in callout.text, what="the quote's section in the callout")
    assert "“" in callout.text  # the verbatim quote, in quotation marks
    size = float(window.execute_script("return parseFloat(getComputedStyle(arguments[0]).fontSize)", callout))
    assert size >= 18  # large type, for the back of the room
    box = window.execute_script("return arguments[0].getBoundingClientRect().toJSON()", callout)
    width, height = window.execute_script("return [window.innerWidth, window.innerHeight]")
    assert not (box["left"] < width / 2 < box["right"] and box["top"] < height / 2 < box["bottom"])  # centre free
    DOCS.mkdir(exist_ok=True)
    window.save_screenshot(str(DOCS / "presenter-callout.png"))
    window.find_element(By.ID, "atlas-callout-close").click()
    wait_for(lambda: not window.find_element(By.ID, "atlas-callout").is_displayed(), what="the callout to close")
    click_a_point(window)
    wait_for(lambda: window.find_element(By.ID, "atlas-callout").is_displayed(), what="the callout again")
    press(window, Keys.PAGE_DOWN)
    wait_for(lambda: not window.find_element(By.ID, "atlas-callout").is_displayed(), what="a new step to close it")


def upload_story(browser, path: Path) -> None:
    browser.find_element(By.CSS_SELECTOR, "#atlas-story-upload input[type=file]").send_keys(str(path))


def test_an_uploaded_story_is_presented_step_by_step_with_the_keys(window, live_url, tmp_path) -> None:
    browser = window
    story = tmp_path / "hubs.yaml"
    story.write_text(OWN_STORY, encoding="utf-8")
    open_view(browser, live_url)
    upload_story(browser, story)
    wait_for(lambda: "Hubs and science" in text_of(browser, "atlas-story-status"), what="the story loaded")
    wait_for(lambda: browser.find_element(By.ID, "atlas-story-present").is_enabled(), what="the present button")
    browser.find_element(By.ID, "atlas-story-present").click()
    wait_for(lambda: "1 / 2" in text_of(browser, "atlas-story-counter"), what="the own story at step 1")
    wait_for(lambda: query(browser).get("layers") == "logistics_hubs", what="step 1's layers")
    assert query(browser).get("present") == "1"
    assert "national logistics hubs in Zhengzhou" in text_of(browser, "atlas-story-caption")
    wait_for(lambda: map_title(browser) == "The five logistics hubs", what="the step's title over the map")
    subtitle = browser.execute_script(f"return {GRAPH}._fullLayout.title.subtitle.text")
    assert "national logistics hubs in Zhengzhou" in subtitle and "section 2" in subtitle
    browser.save_screenshot(str(DOCS / "presenter-own-story.png"))
    assert not browser.find_element(By.ID, "atlas-step-counter").is_displayed()  # the bundled bar is hidden
    press(browser, Keys.PAGE_DOWN)
    wait_for(lambda: "2 / 2" in text_of(browser, "atlas-story-counter"), what="step 2 by PageDown")
    wait_for(lambda: query(browser).get("level") == "county", what="step 2's level")
    wait_for(lambda: map_title(browser) == "Hefei's science centre", what="step 2's title over the map")
    assert query(browser).get("provinces") == "340000" and query(browser).get("layers") == "innovation_centres"
    press(browser, Keys.PAGE_DOWN)  # the last step stays the last
    settled(browser)  # a clicker's presses come a moment apart
    assert "2 / 2" in text_of(browser, "atlas-story-counter")
    press(browser, Keys.PAGE_UP)
    wait_for(lambda: "1 / 2" in text_of(browser, "atlas-story-counter"), what="back to step 1 by PageUp")
    wait_for(lambda: query(browser).get("layers") == "logistics_hubs", what="step 1's layers again")
    press(browser, Keys.ESCAPE)
    wait_for(lambda: "present" not in query(browser), what="Escape to leave")


def test_a_bad_story_gets_a_message_and_the_bundled_story_still_works(browser, live_url, tmp_path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text(OWN_STORY.replace("level: county", "level: village"), encoding="utf-8")
    open_view(browser, live_url)
    upload_story(browser, bad)
    message = wait_for(lambda: text_of(browser, "atlas-story-status"), what="the message")
    assert "broken.yaml line" in message and "village" in message
    assert "Traceback" not in browser.page_source
    broken = tmp_path / "notyaml.yaml"
    broken.write_text("steps: [unclosed", encoding="utf-8")
    upload_story(browser, broken)
    wait_for(lambda: "not valid YAML" in text_of(browser, "atlas-story-status"), what="the YAML message")
    browser.find_element(By.ID, "atlas-present").click()
    steps = load_story().steps
    wait_for(lambda: f"1 / {len(steps)}" in text_of(browser, "atlas-step-counter"), what="the bundled story")
    press(browser, Keys.PAGE_DOWN)
    wait_for(lambda: query(browser).get("view") == steps[1].id, what="the bundled story's step 2")
    assert drawn(browser)
