"""The curated guideline layers: every quote verbatim and in its section, every fact sourced."""

from __future__ import annotations

import re

import pytest

from geodata._paths import GUIDELINE_DIR
from geodata.layers import LAYER_IDS, read_table

GUIDELINE = (GUIDELINE_DIR / "guideline-part1.txt").read_text(encoding="utf-8")


def sections() -> dict[str, str]:
    """The guideline text split at its numbered headings ("1. Development Objectives", ...)."""
    parts = re.split(r"^(\d)\. [A-Z].*$", GUIDELINE, flags=re.MULTILINE)
    return {number: body for number, body in zip(parts[1::2], parts[2::2], strict=True)}


def quoted_rows() -> list[tuple[str, str, str]]:
    """(feature_id, quote, section) for every quote of every curated file."""
    rows = []
    for name in ("points.csv", "zones.csv"):
        for _, row in read_table(GUIDELINE_DIR / name).iterrows():
            rows.append((row["feature_id"], row["quote"], row["section"]))
    for _, row in read_table(GUIDELINE_DIR / "province_roles.csv").iterrows():
        rows.append((row["feature_id"], row["quote_sectors"], row["section_sectors"]))
        rows.append((row["feature_id"], row["quote_strategy"], row["section_strategy"]))
    return rows


def test_the_guideline_has_three_numbered_sections() -> None:
    assert list(sections()) == ["1", "2", "3"]


@pytest.mark.parametrize(("feature_id", "quote", "section"), quoted_rows())
def test_quote_is_verbatim_and_in_its_section(feature_id: str, quote: str, section: str) -> None:
    assert quote.strip(), feature_id
    assert quote in sections()[section], f"{feature_id}: quote not found in section {section}"


@pytest.mark.parametrize("name", ["points.csv", "zones.csv"])
def test_every_feature_is_sourced_and_approximations_are_explained(name: str) -> None:
    table = read_table(GUIDELINE_DIR / name)
    assert table["feature_id"].is_unique
    assert set(table["layer"]) <= set(LAYER_IDS)
    for _, row in table.iterrows():
        assert len(row["source"]) > 20, row["feature_id"]
        assert row["approximate"] in ("true", "false"), row["feature_id"]
        if row["approximate"] == "true":
            assert len(row["approx_note"]) > 20, row["feature_id"]


def test_points_say_what_site_they_mark() -> None:
    for _, row in read_table(GUIDELINE_DIR / "points.csv").iterrows():
        assert row["site"], row["feature_id"]
        assert 108 < float(row["lon"]) < 120 and 24 < float(row["lat"]) < 41, row["feature_id"]


def test_the_guideline_places_named_in_the_brief_are_all_present(atlas) -> None:
    by_layer = {layer: frame for layer, frame in atlas.layers.items()}
    hub_cities = set(by_layer["logistics_hubs"]["prefecture_adcode"])
    assert hub_cities == {"410100", "430100", "140100", "420500", "360700"}  # Zhengzhou ... Ganzhou
    tiers = by_layer["central_cities"].set_index("prefecture_adcode")["tier"].to_dict()
    assert {code for code, tier in tiers.items() if tier == "national"} == {"420100", "410100"}
    assert {code for code, tier in tiers.items() if tier == "regional"} == {"430100", "340100", "360100", "140100"}
    assert len(by_layer["metro_circles"]) == 5
    assert len(by_layer["river_corridors"]) == 4
    assert len(by_layer["urban_agglomerations"]) == 2
    assert len(by_layer["revolutionary_base_areas"]) == 2
    assert set(by_layer["province_roles"]["province_adcode"]) == {
        "140000", "340000", "360000", "410000", "420000", "430000"
    }  # fmt: skip
    assert "610500" in by_layer["transfer_zones"].set_index("feature_id").at["tz-jinshanyu-golden-triangle", "members"]
