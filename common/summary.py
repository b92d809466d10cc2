"""What a command prints when it ends: titled tables, then lines (rendered by `t2drl_cli`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class Summary:
    """Titled tables of pre-formatted cells, then lines (notes, warnings, files written)."""

    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def table(self, title: str, rows: list[dict]) -> Summary:
        """Add a table from row dicts (keys are the column headers)."""
        self.tables.append((title, pd.DataFrame(rows)))
        return self

    def line(self, text: str) -> Summary:
        self.lines.append(text)
        return self
