"""Uploads on disk: server-chosen ids, expiry, nothing taken from the user as a path."""

from __future__ import annotations

import json

import pytest

from dashboard.uploads.store import UploadMissing, UploadStore
from geodata.userdata import read_user_file


def test_save_then_load_round_trips(atlas, tmp_path) -> None:
    store = UploadStore(folder=tmp_path)
    layer = read_user_file(b"name,lng,lat,n\nA,114.3,30.6,4\n", filename="../../etc/passwd.csv", atlas=atlas)
    upload_id = store.save(layer)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{upload_id}.geojson", f"{upload_id}.json"]
    again = store.load(upload_id)
    assert again.name == "passwd.csv" and again.numeric_columns == ["n"]
    assert list(again.frame["prefecture_adcode"]) == ["420100"]


@pytest.mark.parametrize("bad", ["../../etc/passwd", "short", "a" * 16 + "/x", ""])
def test_ids_that_are_not_ours_are_refused(tmp_path, bad: str) -> None:
    with pytest.raises(UploadMissing):
        UploadStore(folder=tmp_path).load(bad)


def test_expired_uploads_are_refused_and_removed(atlas, tmp_path) -> None:
    store = UploadStore(folder=tmp_path, ttl_s=60)
    upload_id = store.save(read_user_file(b"lng,lat\n114.3,30.6\n", filename="a.csv", atlas=atlas))
    meta = tmp_path / f"{upload_id}.json"
    info = json.loads(meta.read_text())
    meta.write_text(json.dumps({**info, "saved": info["saved"] - 3600}))
    with pytest.raises(UploadMissing, match="expired"):
        store.load(upload_id)
    assert store.expire() == 1 and not meta.exists()
