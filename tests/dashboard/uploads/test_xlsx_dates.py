"""An uploaded XLSX table comes back as the planner typed it: dates as dates, date-times kept, text and numbers."""

from __future__ import annotations

import datetime
import io
import json

import pandas as pd
import pyogrio
import pytest
from openpyxl import Workbook

from dashboard.export import datasets
from dashboard.uploads.ingest import date_text, match_upload, shows_time, store_table
from dashboard.uploads.store import UploadStore

DATE, DATE_TIME = "yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss"
#: (cell value, number format) per column, and the text the planner sees in Excel (what must come back).
ROWS = [
    {
        "unit": ("武汉市", None, "武汉市"),
        "opened": (datetime.date(2021, 3, 5), DATE, "2021-03-05"),
        "checked": (datetime.datetime(2021, 3, 5, 14, 30, 15), DATE_TIME, "2021-03-05 14:30:15"),
        "备注": ("国家级，光电子", None, "国家级，光电子"),
        "jobs": (1200, None, "1200"),
    },
    {
        "unit": ("郑州市", None, "郑州市"),
        "opened": (datetime.datetime(2020, 12, 31), DATE, "2020-12-31"),  # Excel keeps a date as a midnight datetime
        "checked": (datetime.datetime(2022, 1, 1), DATE_TIME, "2022-01-01 00:00:00"),  # midnight typed with its time
        "备注": ("text 2021-03-05 00:00:00", None, "text 2021-03-05 00:00:00"),  # text that looks like one stays
        "jobs": (12.5, None, "12.5"),
    },
    {
        "unit": ("合肥市", None, "合肥市"),
        "opened": (datetime.datetime(2019, 7, 1, 9, 0), DATE, "2019-07-01"),  # shown as a date: the date
        "checked": ("2020-12-31", None, "2020-12-31"),  # a date typed as text
        "备注": (None, None, ""),
        "jobs": (0, None, "0"),
    },
]
COLUMNS = list(ROWS[0])


def workbook() -> bytes:
    """The planner's table made with openpyxl: number formats set as Excel sets them when a date is typed."""
    book = Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    for r, row in enumerate(ROWS, start=2):
        for c, column in enumerate(COLUMNS, start=1):
            value, number_format, _ = row[column]
            cell = sheet.cell(row=r, column=c, value=value)
            if number_format:
                cell.number_format = number_format
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def typed() -> pd.DataFrame:
    return pd.DataFrame([{column: row[column][2] for column in COLUMNS} for row in ROWS])


@pytest.fixture
def stored(tmp_path):
    content = workbook()
    match = match_upload(content, filename="parks.xlsx")
    store = UploadStore(folder=tmp_path)
    upload_id, _ = store_table(match, filename="parks.xlsx", store=store)
    return store.load(upload_id)


def test_the_csv_download_holds_every_cell_as_typed(stored) -> None:
    back = pd.read_csv(io.BytesIO(datasets.layer_csv_bytes(stored)), dtype=str, keep_default_na=False,
                       encoding="utf-8-sig")  # fmt: skip
    pd.testing.assert_frame_equal(back[COLUMNS], typed())
    assert back["prefecture_adcode"].tolist() == ["420100", "410100", "340100"]


def test_the_geojson_download_holds_every_cell_as_typed(stored) -> None:
    features = json.loads(datasets.layer_geojson_bytes(stored))["features"]
    for feature, row in zip(features, typed().to_dict("records"), strict=True):
        props = feature["properties"]
        assert [props[c] for c in ("unit", "opened", "checked")] == [row["unit"], row["opened"], row["checked"]]
        assert (props["备注"] or "") == row["备注"] and props["jobs"] == float(row["jobs"])


def test_the_geopackage_download_holds_every_cell_as_typed(stored) -> None:
    back = pyogrio.read_dataframe(io.BytesIO(datasets.layer_gpkg_bytes(stored)), datetime_as_string=True)
    assert back["opened"].tolist() == typed()["opened"].tolist()
    assert back["checked"].tolist() == typed()["checked"].tolist()
    assert back["备注"].fillna("").tolist() == typed()["备注"].tolist() and back["jobs"].tolist() == [1200, 12.5, 0]


def test_which_formats_show_a_time() -> None:
    assert not shows_time("yyyy-mm-dd") and not shows_time("m/d/yy") and not shows_time('yyyy"年"m"月"d"日"')
    assert shows_time("yyyy-mm-dd h:mm:ss") and shows_time("m/d/yy h:mm") and shows_time("[$-409]h:mm AM/PM")
    assert not shows_time("[Red]yyyy-mm-dd")  # a colour, not a code
    assert date_text(datetime.time(8, 15), number_format="h:mm") == "08:15:00"


def test_a_stored_point_layer_keeps_a_date_time_as_written(tmp_path) -> None:
    store = UploadStore(folder=tmp_path)
    csv = "name,checked,lon,lat\nA,2021-03-05 14:30:15,114.3,30.6\nB,2020-12-31,113.62,34.75\n"
    upload_id, _ = store.add(csv.encode(), filename="p.csv")
    text = datasets.layer_csv_bytes(store.load(upload_id)).decode("utf-8-sig")
    assert "A,2021-03-05 14:30:15," in text and "B,2020-12-31," in text  # never 2021-03-05T14:30:15
