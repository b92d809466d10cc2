"""`t2drl_cli.experiment_cmds`: bad input to `experiment` is one sentence and exit code 2."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "args, message",
    [
        (["fig9"], "experiment must be one of"),
        (["fig7", "--eval-seeds", "3-1"], "--eval-seeds"),
        (["fig7", "--grid", "10,x"], "--grid values for n_users"),
    ],
)
def test_bad_input_is_exit_2_naming_the_option(t2drl, tmp_path, args, message):
    code, _, err = t2drl("experiment", *args, "--executor", "serial", "--out", tmp_path)
    assert code == 2, err
    assert message in err and "Traceback" not in err
