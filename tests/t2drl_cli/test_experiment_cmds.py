"""`t2drl_cli.experiment_cmds`: bad input to `experiment` is one sentence and exit code 2."""

from __future__ import annotations


def test_cli_bad_input_is_one_sentence(tmp_path):
    from typer.testing import CliRunner

    from t2drl_cli.main import _register_commands, app

    _register_commands()
    cases = [
        (["fig9"], "experiment must be one of"),
        (["fig7", "--eval-seeds", "3-1"], "--eval-seeds expects"),
        (["fig7", "--grid", "10,x"], "--grid values for n_users"),
    ]
    for args, message in cases:
        result = CliRunner().invoke(
            app, ["experiment", *args, "--executor", "serial", "--out", str(tmp_path)]
        )
        exc = result.exception
        assert getattr(exc, "exit_code", None) == 2, (args, result.output)
        assert message in str(exc) and "\n" not in str(exc)
