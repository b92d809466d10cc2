"""The headline tables of README and docs/experiments.md are what `docs/examples/headline.py`
prints from the committed run records: each page shows the command in a bash block and the
table it prints right below it."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import tyro

from common.errors import UserError

from .conftest import load_example

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("README.md", "docs/experiments.md")
BLOCK = re.compile(r"```bash\n(python docs/examples/headline\.py.*?)```\n+(.*?)\n\n", re.S)


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
    module = load_example("headline")
    argv = shlex.split(command)[2:]
    printed = "\n".join(module.table(tyro.cli(module.Args, args=argv)))
    assert table == printed, f"{page}: the table below `{command[:60]}...` is not the records'"


def test_a_label_may_hold_an_equals_sign_and_an_empty_folder_is_one_sentence(tmp_path):
    module = load_example("headline")
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "r.json").write_text("{}")
    assert module.parse_sweep(f"Fig. 6b, H = 500={tmp_path}") == ("Fig. 6b, H = 500", tmp_path)
    with pytest.raises(UserError, match=r"runs holds no run records"):
        module.parse_sweep(f"empty={tmp_path / 'nothing'}")
    with pytest.raises(UserError, match="expected LABEL=FOLDER"):
        module.parse_sweep(str(tmp_path))
