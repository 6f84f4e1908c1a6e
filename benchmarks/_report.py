"""Shared by the benchmark scripts: print measurements as aligned text tables."""

from __future__ import annotations


def table(rows: list[dict]) -> str:
    """Rows of equal keys as an aligned text table (text left, numbers right)."""
    cells = [[cell(value) for value in row.values()] for row in rows]
    headers = list(rows[0])
    widths = [max(len(header), *(len(line[i]) for line in cells)) for i, header in enumerate(headers)]
    numeric = [not isinstance(value, str) for value in rows[0].values()]

    def line(values: list[str]) -> str:
        return "  ".join(
            value.rjust(width) if right else value.ljust(width)
            for value, width, right in zip(values, widths, numeric, strict=True)
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(values) for values in cells)])


def cell(value: object) -> str:
    """A number with thousands separators and sensible decimals; anything else as text."""
    if isinstance(value, float):
        return f"{value:,.3f}" if value < 10 else f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)
