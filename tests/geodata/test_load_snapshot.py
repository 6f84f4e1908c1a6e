"""Snapshots of the atlas and the indicators: equal to a fresh build, remade on a change, never read blindly."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pandas as pd
import pytest

from geodata import load as load_module
from geodata.load import Atlas, atlas_parts, build_atlas
from geodata.snapshot import package_stamp, prune, read_snapshot, snapshot_dir, write_snapshot

FRAMES = ("provinces", "prefectures", "counties", "context")


@pytest.fixture(scope="module")
def fresh() -> Atlas:
    return build_atlas(resolution="light")


def assert_same_atlas(got: Atlas, want: Atlas) -> None:
    assert got.resolution == want.resolution
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name), check_exact=True)
        assert getattr(got, name).crs == getattr(want, name).crs
    assert list(got.layers) == list(want.layers)
    for layer, frame in want.layers.items():
        pd.testing.assert_frame_equal(got.layers[layer], frame, check_exact=True)


def test_a_written_snapshot_reads_back_equal_to_a_fresh_build(fresh: Atlas, tmp_path: Path) -> None:
    path = tmp_path / "snap" / "atlas-light-x.pickle"
    assert write_snapshot(atlas_parts(fresh), path=path, name="atlas-light")
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    assert_same_atlas(Atlas(**read_snapshot(path)), fresh)


def test_load_atlas_writes_then_reads_the_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEODATA_SNAPSHOT_DIR", str(tmp_path))
    load = load_module.load_atlas.__wrapped__  # uncached: the process's shared atlas stays the one other tests hold
    first = load()
    assert len(list(tmp_path.glob("atlas-light-*.pickle"))) == 1
    monkeypatch.setattr(load_module, "build_atlas", lambda **_: pytest.fail("built again instead of read"))
    assert_same_atlas(load(), first)


def test_a_changed_package_file_gives_a_new_stamp(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("a\n1\n")
    before = package_stamp.__wrapped__(root=tmp_path)  # uncached: the stamp is taken once per process
    (tmp_path / "data.csv").write_text("a\n22\n")
    assert package_stamp.__wrapped__(root=tmp_path) != before


def test_a_damaged_snapshot_or_an_open_folder_is_not_read(fresh: Atlas, tmp_path: Path) -> None:
    damaged = tmp_path / "atlas-light-a.pickle"
    damaged.write_bytes(b"not a pickle")
    assert read_snapshot(damaged) is None
    shared = tmp_path / "shared"
    shared.mkdir()
    path = shared / "atlas-light-b.pickle"
    path.write_bytes(pickle.dumps({"resolution": "light"}))
    os.chmod(shared, 0o777)
    assert read_snapshot(path) is None


def test_snapshots_can_be_turned_off_and_old_ones_are_pruned(tmp_path: Path) -> None:
    assert snapshot_dir(environ={"GEODATA_SNAPSHOT_DIR": "off"}) is None
    assert snapshot_dir(environ={"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "central-region-atlas"
    for n in range(5):
        path = tmp_path / f"atlas-light-{n}.pickle"
        path.write_bytes(b"x")
        os.utime(path, ns=(n * 10**9, n * 10**9))
    prune(tmp_path, pattern="atlas-light-*.pickle", keep=2)
    assert sorted(p.name for p in tmp_path.glob("*.pickle")) == ["atlas-light-3.pickle", "atlas-light-4.pickle"]


def test_the_indicator_table_from_its_snapshot_equals_a_fresh_one(tmp_path: Path, monkeypatch) -> None:
    from geodata.indicators import load as indicators

    monkeypatch.setenv("GEODATA_SNAPSHOT_DIR", str(tmp_path))
    indicators._tidy.cache_clear()
    try:
        first = indicators.load_indicators()
        assert len(list(tmp_path.glob("indicators-*.pickle"))) == 1
        indicators._tidy.cache_clear()
        monkeypatch.setattr(indicators, "tidy", lambda _: pytest.fail("computed again instead of read"))
        pd.testing.assert_frame_equal(indicators.load_indicators(), first, check_exact=True)
    finally:
        indicators._tidy.cache_clear()
