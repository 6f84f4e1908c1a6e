"""The curated guideline layers: every quote verbatim and in its section, every fact sourced, every point in WGS84."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import yaml
from pyproj import Geod

from geodata import GeodataError, crs, guideline_points
from geodata._paths import GUIDELINE_DIR, PACKAGE_DIR
from geodata.guideline_text import chinese_lines, document, english_sections, quotes_zh, unmarked
from geodata.layers import LAYER_IDS, read_table

STORIES = PACKAGE_DIR.parent / "dashboard" / "stories"
GEOD = Geod(ellps="WGS84")
GCJ02_POINTS = {"hub-taiyuan", "city-taiyuan", "hub-ganzhou"}  # the audit's GCJ-02 points still at their seats


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


def story_captions() -> list[tuple[str, str, str]]:
    """(story/step, English caption, section) for every step of every bundled story."""
    rows = []
    for path in sorted(STORIES.glob("*.yaml")):
        for step in yaml.safe_load(path.read_text(encoding="utf-8"))["steps"]:
            rows.append((f"{path.stem}/{step['id']}", step["caption"]["en"], str(step["section"])))
    return rows


def test_the_guideline_has_three_numbered_sections() -> None:
    assert list(english_sections()) == ["1", "2", "3"]


@pytest.mark.parametrize(("feature_id", "quote", "section"), quoted_rows() + story_captions())
def test_quote_is_verbatim_and_in_its_section(feature_id: str, quote: str, section: str) -> None:
    assert quote.strip(), feature_id
    assert unmarked(quote) in english_sections()[section], f"{feature_id}: quote not found in section {section}"


def test_the_translations_typo_is_marked_wherever_it_is_quoted() -> None:
    quotes = [quote for _, quote, _ in quoted_rows() + story_captions()]
    assert any("Heifei [sic]" in quote for quote in quotes)  # the story's step 5 and the metropolitan circles
    assert not any(re.search(r"Heifei(?! \[sic\])", quote) for quote in quotes)


def test_unmarked_removes_only_the_editorial_mark() -> None:
    assert unmarked("Zhengzhou, Heifei [sic] city") == "Zhengzhou, Heifei city"
    assert unmarked("Hefei [sic] and [sic]") == "Hefei and"


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


# --- coordinates: recorded in their source datum, converted at build time --------------------------------------


def points() -> pd.DataFrame:
    return read_table(GUIDELINE_DIR / "points.csv").set_index("feature_id")


def _parse_coordinate(text: str) -> tuple[float, float]:
    """(lon, lat) from a coordinate as a source writes it: D°M′S″N D°M′S″E, D° M′ N, D° M′ O, or decimals."""
    decimal = re.fullmatch(r"latitude ([\d.]+), longitude ([\d.]+)", text)
    if decimal:
        return float(decimal[2]), float(decimal[1])
    parts = re.findall(r"(\d+)°\s*(\d+)′\s*(?:(\d+)″)?\s*([NEO])", text)
    values = {hemisphere: int(d) + int(m) / 60 + int(s or 0) / 3600 for d, m, s, hemisphere in parts}
    return values.get("E", values.get("O")), values["N"]


def test_every_point_records_its_source_coordinate_datum_and_where_it_comes_from() -> None:
    for feature_id, row in points().iterrows():
        assert row["src_datum"] in guideline_points.DATUMS, feature_id
        assert len(row["src_coord_source"]) > 20, feature_id
        lon, lat = _parse_coordinate(row["src_coord"])
        assert abs(lon - float(row["src_lon"])) < 1e-6 and abs(lat - float(row["src_lat"])) < 1e-6, feature_id
        assert 108 < lon < 120 and 24 < lat < 41, feature_id


def test_the_audited_gcj02_coordinates_are_recorded_as_gcj02() -> None:
    table = points()
    assert set(table.index[table["src_datum"] == "GCJ-02"]) == GCJ02_POINTS
    assert table.at["inno-zhuzhou-rail", "src_datum"] != "GCJ-02"  # moved off the GCJ-02 government seat


def test_each_built_point_is_its_source_coordinate_after_conversion(atlas) -> None:
    table = points()
    built = atlas.features[atlas.features.geom_type == "Point"].set_index("feature_id").geometry
    assert set(built.index) == set(table.index)
    for feature_id, row in table.iterrows():
        lon, lat = built[feature_id].x, built[feature_id].y
        src_lon, src_lat = float(row["src_lon"]), float(row["src_lat"])
        if row["src_datum"] == "GCJ-02":  # the forward formula must give back the source coordinate
            fwd_lon, fwd_lat = crs.wgs84_to_gcj02(np.array([lon]), np.array([lat]))
            assert abs(fwd_lon[0] - src_lon) < 2e-6 and abs(fwd_lat[0] - src_lat) < 2e-6, feature_id
            assert 400 < GEOD.inv(lon, lat, src_lon, src_lat)[2] < 800, feature_id  # the offset was removed
        else:
            assert (lon, lat) == (src_lon, src_lat), feature_id


def test_the_committed_wgs84_points_are_what_the_build_writes() -> None:
    committed = (GUIDELINE_DIR / guideline_points.DERIVED).read_text(encoding="utf-8")
    assert guideline_points.render(read_table(GUIDELINE_DIR / "points.csv")) == committed


def test_a_stale_or_bad_datum_is_refused(tmp_path) -> None:
    table = read_table(GUIDELINE_DIR / "points.csv")
    (tmp_path / guideline_points.DERIVED).write_text(guideline_points.render(table), encoding="utf-8")
    moved = table.copy()
    moved.loc[moved.index[0], "src_lon"] = "113.5"
    with pytest.raises(GeodataError, match=r"out of date.*geodata\.build"):
        guideline_points.with_wgs84(moved, folder=tmp_path)
    moved.loc[moved.index[0], "src_datum"] = "BD-09"
    with pytest.raises(GeodataError, match="line 2: src_datum must be one of"):
        guideline_points.to_wgs84(moved)


def test_facility_stand_ins_say_where_the_facility_is_and_claim_no_district() -> None:
    table = points()
    assert set(table["site_kind"]) <= {"city", "facility_at_city", "facility_district"}
    at_city = table[table["site_kind"] == "facility_at_city"]
    assert set(at_city.index) == {
        "inno-hefei-science-centre", "inno-wuhan-optoelectronics", "inno-luoyang-agrimachinery", "fin-zce",
    }  # fmt: skip
    for feature_id, row in at_city.iterrows():
        assert row["approximate"] == "true" and "city reference point, NOT" in row["site"], feature_id
        assert re.search(r"\d+(\.\d+)?(-\d+)? km", row["approx_note"]), feature_id  # how far the facility is
        assert "is not" in row["approx_note"] or "not necessarily" in row["approx_note"], feature_id
    assert "3.8 km" in table.at["fin-zce", "approx_note"]


def test_the_zhuzhou_centre_sits_in_the_district_of_the_rail_cluster(atlas) -> None:
    row = atlas.features.set_index("feature_id").loc["inno-zhuzhou-rail"]
    assert row["county_adcode"] == "430204"  # Shifeng District (Tianxin), no longer the Tianyuan government seat
    assert row["approximate"]


def test_points_say_what_site_they_mark() -> None:
    for feature_id, row in points().iterrows():
        assert row["site"] and row["site_kind"], feature_id


# --- features the brief names ----------------------------------------------------------------------------------


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


def test_the_energy_revolution_pilot_covers_shanxi_with_its_own_quote(atlas) -> None:
    zones = atlas.layers["reform_zones"].set_index("feature_id")
    pilot = zones.loc["rz-shanxi-energy-revolution"]
    assert pilot["members"] == ["140000"] and pilot["section"] == "2"
    assert pilot["quote"] == "conduct reform pilot programs to work out energy revolution"
    assert pilot.geometry.equals(atlas.provinces.set_index("adcode").geometry["140000"])


def _area_km2(geometry) -> float:
    return abs(GEOD.geometry_area_perimeter(geometry)[0]) / 1e6


def test_the_wuhan_and_changzhutan_circles_match_their_plans_and_are_not_approximate(atlas) -> None:
    circles = atlas.layers["metro_circles"].set_index("feature_id")
    wuhan = circles.loc["mc-wuhan"]
    one_plus_eight = {"420100", "420200", "420700", "420900", "421100", "421200", "429004", "429005", "429006"}
    assert set(wuhan["members"]) == one_plus_eight and not wuhan["approximate"]
    assert abs(_area_km2(wuhan.geometry) - 57_946) < 0.01 * 57_946
    changzhutan = circles.loc["mc-changzhutan"]
    assert abs(_area_km2(changzhutan.geometry) - 18_900) < 0.01 * 18_900  # the 2022 plan's 1.89万 km2
    assert not changzhutan["approximate"]
    assert circles.loc[["mc-zhengzhou", "mc-hefei"], "approximate"].all()  # no plan text found for these


# --- the Chinese text of the document ----------------------------------------------------------------------------


def test_the_document_record_gives_its_chinese_title_and_kind() -> None:
    record = document()
    body, _ = chinese_lines()
    assert record["title_zh"]["text"] == "中共中央 国务院关于新时代推动中部地区高质量发展的意见"
    assert record["title_zh"]["text"] in body
    assert record["kind_zh"]["text"] == "意见" and record["title_zh"]["text"].endswith("意见")
    assert "指导意见" not in record["title_zh"]["text"]


def test_the_chinese_objectives_are_verbatim_from_the_source() -> None:
    record = document()
    body, summaries = chinese_lines()
    for key in ("objectives_2025_zh", "objectives_2035_zh"):
        assert record[key]["text"] in body and record[key]["section"] == "1", key
    assert record["objectives_2025_zh"]["text"].startswith("到2025年")
    assert "常住人口城镇化率年均提高1个百分点以上" in record["objectives_2025_zh"]["text"]  # section 1's 1 point a year
    for key in ("section_2_title_zh", "section_3_title_zh"):
        assert any(record[key]["text"] in line for line in summaries), key
    for row in record.values():
        assert row["source"], row["key"]


def test_every_quote_has_a_chinese_record_and_chinese_quotes_are_verbatim() -> None:
    body, summaries = chinese_lines()
    table = quotes_zh()
    expected = {(feature_id, field) for feature_id, field in _quote_fields()}
    assert set(zip(table["feature_id"], table["quote_field"], strict=True)) == expected
    for row in table.itertuples():
        if row.quote_zh:  # where a Chinese source covers the passage, it is quoted verbatim with its source
            assert row.quote_zh_source and any(row.quote_zh in line for line in body), row.feature_id
        assert row.item_zh and any(row.item_zh in line for line in summaries), row.feature_id


def _quote_fields() -> list[tuple[str, str]]:
    fields = []
    for name in ("points.csv", "zones.csv"):
        fields += [(feature_id, "quote") for feature_id in read_table(GUIDELINE_DIR / name)["feature_id"]]
    for feature_id in read_table(GUIDELINE_DIR / "province_roles.csv")["feature_id"]:
        fields += [(feature_id, "quote_sectors"), (feature_id, "quote_strategy")]
    return fields
