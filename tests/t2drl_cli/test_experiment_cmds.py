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


def test_experiment_killed_then_resumed_equals_uninterrupted(t2drl, tmp_path):
    from tests.kill import kill_when

    def argv(out):
        return [
            "experiment", "fig7", "--quick", "--seeds", "3", "--episodes", "2",
            "--eval-seeds", "1000,1001", "--grid", "3", "--set", "n_frames=2",
            "--algo", "t2drl", "--algo", "rcars", "--executor", "serial", "--out", str(out),
            "--no-progress", "--no-reuse",  # not the records of the sibling run
        ]  # fmt: skip

    assert t2drl(*argv(tmp_path / "whole"))[0] == 0
    # the three t2drl seeds train as one pack: killed once its first member has checkpointed
    train = tmp_path / "killed" / "train"
    kill_when(argv(tmp_path / "killed"), lambda: any(train.glob("*/checkpoint.pt")))
    assert not any((tmp_path / "killed" / "runs").glob("*.json"))
    code, out, err = t2drl(*argv(tmp_path / "killed"))
    assert code == 0 and "4/4 runs finished" in out, err
    csv = "fig7.csv"
    assert (tmp_path / "killed" / csv).read_text() == (tmp_path / "whole" / csv).read_text()
