"""The running app in a real headless Chromium: offline, clickable, shareable, drawn."""

from __future__ import annotations

import io
import json
from urllib.parse import urlparse

import numpy as np
import pytest
from PIL import Image
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.dashboard.ui.waits import wait_for

pytestmark = pytest.mark.browser

GRAPH = "document.querySelector('#atlas-map .js-plotly-plot')"


#: True once Dash has no callback running or queued.
CALLBACKS_IDLE = """
const s = window.store && window.store.getState();
if (!s) return false;
const queues = s.callbacks || {};
const busy = ["requested", "prioritized", "blocked", "executing", "watched", "executed"].some(
  (name) => (queues[name] || []).length
);
return !s.isLoading && !busy;
"""


def settled(browser, *, timeout: float = 20.0) -> None:
    """Wait until every callback the last action started has finished."""
    wait_for(lambda: browser.execute_script(CALLBACKS_IDLE), timeout=timeout, what="the callbacks to finish")


def legend(browser) -> list[str]:
    return browser.execute_script(
        "return [...document.querySelectorAll('g.legend .traces .legendtext')].map(e => e.textContent)"
    )


def layer_entries(browser) -> list[str]:
    """The legend's entries of guideline layers (not the physical context), wrapped lines joined."""
    return browser.execute_script(
        f"return {GRAPH}._fullData.filter(t => t.visible === true && t.showlegend"
        " && ['zones', 'points', 'outline'].includes((t.meta || {}).role)).map(t => t.name.replace(/<br>/g, ' '))"
    )


def lon_range(browser) -> list[float]:
    return browser.execute_script(f"return {GRAPH}._fullLayout.geo.lonaxis.range")


def open_view(browser, base: str, query: str = "") -> None:
    browser.get(f"{base}/{query}")
    wait_for(lambda: legend(browser), what="the map legend")
    settled(browser)


def checkbox(browser, value: str):
    return browser.find_element(By.CSS_SELECTOR, f"input[type=checkbox][value='{value}']")


def drain_logs(browser) -> None:
    browser.get_log("browser")
    browser.get_log("performance")


