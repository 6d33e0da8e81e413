"""Markdown cells and tables of the results files, with ``-`` for a missing value."""

from __future__ import annotations

from typing import Any

import pandas as pd


def format_number(value: object, digits: int = 1) -> str:
    """A float to ``digits`` decimals, anything else as text; ``-`` for None or NaN."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def format_int(value: Any) -> str:
    """A whole number (CSV columns with a gap come back as floats); ``-`` for None or NaN."""
    return "-" if value is None or pd.isna(value) else str(int(value))


def markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """The lines of a markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines
