"""The headline tables of README and docs/experiments.md are what `docs/examples/headline.py`
prints from the committed run records: each page shows the command in a bash block and the
table it prints right below it."""

from __future__ import annotations

import importlib.util
import re
import shlex
import sys
from pathlib import Path

import pytest
import tyro

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "examples" / "headline.py"
PAGES = ("README.md", "docs/experiments.md")
BLOCK = re.compile(r"```bash\n(python docs/examples/headline\.py.*?)```\n+(.*?)\n\n", re.S)


def _headline():
    spec = importlib.util.spec_from_file_location("headline", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through it
    spec.loader.exec_module(module)
    return module


def _shown() -> list[tuple[str, str, str]]:
    found = []
    for page in PAGES:
        for command, table in BLOCK.findall((ROOT / page).read_text()):
            found.append((page, command.replace("\\\n", " ").strip(), table.strip()))
    return found


def test_each_page_shows_a_headline_table():
    assert {page for page, _, _ in _shown()} == set(PAGES)


@pytest.mark.parametrize(("page", "command", "table"), _shown())
def test_the_shown_table_is_what_the_records_give(page, command, table, monkeypatch):
    monkeypatch.chdir(ROOT)
    module = _headline()
    argv = shlex.split(command)[2:]
    printed = "\n".join(module.table(tyro.cli(module.Args, args=argv)))
    assert table == printed, f"{page}: the table below `{command[:60]}...` is not the records'"
