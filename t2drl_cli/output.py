"""How commands print: `common.summary.Summary` as Rich tables, never cut in a log."""

from __future__ import annotations

import re

from rich.console import Console
from rich.table import Table

from common.summary import Summary

NUMBER = re.compile(r"^[\[(]?[-+]?\.?\d")
LOG_WIDTH = 250
"""Columns when stdout is not a terminal (a log, a pipe): wide enough that no table is cut."""


def console() -> Console:
    c = Console()
    return c if c.is_terminal else Console(width=LOG_WIDTH)


def say(text: str) -> None:
    """One line of progress (a finished seed, run or cell)."""
    console().print(text, markup=False, highlight=False)


def show(summary: Summary | None) -> None:
    """Every table of `summary`, then its lines."""
    if summary is None:
        return
    out = console()
    for title, rows in summary.tables:
        columns = list(dict.fromkeys(k for row in rows for k in row))
        table = Table(title=title)
        for col in columns:
            numeric = all(_looks_numeric(row.get(col, "")) for row in rows)
            table.add_column(str(col), justify="right" if numeric else "left")
        for row in rows:
            table.add_row(*("" if row.get(c) is None else str(row[c]) for c in columns))
        out.print(table)
    for line in summary.lines:
        out.print(line, markup=False, highlight=False)


def _looks_numeric(value) -> bool:
    return NUMBER.match(str(value)) is not None
