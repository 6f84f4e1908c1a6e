"""The guideline's own texts: the English summary by section, the partial Chinese text and the document record."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

from geodata._paths import GUIDELINE_DIR
from geodata._validate import GeodataError

#: Editorial marks the atlas adds inside verbatim quotes (the translation's typos are kept and marked).
EDITORIAL_MARKS = (" [sic]",)


def unmarked(quote: str) -> str:
    """A quote without the atlas's editorial marks, as it stands in the source text."""
    for mark in EDITORIAL_MARKS:
        quote = quote.replace(mark, "")
    return quote


def english_sections(*, folder: Path = GUIDELINE_DIR) -> dict[str, str]:
    """The English summary split at its numbered headings ("1. Development Objectives", ...)."""
    text = (folder / "guideline-part1.txt").read_text(encoding="utf-8")
    parts = re.split(r"^(\d)\. [A-Z].*$", text, flags=re.MULTILINE)
    return {number: body for number, body in zip(parts[1::2], parts[2::2], strict=True)}


def chinese_lines(*, folder: Path = GUIDELINE_DIR) -> tuple[list[str], list[str]]:
    """The partial Chinese text: its body lines (copied from sources) and its quoted S1 summary lines."""
    lines = (folder / "guideline-zh.txt").read_text(encoding="utf-8").splitlines()
    body = [line for line in lines if line.strip() and not line.startswith("#")]
    summaries = [line.removeprefix("# S1 summary: ") for line in lines if line.startswith("# S1 summary: ")]
    return body, summaries


def document(*, folder: Path = GUIDELINE_DIR) -> dict[str, dict[str, str]]:
    """The document-level record (Chinese title, kind, dates, the Chinese targets), by key."""
    path = folder / "document.csv"
    if not path.exists():
        raise GeodataError(f"{path}: file is missing")
    with path.open(encoding="utf-8", newline="") as f:
        return {row["key"]: row for row in csv.DictReader(f)}


def quotes_zh(*, folder: Path = GUIDELINE_DIR) -> pd.DataFrame:
    """Per feature quote: the Chinese wording where a source gives it (else empty) and the item's Chinese title."""
    path = folder / "quotes_zh.csv"
    if not path.exists():
        raise GeodataError(f"{path}: file is missing")
    with path.open(encoding="utf-8", newline="") as f:
        return pd.DataFrame(list(csv.DictReader(f)), dtype=object).fillna("")
