"""`t2drl_cli.testbed_cmds`: the testbed's commands, run in-process; bad input is one line and
exit code 2."""

import subprocess
import sys

import pytest


def test_check_config_warns_about_the_cloud_path(t2drl):
    code, out, _ = t2drl("check-config", "--env-preset", "fitted", "--fitted-file", "paper")
    assert code == 0, out
    assert "36.3 s" in out and "config is valid" in out


def test_simulate_prints_metrics(t2drl):
    code, out, err = t2drl(
        "simulate", "--episodes", "3", "--set", "n_frames=2", "--set", "n_users=5", "--no-progress"
    )
    assert code == 0, err
    for metric in ("model hit ratio", "utility (11)", "violating (11h)"):
        assert metric in out


def test_tables_are_not_cut_in_a_log(t2drl):
    """Not a terminal: the table is as wide as it needs (Rich would cut it at 80 columns)."""
    code, out, _ = t2drl("check-config", "--set", "n_users=3")
    assert code == 0
    assert "popularity_transition" in out and "…" not in out


@pytest.mark.parametrize(
    "args, needle",
    [
        (["check-config", "--set", "uplink_bandwidth_Hz=-5"], "'uplink_bandwidth_Hz'"),
        (["check-config", "--env-preset", "nope"], "unknown preset"),
        (["check-config", "--config", "/no/such/file.toml"], "does not exist"),
        (["simulate", "--set", "alpha=2"], "'alpha'"),
        (["simulate", "--episodes", "1"], "at least 2"),
    ],
)
def test_bad_input_one_line_exit_2(args, needle):
    proc = subprocess.run(
        [sys.executable, "-m", "t2drl_cli", *args], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
