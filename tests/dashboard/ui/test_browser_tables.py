"""A planner's county table in a real browser: join report, an accepted candidate, the choropleth, the download."""

from __future__ import annotations

import csv
import functools
import time

import pytest
from selenium.webdriver.common.by import By

from tests.dashboard.ui.waits import wait_for

pytestmark = pytest.mark.browser

GRAPH = "document.querySelector('#atlas-map .js-plotly-plot')"

UNITS = f"{GRAPH}._fullData.find(t => t.meta && t.meta.role === 'units')"
COLORBAR_TEXT = "return [...document.querySelectorAll('.colorbar text')].map(e => e.textContent)"


wait_for = functools.partial(wait_for, timeout=30.0)  # this page's callbacks take longer


def open_view(browser, base: str, query: str = "") -> None:
    browser.get(f"{base}/{query}")
    wait_for(lambda: browser.execute_script(f"return {GRAPH} && {GRAPH}._fullData.length"), what="the map")
    time.sleep(0.5)  # let the last callbacks settle


def test_a_county_table_by_name_is_reported_accepted_drawn_and_downloaded(browser, live_url, tmp_path) -> None:
    table = tmp_path / "gdp.csv"
    table.write_text("county,gdp\n江岸区,120\nWuchang Distrct,80\n洪山区,50\n", encoding="utf-8")
    browser.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    open_view(browser, live_url, "?layers=logistics_hubs")
    browser.find_element(By.CSS_SELECTOR, "#atlas-upload input[type=file]").send_keys(str(table))
    report = browser.find_element(By.ID, "atlas-table-report")
    wait_for(lambda: "matched 2 of 3 rows" in report.text, what="the join report")
    assert "Wuchang Distrct" in report.text and "武昌区 Wuchang District" in report.text  # its candidate
    assert "upload=" not in browser.current_url  # nothing drawn before the planner has seen the report
    browser.find_element(By.CSS_SELECTOR, "#atlas-table-report button").click()  # accept the suggestion
    time.sleep(0.5)
    browser.find_element(By.ID, "atlas-table-apply").click()
    wait_for(lambda: "matched 3 of 3 rows" in browser.find_element(By.ID, "atlas-table-apply-status").text,
             what="the table stored with the accepted row")  # fmt: skip
    wait_for(lambda: "level=county" in browser.current_url and "measure_col=gdp" in browser.current_url, what="URL")
    wait_for(lambda: browser.execute_script(f"return {UNITS}.showscale"), what="the choropleth")
    bar = browser.execute_script(f"return {UNITS}.colorbar")
    assert bar["title"]["text"] == "Sum of gdp" and "No data" in bar["ticktext"]
    assert {"50", "80", "120"} <= set(bar["ticktext"])  # three values: one class each, integers
    legend_text = browser.execute_script(COLORBAR_TEXT)
    assert "Sum of gdp" in legend_text and "120" in legend_text  # drawn on screen, not only in the data
    browser.find_element(By.CSS_SELECTOR, "button[id*='units'][id*='atlas-table-download-button']").click()
    saved = tmp_path / "gdp-per-county.csv"
    wait_for(saved.exists, what="the per-unit table download")
    with saved.open(encoding="utf-8-sig") as handle:
        rows = {row["adcode"]: row for row in csv.DictReader(handle)}
    assert rows["420106"]["name_zh"] == "武昌区" and float(rows["420106"]["gdp_sum"]) == 80
    assert rows["420102"]["count"] == "1" and float(rows["420111"]["gdp_sum"]) == 50  # 江岸区, 洪山区
    assert rows["140105"]["count"] == "0" and rows["140105"]["gdp_sum"] == ""  # a county with no row: no data
