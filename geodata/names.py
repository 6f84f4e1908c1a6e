"""English names of admin units: a hand-checked table first, else a pinyin romanization."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

NAMES_CSV = Path(__file__).resolve().parent / "data" / "names_en.csv"

#: Ethnic groups as they appear in autonomous-unit names ("土家族" -> "Tujia").
ETHNIC_GROUPS = {
    "回": "Hui",
    "土家": "Tujia",
    "苗": "Miao",
    "侗": "Dong",
    "瑶": "Yao",
    "壮": "Zhuang",
    "彝": "Yi",
    "藏": "Tibetan",
    "蒙古": "Mongol",
    "满": "Manchu",
    "朝鲜": "Korean",
    "维吾尔": "Uygur",
    "哈萨克": "Kazak",
    "柯尔克孜": "Kirgiz",
    "塔吉克": "Tajik",
    "锡伯": "Xibe",
    "白": "Bai",
    "哈尼": "Hani",
    "傣": "Dai",
    "黎": "Li",
    "傈僳": "Lisu",
    "佤": "Va",
    "畲": "She",
    "拉祜": "Lahu",
    "水": "Shui",
    "东乡": "Dongxiang",
    "纳西": "Naxi",
    "景颇": "Jingpo",
    "土": "Tu",
    "达斡尔": "Daur",
    "仫佬": "Mulao",
    "羌": "Qiang",
    "布朗": "Blang",
    "撒拉": "Salar",
    "毛南": "Maonan",
    "仡佬": "Gelao",
    "阿昌": "Achang",
    "普米": "Pumi",
    "怒": "Nu",
    "鄂温克": "Ewenki",
    "德昂": "De'ang",
    "保安": "Bonan",
    "裕固": "Yugur",
    "京": "Gin",
    "独龙": "Derung",
    "鄂伦春": "Oroqen",
    "赫哲": "Hezhen",
    "布依": "Bouyei",
    "各": "Various Ethnic Groups",
}

#: Name endings and their English forms at county level, longest match wins.
#: 自治县/自治旗/自治州 also take the ethnic groups just before them; so does 区 (回族区).
COUNTY_SUFFIXES = {
    "自治县": "Autonomous County",
    "自治旗": "Autonomous Banner",
    "自治州": "Autonomous Prefecture",
    "特区": "Special District",
    "区": "District",
    "县": "County",
    "市": "City",
    "旗": "Banner",
}
#: Extra ending of units under a province directly (adcode ``XX90YY``, 神农架林区); elsewhere
#: "林区" is no ending (万柏林区 is Wanbailin District).
DIRECT_COUNTY_SUFFIXES = {**COUNTY_SUFFIXES, "林区": "Forestry District"}
#: Endings at prefecture level (adcode ``XXYY00``): a prefecture-level 市 is the bare name.
PREFECTURE_SUFFIXES = {
    "自治州": "Autonomous Prefecture",
    "地区": "Prefecture",
    "盟": "League",
    "市": "",
}
#: Endings at province level (adcode ``XX0000``): all dropped ("Guangxi", "Hong Kong").
PROVINCE_SUFFIXES = ("特别行政区", "壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "省", "市")
_APOSTROPHE_INITIALS = ("a", "o", "e")


def english_name(*, adcode: str, name_zh: str) -> str:
    """The English name of one unit: from names_en.csv if listed, else romanized.

    The fallback romanizes the name without tones, the syllables of the place name
    joined and capitalised with an apostrophe before a non-initial a/o/e syllable
    (西安 -> Xi'an), and translates the ending by level, read from the adcode:
    区 -> District, 县 -> County, 市 -> City, 旗 -> Banner, 林区 -> Forestry District
    (only for units under a province directly, adcode ``XX90YY``),
    自治县 -> "<Groups> Autonomous County" (长阳土家族自治县 -> Changyang Tujia Autonomous
    County); prefecture-level 市 gives the bare name, 地区 -> Prefecture, 盟 -> League.
    Polyphonic characters are not resolved here: such names belong in the CSV.
    """
    listed = _table().get(adcode)
    if listed is not None:
        return listed
    if adcode.endswith("0000"):
        return _province(name_zh)
    if adcode.endswith("00"):
        suffixes = PREFECTURE_SUFFIXES
    else:
        suffixes = DIRECT_COUNTY_SUFFIXES if adcode[2:4] == "90" else COUNTY_SUFFIXES
    return _with_suffix(name_zh, suffixes=suffixes)


def romanize(*, text: str) -> str:
    """Toneless pinyin of one place name as a single capitalised word (西安 -> Xi'an)."""
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(text, style=Style.NORMAL, v_to_u=True)
    word = syllables[0] if syllables else ""
    for syllable in syllables[1:]:
        word += ("'" if syllable.startswith(_APOSTROPHE_INITIALS) else "") + syllable
    return word[:1].upper() + word[1:]


def _province(name_zh: str) -> str:
    for suffix in PROVINCE_SUFFIXES:
        if name_zh.endswith(suffix) and len(name_zh) > len(suffix):
            return romanize(text=name_zh.removesuffix(suffix))
    return romanize(text=name_zh)


def _with_suffix(name_zh: str, *, suffixes: dict[str, str]) -> str:
    for suffix in sorted(suffixes, key=len, reverse=True):
        if name_zh.endswith(suffix) and len(name_zh) > len(suffix):
            stem = name_zh.removesuffix(suffix)
            stem, groups = _split_groups(stem, bare=suffix.startswith("自治"))
            parts = [romanize(text=stem), _join(groups), suffixes[suffix]]
            return " ".join(part for part in parts if part)
    return romanize(text=name_zh)


def _split_groups(stem: str, *, bare: bool) -> tuple[str, list[str]]:
    """Peel trailing ethnic groups off a stem: 靖州苗族侗族 -> 靖州, [Miao, Dong].

    A group is "X族"; with ``bare`` (before 自治…) a known name of two or more
    characters also counts without 族 (伊犁哈萨克 -> 伊犁, [Kazak]).
    """
    groups: list[str] = []
    while stem:
        body = stem.removesuffix("族")
        known = [g for g in ETHNIC_GROUPS if body.endswith(g)]
        if body == stem:  # no 族: only multi-character names, only before 自治…
            known = [g for g in known if bare and len(g) > 1]
        if not known:
            break
        match = max(known, key=len)
        groups.insert(0, ETHNIC_GROUPS[match])
        stem = body.removesuffix(match)
    return stem, groups


def _join(groups: list[str]) -> str:
    if len(groups) < 2:
        return "".join(groups)
    return ", ".join(groups[:-1]) + " and " + groups[-1]


@cache
def _table() -> dict[str, str]:
    with NAMES_CSV.open(encoding="utf-8", newline="") as handle:
        return {row["adcode"]: row["name_en"] for row in csv.DictReader(handle)}
