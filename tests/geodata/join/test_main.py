"""The join command line: sums and means per unit, zipped Shapefiles, outputs that never clobber, atomic writes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geodata.join.__main__ import main
from geodata.join.units import Units, atlas_units

REPO = Path(__file__).resolve().parents[3]
WUHAN, JIANGAN, ZHENGZHOU = (114.30, 30.60), "420102", (113.62, 34.75)


@pytest.fixture(scope="module")
def units() -> Units:
    return atlas_units()


def run_cli(capsys: pytest.CaptureFixture, *args: object) -> tuple[int, str, str]:
    code = main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    return code, out, err


def read_text(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def parks(path: Path, units: Units, *, count: int = 300) -> Path:
    """Random parks over Hubei with an investment (some empty) and a number of jobs."""
    rng = np.random.default_rng(41)
    x0, y0, x1, y1 = units.counties[units.counties["province_adcode"] == "420000"].total_bounds
    investment = [f"{value:.1f}" if value > 10 else "" for value in rng.uniform(0, 100, count)]
    frame = pd.DataFrame(
        {
            "park": [f"park {i}" for i in range(count)],
            "lon": rng.uniform(x0, x1, count),
            "lat": rng.uniform(y0, y1, count),
            "investment": investment,
            "jobs": rng.integers(0, 500, count),
        }
    )
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("level", ["county", "prefecture"])
def test_sum_and_mean_per_unit_equal_a_groupby_of_the_joined_rows(
    tmp_path: Path, units: Units, capsys: pytest.CaptureFixture, level: str
) -> None:
    source = parks(tmp_path / "parks.csv", units)
    output, counts = tmp_path / "out.csv", tmp_path / "counts.csv"
    options = ["--sum", "investment", "--sum", "jobs", "--mean", "investment", "--chunk-rows", "70"]
    code, _, err = run_cli(capsys, source, "-o", output, "--counts", counts, "--level", level, *options)
    assert code == 0, err
    joined = pd.read_csv(output, dtype={f"{level}_adcode": str}, keep_default_na=False, na_values={"investment": ""})
    table = pd.read_csv(counts, dtype={"adcode": str}, keep_default_na=False, na_values=[""]).fillna({"adcode": ""})
    assert list(table.columns) == [
        "adcode",
        "name_en",
        "name_zh",
        "count",
        "investment_sum",
        "jobs_sum",
        "investment_mean",
    ]
    grouped = joined.groupby(f"{level}_adcode")
    for column, expected in (
        ("investment_sum", grouped["investment"].sum()),
        ("jobs_sum", grouped["jobs"].sum()),
        ("investment_mean", grouped["investment"].mean()),
        ("count", grouped.size()),
    ):
        found = table.set_index("adcode")[column]
        observed = expected.reindex(found.index)
        if column.endswith("_mean"):
            np.testing.assert_allclose(found.dropna(), observed.dropna(), rtol=1e-12)
            assert found.isna().equals(observed.isna())
        else:
            np.testing.assert_allclose(found, observed.fillna(0), rtol=1e-12)
    assert table["count"].sum() == 300


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--sum", "jobs"), "--sum and --mean go into the counts table: add --counts FILE"),
        (("--counts", "c.csv", "--mean", "salary"), "no column 'salary' to add up; the columns are park, investment"),
        (("--counts", "c.csv", "--sum", "park"), "'park' has a cell that is not a number at line 2"),
    ],
)
def test_bad_sums_are_one_line_errors(
    tmp_path: Path, units: Units, capsys: pytest.CaptureFixture, options: tuple, message: str
) -> None:
    source = parks(tmp_path / "parks.csv", units, count=5)
    args = [str(tmp_path / option) if option.endswith(".csv") else option for option in options]
    code, _, err = run_cli(capsys, source, "-o", tmp_path / "out.csv", *args)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == ["parks.csv"]


def shapefile_zip(path: Path, frame: gpd.GeoDataFrame, *, copies: int = 1) -> Path:
    folder = path.parent / "shape"
    folder.mkdir()
    frame.to_file(folder / "parks.shp")
    with zipfile.ZipFile(path, "w") as archive:
        for copy in range(copies):
            for member in sorted(folder.iterdir()):
                archive.write(member, f"data/{copy}/{member.name}")
    return path


def test_a_zipped_shapefile_is_joined_by_its_own_crs(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    frame = gpd.GeoDataFrame(
        {"name": ["Wuhan", "Zhengzhou", "sea"]},
        geometry=[shapely.Point(WUHAN), shapely.Point(ZHENGZHOU), shapely.Point(125.0, 30.0)],
        crs=4326,
    ).to_crs(3857)
    source = shapefile_zip(tmp_path / "parks.zip", frame)
    code, out, err = run_cli(capsys, source, "-o", tmp_path / "out.csv", "--counts", tmp_path / "counts.csv")
    assert code == 0, err
    result = read_text(tmp_path / "out.csv")
    assert result["prefecture_adcode"].tolist() == ["420100", "410100", ""]
    assert result["county_adcode"][0] == JIANGAN
    assert result["county_adcode"][1].startswith("4101")
    assert list(result.columns[:2]) == ["name", "geometry"]
    assert "3 rows, 2 in the six provinces, 1 outside" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [("two", "the zip must hold exactly one .shp file, it holds 2"), (b"not a zip", "not a readable zip file")],
)
def test_zips_that_hold_no_single_shapefile_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture, content: object, message: str
) -> None:
    source = tmp_path / "parks.zip"
    if content == "two":
        frame = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(WUHAN)], crs=4326)
        shapefile_zip(source, frame, copies=2)
    else:
        source.write_bytes(content)
    code, _, err = run_cli(capsys, source, "-o", tmp_path / "out.csv")
    assert code == 2
    assert message in err
    assert err.count("\n") == 1


def small_input(tmp_path: Path) -> Path:
    source = tmp_path / "in.csv"
    source.write_text(f"lon,lat\n{WUHAN[0]},{WUHAN[1]}\n", encoding="utf-8")
    return source


@pytest.mark.parametrize(
    ("paths", "message"),
    [
        (("in.csv", None), "would overwrite the input"),
        (("out.csv", "in.csv"), "--counts would overwrite the input"),
        (("out.csv", "out.csv"), "--counts and -o name the same file"),
        (("link.csv", None), "would overwrite the input"),
        (("out.csv", "./sub/../out.csv"), "--counts and -o name the same file"),
    ],
)
def test_no_output_may_be_the_input_or_the_other_output(
    tmp_path: Path, capsys: pytest.CaptureFixture, paths: tuple, message: str
) -> None:
    source = small_input(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.csv").symlink_to(source)
    before = source.read_bytes()
    output, counts = paths
    args = ["-o", tmp_path / output] + (["--counts", tmp_path / counts] if counts else [])
    code, _, err = run_cli(capsys, source, *args)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1
    assert source.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.csv", "link.csv", "sub"]


def test_a_folder_given_as_input_is_named_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code, _, err = run_cli(capsys, tmp_path, "-o", tmp_path / "out.csv")
    assert code == 2
    assert f"{tmp_path}: is a folder; give the file to join" in err
    assert "no such file" not in err


def test_a_run_that_fails_midway_leaves_the_old_output_and_no_partial_file(
    tmp_path: Path, units: Units, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geodata.join import output as output_module

    source = parks(tmp_path / "parks.csv", units)
    output, counts = tmp_path / "out.csv", tmp_path / "counts.csv"
    output.write_text("the previous result\n", encoding="utf-8")
    written = []
    original = output_module.Sink.write

    def write_then_fail(self: output_module.Sink, payload: bytes) -> None:
        original(self, payload)
        written.append(len(payload))
        if len(written) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(output_module.Sink, "write", write_then_fail)
    with pytest.raises(KeyboardInterrupt):
        main([str(source), "-o", str(output), "--counts", str(counts), "--chunk-rows", "50"])
    assert output.read_text(encoding="utf-8") == "the previous result\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.csv", "parks.csv"]


def test_a_terminated_run_leaves_no_file_behind(tmp_path: Path) -> None:
    rows = 1_500_000
    source = tmp_path / "big.csv"
    rng = np.random.default_rng(3)
    pd.DataFrame({"lon": rng.uniform(108, 120, rows), "lat": rng.uniform(24, 41, rows)}).to_csv(source, index=False)
    output = tmp_path / "out.csv"
    command = [sys.executable, "-m", "geodata.join", source, "-o", output, "--chunk-rows", "20000"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    partial = tmp_path / ".out.csv.partial"
    deadline = time.monotonic() + 120
    while not (partial.exists() and partial.stat().st_size > 0) and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGTERM)
    assert process.wait(timeout=60) == 128 + signal.SIGTERM
    assert sorted(path.name for path in tmp_path.iterdir()) == ["big.csv"]
