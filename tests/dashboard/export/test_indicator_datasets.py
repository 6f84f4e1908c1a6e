"""The data download with an indicator on: the provinces shown, their values or no data, and every source column."""

from __future__ import annotations

import csv
import io

from dashboard.export import datasets
from dashboard.view.state import ViewState


def test_the_csv_gives_each_chosen_province_with_its_value_and_sources(atlas) -> None:
    state = ViewState(
        layers=(), provinces=("410000", "420000"), indicator="urbanization_rate", year=2024,
        variant="year_end_first_published",
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(datasets.to_csv_bytes(datasets.features_in_view(atlas, state)).decode())))
    by_code = {row["province_adcodes"]: row for row in rows}
    assert set(by_code) == {"410000", "420000"}  # only the chosen provinces
    henan, hubei = by_code["410000"], by_code["420000"]
    assert henan["indicator_value"] == "" and henan["indicator_class"] == "No data"  # no 2024 rate for Henan
    assert hubei["indicator_value"] and hubei["source_title"] and hubei["excerpt"] and hubei["source_where"]
    assert hubei["cross_checked"] in ("true", "false") and hubei["indicator_unit"] == "percent"
    assert {row["layer"] for row in rows} == {"indicator"}


def test_without_an_indicator_the_columns_stay_as_they_were(atlas) -> None:
    frame = datasets.features_in_view(atlas, ViewState(layers=("logistics_hubs",)))
    assert list(frame.columns) == [*datasets.COLUMNS, "geometry"]
