"""Tables without coordinates: rows matched to admin units by code or name, with a report of every row.

A row is matched when its key names exactly one unit of the table's level: a 6-digit adcode, a 12-digit
statistical code (its first 6 digits), or a name in Chinese (full 武汉市 or short 武汉), English or pinyin
(case, spaces, tone marks and apostrophes ignored). A name shared by several units is matched only when a
province (or prefecture) column tells them apart; otherwise the row is reported with those units as
candidates. A name naming no unit gets its closest names (rapidfuzz) as candidates. Nothing is matched on a
guess: candidates are only applied when the planner accepts them (`fixes`).
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
from rapidfuzz import fuzz, process

from geodata._paths import LEVELS
from geodata.load import read_boundaries
from geodata.names import romanize

MATCHED, ACCEPTED, AMBIGUOUS, UNMATCHED, EMPTY = "matched", "accepted", "ambiguous", "unmatched", "empty"
BY = ("code", "name")
#: Header words that name the level of a column (compared lower-cased, as substrings).
LEVEL_WORDS = {
    "county": ("county", "district", "县", "区县", "县区", "县市区"),
    "prefecture": ("prefecture", "city", "地市", "地级", "市州", "市"),
    "province": ("province", "省"),
}
NAME_HEADERS = ("name", "unit", "名称", "地区", "单位", "行政区")
CODE_HEADERS = ("adcode", "code", "区划代码", "代码", "编码")
PROVINCE_HEADERS = ("province", "省", "省份")
PREFECTURE_HEADERS = ("prefecture", "city", "市", "地市")
SUFFIXES = {
    "province": ("省",),
    "prefecture": ("自治州", "地区", "市"),
    "county": ("自治县", "林区", "县", "区", "市"),
}
EN_SUFFIXES = ("autonomous county", "autonomous prefecture", "forestry district", "district", "county", "city")
FUZZY_LIMIT = 3
FUZZY_CUTOFF = 60.0
CODE = re.compile(r"\d{6}(\d{6})?")


class TableError(ValueError):
    """A table that cannot be matched at all (no key column, unknown level); the message says why."""


@dataclass(frozen=True)
class Candidate:
    """A unit a row might mean, with how close its name is (100 for an exact but ambiguous name)."""

    adcode: str
    label: str  # "郊区 Jiao District (山西省)"
    score: float


@dataclass(frozen=True)
class RowMatch:
    """How one row of the table was matched."""

    row: int  # position in the table, from 0
    key: str
    status: str  # matched, accepted, ambiguous, unmatched, empty
    adcode: str | None
    how: str  # adcode, statistical code, name_zh, short name, English, pinyin, accepted, ""
    candidates: tuple[Candidate, ...] = ()
    duplicate: bool = False  # another row matched the same unit
    reason: str = ""


@dataclass(frozen=True)
class TableMatch:
    """A table, the column it was matched by, each row's match and the level's units no row names."""

    table: pd.DataFrame
    column: str
    by: str
    level: str
    rows: tuple[RowMatch, ...]
    missing_units: tuple[str, ...]

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def n_matched(self) -> int:
        return sum(1 for r in self.rows if r.adcode is not None)

    @property
    def unmatched(self) -> list[RowMatch]:
        return [r for r in self.rows if r.adcode is None]

    @property
    def duplicates(self) -> list[RowMatch]:
        return [r for r in self.rows if r.duplicate]

    def describe(self) -> str:
        """One line: matched n of m, and what is left."""
        text = f"matched {self.n_matched} of {self.n_rows} rows by {self.by} ({self.column!r}) to {self.level} units"
        if self.unmatched:
            text += f"; {len(self.unmatched)} unmatched"
        if self.duplicates:
            text += f"; {len(self.duplicates)} rows share a unit with another row"
        return text + f"; {len(self.missing_units)} {self.level} units have no row"

    def codes(self) -> pd.DataFrame:
        """Per row (in table order): the province, prefecture and county adcode it was matched to (None if not)."""
        units = unit_table()
        units = units[units["level"] == self.level]
        found = pd.Series([r.adcode for r in self.rows], index=self.table.index, dtype=object)
        out = {}
        for level in LEVELS[: LEVELS.index(self.level) + 1]:
            parent = units["adcode"] if level == self.level else units[f"{level}_adcode"]
            lookup = dict(zip(units["adcode"], parent, strict=True))
            out[f"{level}_adcode"] = found.map(lambda code, lookup=lookup: lookup.get(code) if _is_code(code) else None)
        for level in LEVELS:
            out.setdefault(f"{level}_adcode", pd.Series([None] * len(found), index=found.index, dtype=object))
        return pd.DataFrame(out, index=self.table.index)[[f"{level}_adcode" for level in LEVELS]]

    def joined(self) -> pd.DataFrame:
        """Every column of the table, in order, then each level's adcode and names down to the table's level."""
        units = unit_names()
        codes = self.codes()
        out = self.table.copy()
        for level in LEVELS[: LEVELS.index(self.level) + 1]:
            column = codes[f"{level}_adcode"]
            out[f"{level}_adcode"] = column
            for lang in ("en", "zh"):
                names = units[f"name_{lang}"]
                out[f"{level}_name_{lang}"] = column.map(lambda c, names=names: names.get(c) if _is_code(c) else None)
        out["match_status"] = [r.status for r in self.rows]
        return out

    def report(self) -> pd.DataFrame:
        """The join report as a table: one line per row that is not a clean match, then each unit with no row."""
        lines = [
            {
                "line": r.row + 2,
                "key": r.key,
                "status": r.status,
                "adcode": r.adcode or "",
                "how": r.how,
                "duplicate": r.duplicate,
                "candidates": "; ".join(f"{c.adcode} {c.label}" for c in r.candidates),
                "reason": r.reason,
            }
            for r in self.rows
            if r.status != MATCHED or r.duplicate
        ]
        names = unit_names()
        lines += [
            {"line": "", "key": "", "status": "no row", "adcode": code, "how": "", "duplicate": False,
             "candidates": f"{names.at[code, 'name_zh']} {names.at[code, 'name_en']}", "reason": ""}
            for code in self.missing_units
        ]  # fmt: skip
        columns = ["line", "key", "status", "adcode", "how", "duplicate", "candidates", "reason"]
        return pd.DataFrame(lines, columns=columns)


def _is_code(value: object) -> bool:
    return isinstance(value, str) and bool(value)


# --- the units and their keys -----------------------------------------------------------------------------------


@functools.cache
def unit_table() -> pd.DataFrame:
    """Every unit of the six provinces at every level: adcode, level, names, parents (no geometry)."""
    frames = []
    for level in LEVELS:
        frame = read_boundaries(level=level, resolution="light")
        frame = pd.DataFrame(frame[frame["is_central"]].drop(columns="geometry"))
        frame["level"] = level
        if level == "province":
            frame["province_adcode"] = frame["adcode"]
        if level != "county":
            frame["prefecture_adcode"] = frame["adcode"] if level == "prefecture" else None
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    return out[["adcode", "level", "name_zh", "name_en", "province_adcode", "prefecture_adcode"]]


@functools.cache
def unit_names() -> pd.DataFrame:
    """Names and parents by adcode (a county-level city under a province directly is listed once)."""
    return unit_table().drop_duplicates("adcode").set_index("adcode")


@functools.cache
def level_codes(level: str) -> frozenset[str]:
    """The adcodes of one level's units."""
    units = unit_table()
    return frozenset(units.loc[units["level"] == level, "adcode"])


