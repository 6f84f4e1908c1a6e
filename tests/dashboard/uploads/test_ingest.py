"""Tests of reading a planner's file from the page into the store, with the user's messages."""

from __future__ import annotations

from dashboard.uploads import ingest
from dashboard.uploads.store import UploadStore


def test_ingest_stores_a_good_file_and_explains_a_bad_one(atlas, tmp_path) -> None:
    store = UploadStore(folder=tmp_path)
    upload_id, messages = ingest.ingest(
        b"name,lng,lat\nA,114.3,30.6\nB,121.47,31.23\n", filename="p.csv", lon=None, lat=None, crs=None, store=store
    )
    assert upload_id and store.load(upload_id).name == "p.csv"
    assert messages[0] == "p.csv: 2 rows, 2 drawn, 1 joined to the six provinces"
    bad_id, bad = ingest.ingest(b"a,b\n1,2\n", filename="q.csv", lon=None, lat=None, crs=None, store=store)
    assert bad_id is None and "no longitude column found" in bad[0]
    assert ingest.csv_columns(b"a,b\n1,2\n") == ["a", "b"]


def test_a_table_without_coordinates_is_sent_to_the_join_report(tmp_path) -> None:
    store = UploadStore(folder=tmp_path)
    upload_id, messages = ingest.ingest(
        "county,gdp\n江岸区,1\n".encode(), filename="t.csv", lon=None, lat=None, crs=None, store=store
    )
    assert upload_id is None and messages == [f"t.csv: {ingest.TABLE_HINT}"]
    assert not list(tmp_path.iterdir())  # nothing stored before the planner has seen the report
