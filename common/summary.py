"""What a command prints when it ends: titled tables, then lines (rendered by `t2drl_cli`)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Summary:
    """Titled tables of pre-formatted cells (row dicts; keys are the column headers), then
    lines (notes, warnings, files written)."""

    tables: list[tuple[str, list[dict]]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def table(self, title: str, rows: list[dict]) -> Summary:
        self.tables.append((title, list(rows)))
        return self

    def line(self, text: str) -> Summary:
        self.lines.append(text)
        return self