def normalise(text: object) -> str:
    """A key for comparing names: NFKC, lower case, tone marks, spaces, apostrophes and dashes removed."""
    value = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", str(text)).strip().lower())
    value = "".join(ch for ch in value if not unicodedata.combining(ch))
    return re.sub(r"[\s'’`\-_.·,()（）]", "", value)


def short_zh(name: str, *, level: str) -> str:
    """The Chinese name without its ending (武汉市 -> 武汉, 恩施土家族苗族自治州 -> 恩施); itself if too short."""
    from geodata.names import _split_groups

    for suffix in SUFFIXES[level]:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            stem = name.removesuffix(suffix)
            return _split_groups(stem, bare=suffix.startswith("自治"))[0] if suffix.startswith("自治") else stem
    return name


def _short_en(name: str) -> str:
    low = name.lower()
    for suffix in EN_SUFFIXES:
        if low.endswith(" " + suffix):
            return name[: -len(suffix) - 1]
    return name


def unit_keys(row: pd.Series) -> dict[str, str]:
    """The normalised keys a unit is known by, each with how it matched."""
    short = short_zh(row["name_zh"], level=row["level"])
    keys = {normalise(romanize(text=row["name_zh"])): "pinyin"}
    if len(short) >= 2:
        keys[normalise(romanize(text=short))] = "pinyin"
    keys[normalise(row["name_en"])] = "English"
    keys[normalise(_short_en(row["name_en"]))] = "English"
    if len(short) >= 2:
        keys[normalise(short)] = "short name"
    keys[normalise(row["name_zh"])] = "name_zh"
    return keys


@functools.cache
def key_index(level: str) -> dict[str, list[tuple[str, str]]]:
    """Normalised key -> [(adcode, how)] for every unit of a level."""
    units = unit_table()
    index: dict[str, list[tuple[str, str]]] = {}
    for _, row in units[units["level"] == level].iterrows():
        for key, how in unit_keys(row).items():
            if key and (row["adcode"], how) not in index.get(key, []):
                index.setdefault(key, []).append((row["adcode"], how))
    return index


def unit_label(adcode: str) -> str:
    """'郊区 Jiao District (山西省)': both names and the province, to tell apart units of the same name."""
    units = unit_names()
    row = units.loc[adcode]
    province = units.at[row["province_adcode"], "name_zh"] if row["level"] != "province" else ""
    return f"{row['name_zh']} {row['name_en']}" + (f" ({province})" if province else "")


# --- choosing the column and the level ---------------------------------------------------------------------------


def _clean(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()


def code_of(value: object) -> str | None:
    """The 6-digit adcode of a 6- or 12-digit code ('420100', '420100000000', 420100.0), else None."""
    text = _clean(value).removesuffix(".0")
    return text[:6] if CODE.fullmatch(text) else None


def level_of_code(code: str) -> str:
    """The level an adcode names: XX0000 province, XXYY00 prefecture, anything else county."""
    return "province" if code.endswith("0000") else "prefecture" if code.endswith("00") else "county"


def level_from_header(column: str) -> str | None:
    """The level a column's header names ('county', '区县', 'city name'), or None."""
    low = str(column).strip().lower()
    for level in ("county", "prefecture", "province"):
        if any(word in low for word in LEVEL_WORDS[level]):
            return level
    return None


def _is_code_column(values: pd.Series) -> bool:
    present = [v for v in values.map(_clean) if v]
    return bool(present) and all(code_of(v) for v in present)


def choose_column(table: pd.DataFrame, *, by: str | None, column: str | None) -> tuple[str, str]:
    """(column, by): the one given, else a code column, else a column whose header says it holds names."""
    columns = [str(c) for c in table.columns]
    if column is not None:
        if column not in columns:
            raise TableError(f"no column named {column!r}; columns: {', '.join(columns)}")
        return column, by or ("code" if _is_code_column(table[column]) else "name")
    codes = [c for c in columns if _is_code_column(table[c])]
    if by in (None, "code") and codes:
        return codes[0], "code"
    if by == "code":
        raise TableError(f"no column holds 6- or 12-digit codes; columns: {', '.join(columns)}")
    named = [c for c in columns if any(word in c.lower() for word in NAME_HEADERS) or level_from_header(c)]
    named = [c for c in named if c.lower() not in PROVINCE_HEADERS or len(named) == 1]
    finest = {"county": 0, "prefecture": 1, None: 2, "province": 3}  # a county table may name its city too
    named.sort(key=lambda c: finest[level_from_header(c)])
    if not named:
        raise TableError(f"no column of codes or unit names found; choose one of: {', '.join(columns)}")
    return named[0], "name"


def choose_level(keys: Sequence[str], *, by: str, column: str, level: str | None) -> str:
    """The level given, else the one the codes or the header imply, else the one naming most rows."""
    if level is not None:
        if level not in LEVELS:
            raise TableError(f"unknown level {level!r}; choose one of {', '.join(LEVELS)}")
        return level
    if by == "code":
        levels = pd.Series([level_of_code(c) for c in map(code_of, keys) if c])
        return str(levels.mode().iloc[0]) if len(levels) else "county"
    implied = level_from_header(column)
    if implied:
        return implied
    hits = {lv: sum(1 for k in keys if normalise(k) in key_index(lv)) for lv in reversed(LEVELS)}
    return max(hits, key=lambda lv: hits[lv])


def parent_column(table: pd.DataFrame, *, given: str | None, names: tuple[str, ...], skip: str) -> str | None:
    """The province (or prefecture) column: the one given, or one whose header is a usual name for it."""
    if given is not None:
        if given not in table.columns:
            raise TableError(f"no column named {given!r}")
        return given
    found = [c for c in table.columns if str(c) != skip and str(c).strip().lower() in names]
    return str(found[0]) if found else None


# --- matching ----------------------------------------------------------------------------------------------------


def _parent_codes(value: object, *, level: str) -> set[str]:
    key = normalise(_clean(value))
    code = code_of(value)
    if code:
        return {code}
    return {adcode for adcode, _ in key_index(level).get(key, [])} if key else set()


def _fuzzy(key: str, *, level: str) -> tuple[Candidate, ...]:
    index = key_index(level)
    found = process.extract(normalise(key), list(index), scorer=fuzz.ratio, limit=FUZZY_LIMIT * 3)
    out: dict[str, Candidate] = {}
    for text, score, _ in found:
        if score < FUZZY_CUTOFF:
            continue
        for adcode, _how in index[text]:
            if adcode not in out:
                out[adcode] = Candidate(adcode, unit_label(adcode), round(float(score), 1))
    return tuple(sorted(out.values(), key=lambda c: -c.score)[:FUZZY_LIMIT])


def match_code(row: int, key: str, *, level: str) -> RowMatch:
    """A row keyed by a 6- or 12-digit code."""
    code = code_of(key)
    if code is None:
        return RowMatch(row, key, UNMATCHED, None, "", reason="not a 6- or 12-digit code")
    units = unit_names()
    if code not in units.index:
        return RowMatch(row, key, UNMATCHED, None, "", reason=f"no unit of the six provinces has code {code}")
    if code not in level_codes(level):
        return RowMatch(row, key, UNMATCHED, None, "", reason=f"{code} is a {units.at[code, 'level']}, not a {level}")
    return RowMatch(row, key, MATCHED, code, "adcode" if len(key.removesuffix(".0")) == 6 else "statistical code")


def match_name(row: int, key: str, *, level: str, parents: set[str] | None) -> RowMatch:
    """A row keyed by a name, narrowed by its province/prefecture when the table has such a column."""
    hits = key_index(level).get(normalise(key), [])
    codes = sorted({adcode for adcode, _ in hits})
    if parents is not None and codes:
        units = unit_names()
        codes = [c for c in codes if {units.at[c, "province_adcode"], units.at[c, "prefecture_adcode"]} & parents]
    if len(codes) == 1:
        how = next(how for adcode, how in hits if adcode == codes[0])
        return RowMatch(row, key, MATCHED, codes[0], how)
    if len(codes) > 1:
        candidates = tuple(Candidate(c, unit_label(c), 100.0) for c in codes)
        reason = f"{len(codes)} {level} units have this name; add a province column or choose one"
        return RowMatch(row, key, AMBIGUOUS, None, "", candidates, reason=reason)
    if not hits:
        prefixed = _match_prefixed(normalise(key), level=level, parents=parents)
        if prefixed is not None:
            return RowMatch(row, key, MATCHED, prefixed, "name with its parents")
    where = " in the row's province" if parents is not None and hits else ""
    return RowMatch(row, key, UNMATCHED, None, "", _fuzzy(key, level=level), reason=f"no {level} has this name{where}")


def _parent_prefixes(norm: str) -> list[tuple[set[str], str]]:
    """(codes of the parent named, the rest) for each province or prefecture name that `norm` starts with."""
    out = []
    for level in ("province", "prefecture"):
        for key, entries in key_index(level).items():
            if len(key) >= 2 and norm.startswith(key) and len(norm) > len(key):
                out.append(({adcode for adcode, _ in entries}, norm[len(key) :]))
    return out


def _match_prefixed(norm: str, *, level: str, parents: set[str] | None) -> str | None:
    """The one unit a name such as 湖北省武汉市江岸区 names: its parents' names, then its own, exactly."""
    units = unit_names()
    found: set[str] = set()
    for scope, rest in _parent_prefixes(norm):
        tails = [(scope, rest)] + [(scope | inner, tail) for inner, tail in _parent_prefixes(rest)]
        for codes, tail in tails:
            for adcode, _ in key_index(level).get(tail, []):
                family = {units.at[adcode, "province_adcode"], units.at[adcode, "prefecture_adcode"]}
                if family & codes and (parents is None or family & parents):
                    found.add(adcode)
    return found.pop() if len(found) == 1 else None


def _with_fixes(result: RowMatch, fixes: Mapping[int, str], *, level: str) -> RowMatch:
    code = fixes.get(result.row)
    if not code:
        return result
    if code not in level_codes(level):
        return RowMatch(result.row, result.key, UNMATCHED, None, "", result.candidates, reason=f"{code} is no {level}")
    return RowMatch(result.row, result.key, ACCEPTED, code, "accepted", result.candidates)


def _flag_duplicates(rows: list[RowMatch]) -> list[RowMatch]:
    counts = pd.Series([r.adcode for r in rows if r.adcode]).value_counts()
    shared = set(counts[counts > 1].index)
    return [
        RowMatch(**{**r.__dict__, "duplicate": True, "reason": r.reason or "another row names the same unit"})
        if r.adcode in shared
        else r
        for r in rows
    ]


def match_table(
    table: pd.DataFrame,
    *,
    by: str | None = None,
    column: str | None = None,
    level: str | None = None,
    province_column: str | None = None,
    fixes: Mapping[int, str] | None = None,
) -> TableMatch:
    """Match every row of a table to a unit; `fixes` (row -> adcode) are the planner's accepted candidates."""
    if by is not None and by not in BY:
        raise TableError(f"unknown --by {by!r}; choose code or name")
    if table.empty:
        raise TableError("the table has a header but no rows")
    column, by = choose_column(table, by=by, column=column)
    keys = [_clean(v) for v in table[column]]
    level = choose_level(keys, by=by, column=column, level=level)
    parent = None
    if by == "name" and level != "province":
        parent = parent_column(table, given=province_column, names=PROVINCE_HEADERS, skip=column)
        if parent is None and level == "county":
            parent = parent_column(table, given=None, names=PREFECTURE_HEADERS, skip=column)
    rows = []
    for i, key in enumerate(keys):
        if not key:
            result = RowMatch(i, key, EMPTY, None, "", reason=f"no value in {column!r}")
        elif by == "code":
            result = match_code(i, key, level=level)
        else:
            scope = None if parent is None else _scope(table[parent].iloc[i])
            result = match_name(i, key, level=level, parents=scope)
        rows.append(_with_fixes(result, fixes or {}, level=level))
    rows = _flag_duplicates(rows)
    units = unit_table()
    named = {r.adcode for r in rows if r.adcode}
    missing = tuple(c for c in units.loc[units["level"] == level, "adcode"] if c not in named)
    return TableMatch(table, column, by, level, tuple(rows), missing)


def _scope(value: object) -> set[str] | None:
    """The codes a province/prefecture cell names (None when the cell is empty: no narrowing)."""
    if not _clean(value):
        return None
    return _parent_codes(value, level="province") | _parent_codes(value, level="prefecture") or {"?"}


# --- reading a table ---------------------------------------------------------------------------------------------


def read_table(content: bytes, *, filename: str) -> pd.DataFrame:
    """A CSV (UTF-8 or GB18030) or XLSX table, every cell as text exactly as written (empty cells missing)."""
    import io

    suffix = Path(filename).suffix.lower()
    try:
        if suffix == ".xlsx":
            table = pd.read_excel(io.BytesIO(content), dtype=str, engine="openpyxl")
        elif suffix in (".csv", ".txt"):
            from geodata.userdata import UserDataError, decode

            try:
                text = decode(content)
            except UserDataError as exc:
                raise TableError(str(exc)) from None
            table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""])
        else:
            raise TableError(f"unsupported table type {suffix or '(none)'}; use CSV or XLSX")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, KeyError, OSError, zipfile.BadZipFile) as exc:
        if isinstance(exc, TableError):
            raise
        if isinstance(exc, zipfile.BadZipFile) or suffix == ".xlsx":
            raise TableError("the file is not an Excel workbook (.xlsx); save it as XLSX or CSV") from None
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise TableError(f"the table cannot be read: {first}") from None
    table.columns = [str(c).strip() for c in table.columns]
    return table


