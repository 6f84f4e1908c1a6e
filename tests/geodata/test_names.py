"""English names: the hand-checked table and the pinyin fallback."""

from __future__ import annotations

import csv

import pytest

from geodata.names import NAMES_CSV, english_name, romanize

PROVINCES = {
    "110000",
    "120000",
    "130000",
    "140000",
    "150000",
    "210000",
    "220000",
    "230000",
    "310000",
    "320000",
    "330000",
    "340000",
    "350000",
    "360000",
    "370000",
    "410000",
    "420000",
    "430000",
    "440000",
    "450000",
    "460000",
    "500000",
    "510000",
    "520000",
    "530000",
    "540000",
    "610000",
    "620000",
    "630000",
    "640000",
    "650000",
    "710000",
    "810000",
    "820000",
}
CENTRAL_PREFECTURES = {
    # Shanxi
    "140100",
    "140200",
    "140300",
    "140400",
    "140500",
    "140600",
    "140700",
    "140800",
    "140900",
    "141000",
    "141100",
    # Anhui
    "340100",
    "340200",
    "340300",
    "340400",
    "340500",
    "340600",
    "340700",
    "340800",
    "341000",
    "341100",
    "341200",
    "341300",
    "341500",
    "341600",
    "341700",
    "341800",
    # Jiangxi
    "360100",
    "360200",
    "360300",
    "360400",
    "360500",
    "360600",
    "360700",
    "360800",
    "360900",
    "361000",
    "361100",
    # Henan
    "410100",
    "410200",
    "410300",
    "410400",
    "410500",
    "410600",
    "410700",
    "410800",
    "410900",
    "411000",
    "411100",
    "411200",
    "411300",
    "411400",
    "411500",
    "411600",
    "411700",
    "419001",
    # Hubei
    "420100",
    "420200",
    "420300",
    "420500",
    "420600",
    "420700",
    "420800",
    "420900",
    "421000",
    "421100",
    "421200",
    "421300",
    "422800",
    "429004",
    "429005",
    "429006",
    "429021",
    # Hunan
    "430100",
    "430200",
    "430300",
    "430400",
    "430500",
    "430600",
    "430700",
    "430800",
    "430900",
    "431000",
    "431100",
    "431200",
    "431300",
    "433100",
}


def _rows() -> list[dict[str, str]]:
    with NAMES_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_table_covers_provinces_central_prefectures_and_weinan():
    assert len(CENTRAL_PREFECTURES) == 87
    listed = {row["adcode"] for row in _rows()}
    assert PROVINCES | CENTRAL_PREFECTURES | {"610500"} <= listed


def test_table_has_unique_adcodes_and_no_empty_names():
    rows = _rows()
    adcodes = [row["adcode"] for row in rows]
    assert len(adcodes) == len(set(adcodes))
    for row in rows:
        assert len(row["adcode"]) == 6 and row["adcode"].isdigit(), row
        assert row["name_zh"].strip() and row["name_en"].strip(), row
        assert row["name_en"] == row["name_en"].strip(), row


def test_prefecture_level_cities_have_no_city_suffix():
    rows = {row["adcode"]: row for row in _rows()}
    for adcode in CENTRAL_PREFECTURES:
        if rows[adcode]["name_zh"].endswith("市"):
            assert not rows[adcode]["name_en"].endswith("City"), rows[adcode]


@pytest.mark.parametrize(
    ("adcode", "name_zh", "expected"),
    [
        ("341500", "六安市", "Lu'an"),
        ("340300", "蚌埠市", "Bengbu"),
        ("430100", "长沙市", "Changsha"),
        ("430800", "张家界市", "Zhangjiajie"),
        ("431200", "怀化市", "Huaihua"),
        ("141100", "吕梁市", "Lüliang"),
        ("433100", "湘西土家族苗族自治州", "Xiangxi Tujia and Miao Autonomous Prefecture"),
        ("422800", "恩施土家族苗族自治州", "Enshi Tujia and Miao Autonomous Prefecture"),
        ("429021", "神农架林区", "Shennongjia Forestry District"),
        ("419001", "济源市", "Jiyuan"),
        ("429004", "仙桃市", "Xiantao"),
        ("610500", "渭南市", "Weinan"),
        ("140000", "山西省", "Shanxi"),
        ("610000", "陕西省", "Shaanxi"),
        ("150000", "内蒙古自治区", "Inner Mongolia"),
        ("540000", "西藏自治区", "Tibet"),
        ("810000", "香港特别行政区", "Hong Kong"),
        ("820000", "澳门特别行政区", "Macao"),
        ("110000", "北京市", "Beijing"),
    ],
)
def test_hand_checked_names(adcode, name_zh, expected):
    assert english_name(adcode=adcode, name_zh=name_zh) == expected


@pytest.mark.parametrize(
    ("adcode", "name_zh", "expected"),
    [
        ("141024", "洪洞县", "Hongtong County"),
        ("340121", "长丰县", "Changfeng County"),
        ("340303", "蚌山区", "Bengshan District"),
        ("341621", "涡阳县", "Guoyang County"),
        ("360730", "宁都县", "Ningdu County"),
        ("410621", "浚县", "Xun County"),
        ("410923", "南乐县", "Nanle County"),
        ("411104", "召陵区", "Shaoling District"),
        ("420528", "长阳土家族自治县", "Changyang Tujia Autonomous County"),
        ("421303", "曾都区", "Zengdu District"),
        ("140109", "万柏林区", "Wanbailin District"),
    ],
)
def test_polyphonic_counties_are_overridden(adcode, name_zh, expected):
    assert english_name(adcode=adcode, name_zh=name_zh) == expected


@pytest.mark.parametrize(
    ("adcode", "name_zh", "expected"),
    [
        ("430121", "长沙县", "Changsha County"),
        ("140105", "小店区", "Xiaodian District"),
        ("430181", "浏阳市", "Liuyang City"),
        ("340403", "田家庵区", "Tianjia'an District"),
        ("422825", "宣恩县", "Xuan'en County"),
        ("410104", "管城回族区", "Guancheng Hui District"),
        ("431229", "靖州苗族侗族自治县", "Jingzhou Miao and Dong Autonomous County"),
        ("431226", "麻阳苗族自治县", "Mayang Miao Autonomous County"),
        ("610100", "西安市", "Xi'an"),
        ("150422", "巴林左旗", "Balinzuo Banner"),
        ("654000", "伊犁哈萨克自治州", "Yili Kazak Autonomous Prefecture"),
    ],
)
def test_romanized_fallback(adcode, name_zh, expected):
    assert english_name(adcode=adcode, name_zh=name_zh) == expected


def test_forestry_district_only_directly_under_a_province():
    assert english_name(adcode="429099", name_zh="某林区") == "Mou Forestry District"
    assert english_name(adcode="140199", name_zh="某林区") == "Moulin District"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("西安", "Xi'an"), ("六安", "Lu'an"), ("天峨", "Tian'e"), ("平遥", "Pingyao"), ("吕梁", "Lüliang")],
)
def test_romanize(text, expected):
    assert romanize(text=text) == expected
