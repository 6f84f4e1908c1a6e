"""A planner's county table in a real browser: join report, an accepted candidate, the choropleth, the download."""

from __future__ import annotations

import csv
import functools
from urllib.parse import parse_qs, urlparse

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.dashboard.ui.waits import settled, wait_for

pytestmark = pytest.mark.browser

GRAPH = "document.querySelector('#atlas-map .js-plotly-plot')"

UNITS = f"{GRAPH}._fullData.find(t => t.meta && t.meta.role === 'units')"
COLORBAR_TEXT = "return [...document.querySelectorAll('.colorbar text')].map(e => e.textContent)"


wait_for = functools.partial(wait_for, timeout=30.0)  # this page's callbacks take longer


def open_view(browser, base: str, query: str = "") -> None:
    browser.get(f"{base}/{query}")
    wait_for(lambda: browser.execute_script(f"return {GRAPH} && {GRAPH}._fullData.length"), what="the map")
    settled(browser)


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

    def chosen() -> str:
        value = "#atlas-table-report [id*='atlas-table-fix'] .dash-dropdown-value"
        return " ".join(e.get_attribute("textContent") for e in browser.find_elements(By.CSS_SELECTOR, value))

    assert "武昌区" not in chosen()  # nothing is chosen for the planner
    browser.find_element(By.CSS_SELECTOR, "#atlas-table-report button").click()  # accept the suggestion
    wait_for(lambda: "武昌区" in chosen(), what="the accepted candidate in the row's choice")
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


#: Seven districts of Wuhan with a planner's figure each (the values spread over the classes the test sets).
WUHAN = {"江岸区": 120, "江汉区": 95, "硚口区": 60, "汉阳区": 45, "武昌区": 80, "青山区": 30, "洪山区": 50}
CLASSED = f"{UNITS}.colorbar"


def legend_state(browser) -> dict:
    """What the choropleth shows: its classes (z per unit), colours, legend entries and title, as drawn."""
    script = f"const u = {UNITS}; return u && u.showscale ? " + (
        "{z: Array.from(u.z), locations: Array.from(u.locations), colorscale: u.colorscale,"
        " ticktext: u.colorbar.ticktext, title: u.colorbar.title.text} : null"
    )
    return browser.execute_script(script)


def query(browser) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(browser.current_url).query).items()}


def type_into(browser, element_id: str, text: str) -> None:
    """Type into a debounced input and commit it with Enter, as a planner does."""
    box = browser.find_element(By.ID, element_id)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
    box.clear()
    box.send_keys(text, Keys.ENTER)


def choose(browser, element_id: str, label: str) -> None:
    """Pick an option of a dropdown by typing its label."""
    control = browser.find_element(By.ID, element_id)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", control)
    control.click()
    box = wait_for(lambda: browser.find_element(By.CSS_SELECTOR, ".dash-dropdown-search"), what="the search box")
    box.send_keys(label)
    wait_for(lambda: label in browser.find_element(By.CSS_SELECTOR, ".dash-dropdown-options").text, what=label)
    box.send_keys(Keys.ENTER)


def test_the_class_controls_write_the_url_and_a_copied_link_restores_classes_and_legend(browser, live_url) -> None:
    import pandas as pd

    from dashboard.uploads.store import UploadStore
    from geodata.tables import match_table

    table = pd.DataFrame({"county": list(WUHAN), "gdp": [str(v) for v in WUHAN.values()]})
    upload_id, _ = UploadStore.from_env().add_table(match_table(table, level="county"), filename="gdp.csv")
    browser.get(f"{live_url}/?upload={upload_id}&level=county&measure=sum&measure_col=gdp")
    first = wait_for(lambda: legend_state(browser), what="the choropleth")
    assert first["title"] == "Sum of gdp"
    choose(browser, "atlas-table-classes", "My breaks")
    type_into(browser, "atlas-table-breaks", "40,70,100")
    type_into(browser, "atlas-table-title", "GDP of the districts")
    type_into(browser, "atlas-table-unit", "100M yuan")
    wanted = {"upload_classes": "user", "breaks": "40,70,100", "legend_title": "GDP of the districts",
              "legend_unit": "100M yuan"}  # fmt: skip
    wait_for(lambda: all(query(browser).get(k) == v for k, v in wanted.items()), what=f"the URL to carry {wanted}")
    classed = wait_for(
        lambda: (s := legend_state(browser)) and s["title"] == "GDP of the districts (100M yuan)" and s,
        what="the legend with the planner's title and unit",
    )
    assert [t for t in classed["ticktext"] if t != "No data"] == ["30–40", "41–70", "71–100", "101–120"]
    z = dict(zip(classed["locations"], classed["z"], strict=True))
    assert z["420107"] == 0 and z["420111"] == 1 and z["420106"] == 2 and z["420102"] == 3  # 青山 洪山 武昌 江岸
    link = browser.current_url
    opener = browser.current_window_handle
    browser.switch_to.new_window("tab")  # the copied link, opened in a fresh page
    try:
        browser.get(link)
        again = wait_for(lambda: legend_state(browser), what="the choropleth in the fresh page")
        assert again == classed
        controls = {name: f"atlas-table-{name}" for name in ("breaks", "title", "unit")}
        refilled = wait_for(
            lambda: (
                (v := {k: browser.find_element(By.ID, i).get_attribute("value") for k, i in controls.items()})
                and v["breaks"]
                and v
            ),
            what="the class controls refilled from the link",
        )
        assert refilled == {"breaks": "40,70,100", "title": "GDP of the districts", "unit": "100M yuan"}
        assert "My breaks" in browser.find_element(By.ID, "atlas-table-classes").text
    finally:
        browser.close()
        browser.switch_to.window(opener)
