"""The table upload from the page: report first, the planner's choice applied, classes, downloads, details."""

from __future__ import annotations

import base64
import io

import pandas as pd
import pytest
from dash import html

from dashboard.ui import details
from dashboard.ui import table_upload as ui
from dashboard.ui import upload_callbacks as cb
from dashboard.uploads.store import UploadStore
from dashboard.view.state import ViewState

TABLE = "county,gdp,jobs\n江岸区,120.5,10\nWuchang Distrct,80,7\n武昌区,5,1\n郊区,3,2\n"


def contents(text: str, mime: str = "text/csv") -> str:
    return f"data:{mime};base64," + base64.b64encode(text.encode()).decode()


def texts(component: object) -> str:
    """Every string inside a component tree."""
    if isinstance(component, str):
        return component
    if isinstance(component, list | tuple):
        return " ".join(texts(c) for c in component)
    children = getattr(component, "children", None)
    return texts(children) if children is not None else ""


def fix_dropdowns(component: object) -> list:
    found = []
    if isinstance(component, list | tuple):
        for c in component:
            found += fix_dropdowns(c)
        return found
    if isinstance(getattr(component, "id", None), dict) and component.id.get("type") == ui.FIX:
        return [component]
    children = getattr(component, "children", None)
    return fix_dropdowns(children) if children is not None else []


def test_a_table_gets_a_report_before_anything_is_drawn() -> None:
    report, hidden = cb.show_report(contents(TABLE), "gdp.csv")
    text = texts(report)
    assert not hidden and "matched 2 of 4 rows" in text and "Unmatched rows (2)" in text
    dropdowns = fix_dropdowns(report)
    assert [d.id["row"] for d in dropdowns] == [1, 3]
    assert dropdowns[0].options[0]["value"] == "420106"  # 武昌区, the misspelt row's closest name, first


def test_a_file_of_points_gets_no_report() -> None:
    assert cb.show_report(contents("name,lon,lat\nA,114.3,30.6\n"), "p.csv") == ([], True)


def test_accepting_a_candidate_stores_the_table_and_colours_by_its_first_number(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ATLAS_UPLOAD_DIR", str(tmp_path))
    rows = [{"type": ui.FIX, "row": 1}, {"type": ui.FIX, "row": 3}]
    result, report, status = cb.apply_table(contents(TABLE), "gdp.csv", ["420106", None], rows)
    assert result["measure"] == "sum" and result["measure_col"] == "gdp" and result["level"] == "county"
    assert "matched 3 of 4 rows" in texts(status) and "Accepted by you (1)" in texts(report)
    layer = UploadStore(folder=tmp_path).load(result["id"])
    assert layer.frame["county_adcode"].tolist()[:3] == ["420102", "420106", "420106"]
    assert layer.frame["county_adcode"].tolist()[3] is None  # 郊区: two counties, no province column, no guess
    assert list(layer.frame.columns[:3]) == ["county", "gdp", "jobs"]


def test_classes_and_legend_text_go_into_the_view() -> None:
    view = cb.with_classes(ViewState().to_dict(), method="user", breaks="10, 50", title="GDP", unit="亿元")
    state = ViewState.from_dict(view)
    assert (state.upload_classes, state.breaks, state.legend_title, state.legend_unit) == (
        "user",
        "10,50",
        "GDP",
        "亿元",
    )
    kept = cb.with_classes(view, method="user", breaks="10,abc", title="GDP", unit="")
    assert ViewState.from_dict(kept).breaks == "10,50"


def test_downloads_of_the_view_upload(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ATLAS_UPLOAD_DIR", str(tmp_path))
    rows = [{"type": ui.FIX, "row": 1}, {"type": ui.FIX, "row": 3}]
    result, _, _ = cb.apply_table(contents(TABLE), "gdp.csv", ["420106", "340711"], rows)
    view = ViewState(upload=result["id"], level="county").to_dict()
    sent = cb.download("units", view)
    assert sent["filename"] == "gdp-per-county.csv"
    table = pd.read_csv(io.BytesIO(base64.b64decode(sent["content"])), dtype={"adcode": str}, encoding="utf-8-sig")
    wuchang = table.set_index("adcode").loc["420106"]
    assert wuchang["count"] == 2 and wuchang["gdp_sum"] == 85 and wuchang["jobs_max"] == 7
    assert cb.download("csv", ViewState().to_dict()) is None


def test_a_unit_details_show_the_upload_there(atlas, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ATLAS_UPLOAD_DIR", str(tmp_path))
    store = UploadStore(folder=tmp_path)
    points = "name,jobs,lon,lat\n" + "".join(f"P{i},{i},114.30,30.60\n" for i in range(60))
    upload_id, _ = store.add(points.encode(), filename="p.csv")
    state = ViewState(upload=upload_id, select="420100", measure="sum", measure_col="jobs", upload_label="name")
    panel = details.details_panel(atlas, state, upload=store.load(upload_id))
    text = texts(panel)
    assert "p.csv (60)" in text and "1,770" in text and "P0" in text and "… and 10 more" in text
    items = [c for c in panel if isinstance(c, html.Ul) and c.className == "atlas-upload-list"]
    assert len(items[0].children) == details.SHOWN_UPLOADED


@pytest.mark.parametrize("bad", [b"\xff\xfe\x00garbage", b""])
def test_a_broken_table_is_one_message(bad: bytes) -> None:
    encoded = "data:text/csv;base64," + base64.b64encode(bad).decode()
    report, hidden = cb.show_report(encoded, "t.xlsx")
    assert hidden and len(report) <= 1
