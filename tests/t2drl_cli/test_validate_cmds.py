"""`t2drl_cli.validate_cmds`: `t2drl validate` is generated from `ValidateArgs`; bad input is one
line and exit code 2 (the whole closed loop through the CLI is in
tests/validation/test_closed_loop.py)."""

from __future__ import annotations

import pytest


def test_help_lists_the_options_with_the_dataclass_defaults(monkeypatch, t2drl):
    monkeypatch.setenv("COLUMNS", "200")  # no option or default wrapped
    code, out, _ = t2drl("validate", "--help")
    assert code == 0
    for text in ("--fitted-file", "zoo-cpu", "--set", "(repeatable)", "--no-resume", "100"):
        assert text in out, text
    assert "--fitted " not in out and "min on" not in out  # renamed; no machine timings


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--algo", "rcars", "--frames", "0"],
            "error: --frames must be a positive integer, got 0.",
        ),
        (["--checkpoint", "x", "--set", "n_users=3"], "error: --set applies to baselines only"),
    ],
)
def test_bad_option_is_one_line_naming_it(argv, message, tmp_path, t2drl):
    code, _, err = t2drl("validate", *argv, "--out", str(tmp_path / "v"))
    assert code == 2 and err.startswith(message) and len(err.strip().splitlines()) == 1, err


def test_old_option_names_are_refused(t2drl):
    code, _, err = t2drl("validate", "--algo", "rcars", "--fitted", "zoo-cpu")
    assert code == 2 and "--fitted" in err
