"""The Indicators control in a real headless Chromium: choose, move the year, reload, and a screenshot of the panel."""

from __future__ import annotations

import functools
import io
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from PIL import Image
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.dashboard.ui.waits import wait_for

pytestmark = pytest.mark.browser

GRAPH = "document.querySelector('#atlas-map .js-plotly-plot')"
REPO = Path(__file__).resolve().parents[3]


wait_for = functools.partial(wait_for, timeout=30.0)  # this page's callbacks take longer


def legend(browser) -> list[str]:
    return browser.execute_script(
        "return [...document.querySelectorAll('g.legend .legendtext, g.legend .legendgrouptitle text')]"
        ".map(e => e.textContent)"
    )


def fills(browser) -> dict[str, str]:
    """adcode -> fill colour of every province the indicator traces colour, as drawn by plotly."""
    return browser.execute_script(
        f"""const out = {{}};
        for (const t of {GRAPH}._fullData) {{
          if (!t.meta || t.meta.role !== 'indicator_class' || t.visible !== true) continue;
          for (const code of t.locations) out[code] = t.colorscale[0][1];
        }}
        return out;"""
    )


def targets_text(browser) -> str:
    return browser.find_element(By.ID, "atlas-ind-targets").text


def province_text(browser) -> str:
    return browser.find_element(By.ID, "atlas-ind-province").text


def query(browser) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(browser.current_url).query).items()}


def choose_indicator(browser, label: str) -> None:
    browser.find_element(By.ID, "atlas-ind-indicator").click()
    box = wait_for(lambda: browser.find_element(By.CSS_SELECTOR, ".dash-dropdown-search"), what="the search box")
    box.send_keys(label)
    wait_for(lambda: label in browser.find_element(By.CSS_SELECTOR, ".dash-dropdown-options").text, what=label)
    box.send_keys(Keys.ENTER)


def test_choosing_an_indicator_and_moving_the_year_recolours_the_map_and_survives_a_reload(browser, live_url) -> None:
    browser.get(f"{live_url}/")
    wait_for(lambda: legend(browser), what="the map legend")
    assert fills(browser) == {}
    choose_indicator(browser, "Urbanization rate")
    wait_for(lambda: query(browser).get("indicator") == "urbanization_rate", what="the indicator in the URL")
    wait_for(lambda: any("Urbanization rate (%), 2024" in text for text in legend(browser)), what="the legend")
    assert "No data" in legend(browser)  # Henan has no 2024 year-end rate
    first = wait_for(lambda: fills(browser), what="the coloured provinces")
    assert "410000" not in first and len(first) == 5
    panel = wait_for(lambda: "· 2024" in targets_text(browser) and targets_text(browser), what="the 2024 panel")
    assert "Anhui: on track" in panel

    marks = browser.find_elements(By.CSS_SELECTOR, "#atlas-ind-year .dash-slider-mark")
    assert [m.text for m in marks] == ["2019", "2021", "2022", "2023", "2024"]  # only years with values
    ActionChains(browser).move_to_element(marks[1]).click().perform()  # the slider jumps to 2021
    wait_for(lambda: query(browser).get("year") == "2021", what="the year in the URL")
    wait_for(lambda: any("Urbanization rate (%), 2021" in text for text in legend(browser)), what="the 2021 legend")
    moved = wait_for(lambda: fills(browser) != first and fills(browser), what="the recoloured map")
    assert "420000" not in moved  # Hubei has no 2021 year-end rate
    wait_for(lambda: "· 2021" in targets_text(browser), what="the panel as of 2021")
    assert "Anhui: not enough data" in targets_text(browser)  # 2021 is the first post-census year: no base yet

    province = browser.find_element(By.ID, "atlas-ind-province")
    assert province.text == ""
    browser.get(f"{browser.current_url}&select=410000")  # Henan, as a click on the map selects it
    wait_for(lambda: "56.45%" in province_text(browser), what="Henan's 2021 value with its source")
    assert "Cross-checked" in province_text(browser) and "Source" in province_text(browser)
    browser.back()

    shared = browser.current_url
    browser.refresh()
    wait_for(lambda: any("Urbanization rate (%), 2021" in text for text in legend(browser)), what="the reloaded map")
    assert fills(browser) == moved and "· 2021" in targets_text(browser)
    assert browser.current_url == shared

    browser.find_element(By.ID, "atlas-ind-play").click()  # play: 2021 -> 2022 -> ...
    wait_for(lambda: query(browser).get("year") == "2022", what="the year to advance")
    browser.find_element(By.ID, "atlas-ind-play").click()  # pause
    time.sleep(2)  # the player steps every 1.5 s: the assertion is that nothing happens for a while
    paused = query(browser).get("year")
    time.sleep(2)
    assert query(browser).get("year") == paused
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_screenshot_of_the_targets_panel(browser, live_url) -> None:
    browser.get(f"{live_url}/?indicator=rd_intensity&year=2024&variant=as_first_published&layers=&labels=0")
    wait_for(lambda: "· 2024" in targets_text(browser), what="the targets panel")
    panel = browser.find_element(By.ID, "atlas-ind-targets")
    wait_for(
        lambda: len(panel.find_elements(By.CSS_SELECTOR, ".atlas-trend .scatterlayer .trace")) >= 13, what="trends"
    )
    browser.execute_script("arguments[0].style.maxHeight = 'none'", panel)
    ActionChains(browser).move_to_element(panel).perform()
    time.sleep(0.5)
    png = panel.screenshot_as_png
    image = Image.open(io.BytesIO(png))
    assert image.width > 500 and image.height > 300
    (REPO / "docs").mkdir(exist_ok=True)
    (REPO / "docs" / "targets-panel.png").write_bytes(png)