def table_layer_frame(match: TableMatch) -> gpd.GeoDataFrame:
    """The table as an uploaded layer: every column (numbers as numbers), unit codes, no geometry."""
    from geodata.userdata import _numeric_if_all

    frame = match.table.copy()
    for column in frame.columns:
        if column != match.column:
            frame[column] = _numeric_if_all(frame[column])
    codes = match.codes()
    for column in codes.columns:
        frame[column] = codes[column]
    frame["outside_central"] = False
    return gpd.GeoDataFrame(frame, geometry=[None] * len(frame), crs="EPSG:4326")


# --- the command line --------------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m geodata.join",
        description="Match the rows of a table without coordinates (CSV or XLSX) to admin units by code or name.",
        epilog="example: python -m geodata.join table.csv --by name --level county -o matched.csv --report report.csv",
    )
    parser.add_argument("table", type=Path)
    parser.add_argument("--by", choices=BY, required=True, help="match by administrative code or by unit name")
    parser.add_argument("--column", help="the key column (default: found from the headers and values)")
    parser.add_argument("--level", choices=LEVELS, help="the level of the units (default: implied by the column)")
    parser.add_argument("--province-column", help="a column telling apart units of the same name")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the matched table (CSV)")
    parser.add_argument("--report", type=Path, help="the join report (CSV)")
    return parser


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    frame.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n")
    tmp.replace(path)