def test_page_loads_with_no_console_error_and_no_outside_request(browser, live_url) -> None:
    drain_logs(browser)
    open_view(browser, live_url)
    assert [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"] == []
    hosts, paths = set(), set()
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = urlparse(message["params"]["request"]["url"])
            if url.scheme in ("http", "https", "ws", "wss"):
                hosts.add(url.netloc)
                paths.add(url.path)
    assert hosts == {urlparse(live_url).netloc}
    # the map draws no base layer: atlas.js registers an empty base topology instead of Plotly's 110 KB download
    assert not any(path.endswith("world_110m.json") for path in paths)
    assert sorted(layer_entries(browser)) == sorted(
        ["Industrial transfer demonstration zones", "Industrial transfer demonstration zones (approx.)",
         "Innovation centres", "National logistics hubs"]
    )  # fmt: skip


def test_toggling_a_layer_changes_what_is_drawn_and_the_url(browser, live_url) -> None:
    open_view(browser, live_url)
    before = browser.execute_script(f"return {GRAPH}.data.filter(t => t.visible !== false).length")
    checkbox(browser, "metro_circles").click()
    wait_for(lambda: "Metropolitan circles" in legend(browser), what="the metro circles in the legend")
    after = browser.execute_script(f"return {GRAPH}.data.filter(t => t.visible !== false).length")
    assert after > before
    assert "metro_circles" in browser.current_url
    checkbox(browser, "logistics_hubs").click()
    wait_for(lambda: "National logistics hubs" not in legend(browser), what="the hubs to leave the legend")
    assert "logistics_hubs" not in urlparse(browser.current_url).query


def test_choosing_a_province_fits_the_map_to_it(browser, live_url) -> None:
    open_view(browser, live_url)
    full = lon_range(browser)
    open_view(browser, live_url, "?provinces=420000")
    hubei = lon_range(browser)
    assert hubei[1] - hubei[0] < 0.7 * (full[1] - full[0])
    assert hubei[0] < 108.4 and hubei[1] > 116.1  # Hubei spans about 108.3-116.1 E
    assert checkbox(browser, "420000").is_selected() and not checkbox(browser, "430000").is_selected()
    checkbox(browser, "430000").click()  # add Hunan: the map widens to both
    wait_for(lambda: lon_range(browser)[0] < hubei[0] or lon_range(browser)[1] > hubei[1], what="the refit")
    assert "provinces=420000%2C430000" in browser.current_url or "provinces=420000,430000" in browser.current_url


def test_clicking_a_point_opens_its_details_with_the_quote(browser, live_url) -> None:
    open_view(browser, live_url, "?layers=logistics_hubs&labels=0")
    assert len(browser.find_elements(By.CSS_SELECTOR, ".scattergeo .point")) == 5

    def clicked_details() -> str:
        # A busy machine can redraw the map between finding a point and clicking it: click again until it answers.
        text = browser.find_element(By.ID, "atlas-details").text
        if "national logistics hubs in Zhengzhou" in text:
            return text
        ActionChains(browser).move_to_element(
            browser.find_elements(By.CSS_SELECTOR, ".scattergeo .point")[0]
        ).click().perform()
        return ""

    details = wait_for(clicked_details, what="the details panel")
    assert "Guideline section 2" in details and "select=hub-" in browser.current_url


def test_the_url_restores_the_view_and_back_steps_through_changes(browser, live_url) -> None:
    open_view(
        browser, live_url, "?layers=central_cities&provinces=340000,360000&level=county&lang=zh&select=city-hefei"
    )
    assert checkbox(browser, "central_cities").is_selected() and not checkbox(browser, "transfer_zones").is_selected()
    assert "中心城市" in legend(browser)
    assert "合肥" in browser.find_element(By.ID, "atlas-details").text
    title = browser.execute_script(f"return {GRAPH}._fullLayout.title.text")
    assert "安徽、江西" in title and "县级" in title
    shared = browser.current_url
    checkbox(browser, "metro_circles").click()
    wait_for(lambda: "metro_circles" in browser.current_url, what="the URL to follow the toggle")
    browser.back()
    wait_for(lambda: not checkbox(browser, "metro_circles").is_selected(), what="back to undo the toggle")
    assert browser.current_url == shared
    browser.refresh()
    wait_for(lambda: legend(browser), what="the reloaded map")
    assert "都市圈" not in legend(browser) and "中心城市" in legend(browser)


def test_a_tampered_url_shows_a_notice_not_an_error(browser, live_url) -> None:
    open_view(browser, live_url, "?layers=logistics_hubs,<script>&level=street&provinces=999999&x=1")
    notice = browser.find_element(By.ID, "atlas-notice").text
    assert "<script>" in notice and "level=street" in notice and "x=1" in notice
    assert layer_entries(browser) == ["National logistics hubs"]
    assert checkbox(browser, "logistics_hubs").is_selected()


def test_search_zooms_to_a_place_and_opens_it(browser, live_url) -> None:
    open_view(browser, live_url)
    full = lon_range(browser)
    browser.find_element(By.ID, "atlas-search").click()
    box = wait_for(lambda: browser.find_element(By.CSS_SELECTOR, ".dash-dropdown-search"), what="the search box")
    box.send_keys("luan")
    wait_for(lambda: "Lu'an" in browser.find_element(By.CSS_SELECTOR, ".dash-dropdown-options").text, what="Lu'an")
    box.send_keys(Keys.ENTER)
    wait_for(lambda: "select=341500" in browser.current_url, what="the selection in the URL")
    wait_for(lambda: lon_range(browser)[1] - lon_range(browser)[0] < 0.5 * (full[1] - full[0]), what="the zoom")
    assert "六安" in browser.find_element(By.ID, "atlas-details").text


def test_language_switch_translates_controls_and_map(browser, live_url) -> None:
    open_view(browser, live_url)
    page_lang = "return [document.documentElement.lang, document.getElementById('atlas-root').lang]"
    assert browser.execute_script(page_lang) == ["en", "en"]
    browser.find_element(By.CSS_SELECTOR, "input[type=radio][value='zh']").click()
    wait_for(lambda: "国家物流枢纽" in legend(browser), what="Chinese legend")
    assert "重置视图" in browser.find_element(By.ID, "atlas-reset").text
    assert "lang=zh" in browser.current_url
    labels = browser.execute_script(
        "return [...document.querySelectorAll('.scattergeo text')].map(e => e.textContent).filter(Boolean)"
    )
    assert "郑州市" in labels
    # the page's language follows the drawn map (screen readers; Chromium picks the simplified Han forms)
    wait_for(lambda: browser.execute_script(page_lang) == ["zh-Hans", "zh-Hans"], what="the page's language")


def test_screenshot_shows_a_drawn_map(browser, live_url, tmp_path) -> None:
    open_view(browser, live_url, "?layers=transfer_zones,metro_circles,central_cities")
    graph = browser.find_element(By.ID, "atlas-map")
    shot = tmp_path / "atlas.png"
    browser.save_screenshot(str(shot))
    image = Image.open(io.BytesIO(shot.read_bytes())).convert("RGB")
    scale = image.width / browser.execute_script("return window.innerWidth")
    rect = graph.rect
    box = tuple(int(v * scale) for v in (rect["x"], rect["y"], rect["x"] + rect["width"], rect["y"] + rect["height"]))
    pixels = np.asarray(image.crop(box)).reshape(-1, 3).astype(int)
    colours, counts = np.unique(pixels, axis=0, return_counts=True)
    background = colours[counts.argmax()]
    drawn = (np.abs(pixels - background).sum(axis=1) > 30).mean()
    assert drawn > 0.2  # land, zones and boundaries cover much of the panel
    r, g, b = pixels.T
    assert ((r > 180) & (g < 120) & (b < 120)).sum() > 50  # central-city markers and metro circle outlines


def map_title(browser) -> str:
    return browser.execute_script(f"return {GRAPH}._fullLayout.title.text")


def press(browser, key: str) -> None:
    ActionChains(browser).send_keys(key).perform()


def test_presenter_mode_hides_the_controls_and_keys_step_through_the_story(browser, live_url) -> None:
    open_view(browser, live_url, "?present=1&view=provinces")
    assert not browser.find_element(By.CSS_SELECTOR, ".atlas-controls").is_displayed()
    assert not browser.find_element(By.ID, "atlas-details").is_displayed()
    assert not [bar for bar in browser.find_elements(By.CSS_SELECTOR, ".modebar") if bar.is_displayed()]
    assert map_title(browser) == "Six provinces and their roles"
    for key, step, title in [
        (Keys.ARROW_RIGHT, "logistics", "Logistics hubs and finance"),
        (Keys.PAGE_DOWN, "innovation", "Innovation centres"),
        (Keys.PAGE_UP, "logistics", "Logistics hubs and finance"),
    ]:
        press(browser, key)
        wait_for(lambda step=step: f"view={step}" in browser.current_url, what=f"step {step}")
        wait_for(lambda title=title: map_title(browser) == title, what=f"the title {title!r}")
    browser.find_element(By.ID, "atlas-step-next").click()
    wait_for(lambda: "view=innovation" in browser.current_url, what="the Next button")
    assert "3 / 7" in browser.find_element(By.ID, "atlas-step-counter").text
    press(browser, "c")
    wait_for(lambda: browser.find_element(By.CSS_SELECTOR, ".atlas-controls").is_displayed(), what="controls on C")
    press(browser, "c")
    wait_for(lambda: not browser.find_element(By.CSS_SELECTOR, ".atlas-controls").is_displayed(), what="controls off")
    press(browser, Keys.ESCAPE)
    wait_for(lambda: "present=1" not in browser.current_url, what="Escape to leave presenter mode")
    wait_for(lambda: browser.find_element(By.CSS_SELECTOR, ".atlas-controls").is_displayed(), what="the normal page")


def test_every_step_url_opens_that_step(browser, live_url) -> None:
    from dashboard.view.stories import load_story

    for step in load_story().steps:
        open_view(browser, live_url, f"?present=1&view={step.id}&lang=zh")
        wait_for(lambda step=step: map_title(browser) == step.title["zh"], what=f"step {step.id}")
        shown = {name.split(":")[0].replace(" (approx.)", "").replace("（近似）", "") for name in legend(browser)}
        assert len(shown) >= 1
        assert (
            f"{[s.id for s in load_story().steps].index(step.id) + 1} / 7"
            in browser.find_element(By.ID, "atlas-step-counter").text
        )


def test_the_export_link_downloads_the_view_as_shown(browser, live_url) -> None:
    from urllib.request import urlopen

    open_view(browser, live_url, "?layers=central_cities&lang=zh")
    browser.find_element(By.CSS_SELECTOR, "input[type=radio][value='svg']").click()
    link = browser.find_element(By.ID, "atlas-export-link")
    wait_for(lambda: ".svg?" in (link.get_attribute("href") or ""), what="the SVG link")
    assert link.get_attribute("download").endswith(".svg")
    assert "lang=zh" in link.get_attribute("href") and "layers=central_cities" in link.get_attribute("href")
    with urlopen(link.get_attribute("href"), timeout=120) as response:
        assert response.status == 200
        svg = response.read().decode("utf-8")
    assert svg.lstrip().startswith("<svg") and "中心城市" in svg and "武汉市" in svg


def test_a_planner_uploads_a_file_sees_it_joined_and_counted(browser, live_url, tmp_path) -> None:
    good = tmp_path / "parks.csv"
    good.write_text("name,lng,lat,jobs\nA,114.30,30.60,10\nB,114.31,30.61,30\nC,113.62,34.75,5\n", encoding="utf-8")
    bad = tmp_path / "broken.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    open_view(browser, live_url, "?layers=logistics_hubs")
    before = legend(browser)
    browser.find_element(By.CSS_SELECTOR, "#atlas-upload input[type=file]").send_keys(str(bad))
    wait_for(lambda: "no longitude column found" in browser.find_element(By.ID, "atlas-upload-status").text, what="msg")
    assert legend(browser) == before and "upload=" not in browser.current_url  # nothing on screen was lost
    browser.find_element(By.CSS_SELECTOR, "#atlas-upload input[type=file]").send_keys(str(good))
    wait_for(lambda: "parks.csv (3)" in legend(browser), what="the uploaded layer in the legend")
    assert "National logistics hubs" in legend(browser)
    assert "3 joined to the six provinces" in browser.find_element(By.ID, "atlas-upload-status").text
    wait_for(lambda: "upload=" in browser.current_url and "measure=count" in browser.current_url, what="the URL")
    units = f"{GRAPH}._fullData.find(t => t.meta && t.meta.role === 'units')"
    wait_for(lambda: browser.execute_script(f"return {units}.showscale"), what="units coloured by count")
    browser.find_element(By.CSS_SELECTOR, "#atlas-upload-show input[type=checkbox]").click()  # hide the points
    wait_for(lambda: "parks.csv (3)" not in legend(browser), what="the upload's toggle")
    assert "upload_show=0" in browser.current_url
    browser.find_element(By.CSS_SELECTOR, "#atlas-upload-show input[type=checkbox]").click()
    wait_for(lambda: "parks.csv (3)" in legend(browser), what="the upload shown again")
    shared = browser.current_url
    open_view(browser, live_url, "?layers=logistics_hubs")
    browser.get(shared)  # the shared view brings the upload back
    wait_for(lambda: "parks.csv (3)" in legend(browser), what="the upload restored from the URL")
