"""`t2drl_cli.rl_cmds`: `t2drl evaluate` writes JSON and CSV; bad input is a user error, one line
and exit 2."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rl.harness.evaluate import METRICS

ROOT = Path(__file__).resolve().parents[2]
TINY_SETS = ["--set", "n_users=3", "--set", "n_frames=2", "--set", "n_slots=3"]


@pytest.fixture(scope="module")
def app():
    import t2drl_cli.rl_cmds  # noqa: F401  (registers the commands)
    from t2drl_cli.main import app

    return app


def test_cli_evaluate_writes_json_and_csv(app, tmp_path):
    out = tmp_path / "r.json"
    args = ["evaluate", "--algo", "rcars", "--seeds", "1,2", *TINY_SETS, "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["result"]["algo"] == "RCARS" and doc["result"]["seeds"] == [1, 2]
    assert doc["provenance"]["versions"]["numpy"] == np.__version__
    rows = (tmp_path / "r.csv").read_text().splitlines()
    assert rows[0].startswith("algo,metric,") and len(rows) == 1 + len(METRICS)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--algo", "foo"], "unknown algorithm 'foo'"),
        (["--algo", "rcars", "--seeds", "1,x"], "--seeds expects"),
        (["--checkpoint", "/no/such/checkpoint.pt"], "does not exist"),
        (["--algo", "rcars", "--set", "n_users=0"], "n_users"),
        ([], "give --algo"),
    ],
)
def test_cli_bad_input_is_a_user_error(app, args, message):
    result = CliRunner().invoke(app, ["evaluate", *args])
    exc = result.exception
    assert getattr(exc, "exit_code", None) == 2, result.output
    assert message in str(exc) and "\n" not in str(exc)


def test_cli_bad_input_exits_2_with_one_line():
    proc = subprocess.run(
        [sys.executable, "-m", "t2drl_cli", "evaluate", "--algo", "foo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: unknown algorithm 'foo'; expected one of: rcars, schrs, hcras."
    ]