def table_join_main(argv: Sequence[str] | None = None) -> int:
    """`python -m geodata.join table.csv --by name ...`: write the matched table and the report; 2 on bad input."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed its one-line message
        return int(exc.code or 0)
    paths = [args.table.resolve(), args.output.resolve(), *([args.report.resolve()] if args.report else [])]
    if len(set(paths)) < len(paths):
        print("error: the table, -o and --report must be three different files", file=sys.stderr)
        return 2
    try:
        if not args.table.is_file():
            raise TableError(f"{args.table}: no such file")
        table = read_table(args.table.read_bytes(), filename=args.table.name)
        match = match_table(table, by=args.by, column=args.column, level=args.level,
                            province_column=args.province_column)  # fmt: skip
    except TableError as exc:
        print(f"error: {args.table.name}: {exc}", file=sys.stderr)
        return 2
    _write_csv(match.joined(), args.output)
    if args.report:
        _write_csv(match.report(), args.report)
    print(f"{args.table.name}: {match.describe()}; wrote {args.output}")
    return 0


def wants_table_join(argv: Sequence[str]) -> bool:
    """True when a `python -m geodata.join` command line is a table join (it has --by)."""
    return any(arg == "--by" or arg.startswith("--by=") for arg in argv)


if __name__ == "__main__":
    raise SystemExit(table_join_main(sys.argv[1:]))
