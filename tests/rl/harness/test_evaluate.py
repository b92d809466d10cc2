"""Evaluation on held-out seeds (`rl.harness.evaluate`), its t-intervals and the
`t2drl evaluate` CLI."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rl.baselines.ga import GAConfig
from rl.baselines.policies import RCARS, make_baseline
from rl.harness.evaluate import (
    METRICS,
    EvaluateArgs,
    EvaluationError,
    evaluate_policy,
    main,
    parse_seeds,
    resolve_config,
)
from rl.harness.train import TrainArgs
from rl.harness.train import main as train_main
from testbed.config import build_config

ROOT = Path(__file__).resolve().parents[3]
TINY = {"n_users": 3, "n_frames": 2, "n_slots": 3}
TINY_SETS = ["--set", "n_users=3", "--set", "n_frames=2", "--set", "n_slots=3"]


@pytest.fixture(scope="module")
def cfg():
    return build_config("paper", 0, TINY)


@pytest.mark.parametrize("name", ["rcars", "schrs", "hcras"])
def test_evaluate_returns_finite_intervals(cfg, name):
    res = evaluate_policy(
        make_baseline(name, cfg, GAConfig(pop_size=6, n_gen=3)), cfg, [11, 12, 13]
    )
    assert set(res.metrics) == set(METRICS)
    for key, m in res.metrics.items():
        assert all(np.isfinite([m.mean, m.ci_low, m.ci_high])), key
        assert m.ci_low <= m.mean <= m.ci_high, key
        assert len(m.per_seed) == 3
    doc = res.to_dict()
    json.dumps(doc)  # serialisable
    assert doc["config"]["n_users"] == 3


def test_one_seed_has_no_interval(cfg):
    res = evaluate_policy(RCARS(cfg), cfg, [5])
    assert math.isnan(res.metrics["utility"].ci_low)
    assert res.to_dict()["metrics"]["utility"]["ci95_low"] is None


def test_checkpoint_config_is_the_default_and_must_agree(cfg, tmp_path):
    (tmp_path / "policy.pt").write_bytes(b"")
    (tmp_path / "run.json").write_text(json.dumps({"config": cfg.to_dict()}))
    ckpt = str(tmp_path / "policy.pt")
    assert resolve_config(EvaluateArgs(checkpoint=ckpt)) == cfg
    same = [f"{k}={v}" for k, v in TINY.items()]
    assert resolve_config(EvaluateArgs(checkpoint=ckpt, sets=same)) == cfg
    with pytest.raises(EvaluationError, match="trained with n_users = 3") as info:
        resolve_config(EvaluateArgs(checkpoint=ckpt, sets=["n_users=4", "n_frames=2", "n_slots=3"]))
    assert info.value.exit_code == 2


@pytest.mark.parametrize("algo", ["ddpg-t2drl", "ddpg"])
def test_trained_agent_evaluates_through_load_policy(cfg, tmp_path, algo):
    """ddpg re-caches every slot through `decide_slot`; ddpg-t2drl holds a cache per frame."""
    out = tmp_path / "run"
    train_main(
        TrainArgs(
            algo=algo,
            env_overrides=dict(TINY),
            episodes=1,
            out=str(out),
            device="cpu",
            progress=False,
            tensorboard=False,
        )
    )
    doc = main(EvaluateArgs(checkpoint=str(out), seeds=(1, 2)))
    assert doc["result"]["algo"] == {"ddpg-t2drl": "DDPG-T2DRL", "ddpg": "DDPG"}[algo]
    assert np.isfinite(doc["result"]["metrics"]["utility"]["ci95_low"])


def test_parse_seeds():
    assert parse_seeds("100-102,7") == (100, 101, 102, 7)
    for bad in ("", "1,x", "-3", "5-2", "1,1"):
        with pytest.raises(EvaluationError) as info:
            parse_seeds(bad)
        assert info.value.exit_code == 2


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


def test_a_learned_name_needs_a_checkpoint(cfg):
    with pytest.raises(EvaluationError, match="learned method") as info:
        main(EvaluateArgs(algo="t2drl", seeds=(1,), sets=[f"{k}={v}" for k, v in TINY.items()]))
    assert info.value.exit_code == 2
