"""`t2drl_cli.testbed_cmds`: the testbed's commands, run in-process; bad input is one line and
exit code 2."""

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from t2drl_cli.main import _register_commands, app

_register_commands()
runner = CliRunner()


def test_check_config_warns_about_the_cloud_path():
    res = runner.invoke(app, ["check-config", "--preset", "fitted", "--fitted-file", "paper"])
    assert res.exit_code == 0, res.output
    assert "36.3 s" in res.output and "config is valid" in res.output


def test_simulate_prints_metrics():
    res = runner.invoke(
        app, ["simulate", "--episodes", "3", "--set", "n_frames=2", "--set", "n_users=5"]
    )
    assert res.exit_code == 0, res.output
    for metric in ("model hit ratio", "utility (11)", "violating (11h)"):
        assert metric in res.output


@pytest.mark.parametrize(
    "args, needle",
    [
        (["check-config", "--set", "uplink_bandwidth_Hz=-5"], "'uplink_bandwidth_Hz'"),
        (["check-config", "--preset", "nope"], "unknown preset"),
        (["check-config", "/no/such/file.toml"], "does not exist"),
        (["simulate", "--set", "alpha=2"], "'alpha'"),
    ],
)
def test_bad_input_one_line_exit_2(args, needle):
    proc = subprocess.run(
        [sys.executable, "-m", "t2drl_cli", *args], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
