"""`t2drl_cli.zoo_cmds`: the zoo's commands are generated from their dataclasses; bad input is
one line and exit code 2."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        ("train-zoo", ["-d", "--domains", "digits,fashion,faces,textures", "--iterations", "1500"]),
        ("zoo-matrix", ["--num-images", "16", "--mask", "half", "--jump-n-sample", "--out-dir"]),
        ("zoo-export", ["--out", "runs/zoo-heldout", "--root"]),
    ],
)
def test_help_lists_the_options_with_the_dataclass_defaults(monkeypatch, command, shown, t2drl):
    monkeypatch.setenv("COLUMNS", "200")  # no option or default wrapped
    code, out, _ = t2drl(command, "--help")
    assert code == 0
    for text in shown:
        assert text in out, text


def test_bad_option_value_is_one_line_naming_it(tmp_path, t2drl):
    code, _, err = t2drl("zoo-matrix", "--steps", "0", "--out-dir", str(tmp_path))
    assert code == 2 and err == "error: --steps must be at least 1, got 0.\n"
    assert not list(tmp_path.iterdir())  # refused before any work


def test_zoo_export_writes_one_folder_per_domain(tmp_path, t2drl):
    code, out, _ = t2drl("zoo-export", "--out", str(tmp_path))
    assert code == 0
    folders = sorted(p.name for p in tmp_path.iterdir())
    assert folders == ["digits", "faces", "fashion", "textures"]
    assert all(str(tmp_path / d) in out for d in folders)
