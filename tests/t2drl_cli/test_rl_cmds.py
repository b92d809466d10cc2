"""`t2drl_cli.rl_cmds`: `t2drl evaluate` writes JSON and CSV, `bench rl` and `oracle` print
their tables; bad input is a user error, one line and exit 2."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rl.harness.evaluate import METRICS

ROOT = Path(__file__).resolve().parents[2]
TINY_SETS = ["--set", "n_users=3", "--set", "n_frames=2", "--set", "n_slots=3"]


def test_evaluate_writes_json_and_csv(t2drl, tmp_path):
    out = tmp_path / "r.json"
    code, stdout, err = t2drl(
        "evaluate", "--algo", "rcars", "--seeds", "1,2", *TINY_SETS, "--out", out
    )
    assert code == 0, err
    assert "seed 2: utility" in stdout and "95% CI low" in stdout
    doc = json.loads(out.read_text())
    assert doc["result"]["algo"] == "RCARS" and doc["result"]["seeds"] == [1, 2]
    assert doc["provenance"]["versions"]["numpy"] == np.__version__
    rows = (tmp_path / "r.csv").read_text().splitlines()
    assert rows[0].startswith("algo,metric,") and len(rows) == 1 + len(METRICS)


def test_bench_rl_and_oracle_print_their_tables(t2drl, tmp_path):
    code, out, err = t2drl(
        "bench", "rl", "--users", "3", "--algo", "rcars", "--slots", "1", *TINY_SETS[2:],
        "--out", tmp_path / "b.json",
    )  # fmt: skip
    assert code == 0, err
    assert "RCARS" in out and "U = 3" in out and (tmp_path / "b.json").is_file()
    code, out, err = t2drl("oracle", "slots", "--users", "3", "--slots", "1", *TINY_SETS[2:])
    assert code == 0, err
    assert "proven optimal" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--algo", "foo"], "unknown algorithm 'foo'"),
        (["--checkpoint", "/no/such/checkpoint.pt"], "does not exist"),
        (["--algo", "rcars", "--set", "n_users=0"], "n_users"),
        ([], "give --algo"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(t2drl, args, message):
    code, _, err = t2drl("evaluate", *args)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_malformed_option_is_refused_by_the_parser(t2drl):
    code, _, err = t2drl("evaluate", "--algo", "rcars", "--seeds", "1,x")
    assert code == 2 and "--seeds" in err and "Traceback" not in err


def test_bad_input_exits_2_with_one_line_in_a_subprocess():
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
