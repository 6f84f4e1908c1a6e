"""A planner's layer comes back whole: every column in downloads, per-unit figures equal to a direct groupby."""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from dashboard.export import datasets
from dashboard.uploads.store import UploadStore
from geodata.join import __main__ as join_cli
from geodata.load import read_boundaries

#: Text, numbers, dates, Chinese, a quoted comma, an empty cell; coordinates in WGS84 (the last row is Shanghai).
PARKS = (
    "park,sector,investment,year,opened,备注,lon,lat\n"
    "光谷,光电子,120.5,2019,2019-03-01,国家级,114.40,30.50\n"
    'B Park,auto,300,2020,2020-12-31,"a, b",113.62,34.75\n'
    "C,chem,7.25,2021,2021-01-01,,121.47,31.23\n"
)
UNIT_COLUMNS = [
    f"{level}_{key}" for level in ("province", "prefecture", "county") for key in ("adcode", "name_en", "name_zh")
]


@pytest.fixture
def stored(tmp_path):
    store = UploadStore(folder=tmp_path)
    upload_id, _ = store.add(PARKS.encode(), filename="parks.csv")
    return store.load(upload_id)  # as every later request sees it: read back from the store


def original() -> pd.DataFrame:
    return pd.read_csv(io.StringIO(PARKS), dtype=str, keep_default_na=False)


def test_csv_keeps_every_column_unchanged_then_the_units(stored) -> None:
    back = pd.read_csv(io.BytesIO(datasets.layer_csv_bytes(stored)), dtype=str, keep_default_na=False,
                       encoding="utf-8-sig")  # fmt: skip
    columns = list(original().columns)
    assert list(back.columns) == [*columns, *UNIT_COLUMNS, "outside_central"]
    pd.testing.assert_frame_equal(back[columns], original())
    assert back["county_name_zh"].tolist()[:2] == ["洪山区", "中原区"] and back["outside_central"].tolist()[2] == "true"


@pytest.mark.parametrize("kind", ["geojson", "gpkg"])
def test_geo_downloads_keep_every_column(stored, kind: str) -> None:
    data = datasets.layer_geojson_bytes(stored) if kind == "geojson" else datasets.layer_gpkg_bytes(stored)
    back = pyogrio.read_dataframe(io.BytesIO(data), datetime_as_string=True)
    columns = list(original().columns)
    assert list(back.columns) == [*columns, *UNIT_COLUMNS, "outside_central", "geometry"]
    assert back["opened"].tolist() == ["2019-03-01", "2020-12-31", "2021-01-01"]
    assert back["备注"].tolist()[:2] == ["国家级", "a, b"] and back["investment"].tolist() == [120.5, 300, 7.25]
    assert back["prefecture_adcode"].tolist()[:2] == ["420100", "410100"]


def test_formula_cells_are_neutralised_and_numbers_kept(tmp_path) -> None:
    store = UploadStore(folder=tmp_path)
    upload_id, _ = store.add(b"name,n,lon,lat\n=HYPERLINK(1),-3,114.3,30.6\n", filename="x.csv")
    text = datasets.layer_csv_bytes(store.load(upload_id)).decode("utf-8-sig")
    assert "'=HYPERLINK(1),-3," in text


def random_points(n: int, *, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"id": np.arange(n), "value": rng.integers(0, 1000, n),
         "lon": rng.uniform(108.4, 119.8, n).round(6), "lat": rng.uniform(24.5, 40.8, n).round(6)}
    )  # fmt: skip


def test_per_unit_table_equals_a_direct_geopandas_groupby(tmp_path) -> None:
    table = random_points(3000, seed=3)
    store = UploadStore(folder=tmp_path)
    upload_id, _ = store.add(table.to_csv(index=False).encode(), filename="p.csv")
    got = datasets.per_unit_table(store.load(upload_id), level="prefecture").set_index("adcode")
    prefectures = read_boundaries(level="prefecture", resolution="detail")
    points = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table.lon, table.lat), crs=4326)
    joined = gpd.sjoin(points, prefectures[prefectures["is_central"]][["adcode", "geometry"]], predicate="within")
    expected = joined.groupby("adcode")["value"].agg(["size", "sum", "mean", "min", "max"])
    assert len(expected) > 50
    assert got.loc[expected.index, "count"].tolist() == expected["size"].tolist()
    for stat in ("sum", "mean", "min", "max"):
        np.testing.assert_allclose(got.loc[expected.index, f"value_{stat}"], expected[stat])
    empty = got.index.difference(expected.index)
    assert (got.loc[empty, "count"] == 0).all() and got.loc[empty, "value_sum"].isna().all()
    assert {"name_en", "name_zh"} <= set(got.columns)


def test_the_page_assigns_the_same_units_as_the_join_cli(tmp_path) -> None:
    table = random_points(4000, seed=11)
    source = tmp_path / "points.csv"
    table.to_csv(source, index=False)
    assert join_cli.main([str(source), "-o", str(tmp_path / "cli.csv"), "--level", "county"]) == 0
    cli = pd.read_csv(tmp_path / "cli.csv", dtype=str, keep_default_na=False)
    store = UploadStore(folder=tmp_path / "store")
    upload_id, _ = store.add(source.read_bytes(), filename="points.csv")
    page = store.load(upload_id).frame
    assert page["county_adcode"].fillna("").tolist() == cli["county_adcode"].tolist()
