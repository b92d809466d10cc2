"""Evaluation on held-out seeds (`rl.harness.evaluate`) and its t-intervals (the `t2drl evaluate`
CLI: tests/t2drl_cli/test_rl_cmds.py)."""

import json
import math

import numpy as np
import pytest

from rl.baselines.args import GAConfig
from rl.baselines.policies import RCARS, make_baseline
from rl.harness.args import TrainArgs
from rl.harness.evaluate import (
    METRICS,
    EvaluateArgs,
    EvaluationError,
    checkpoint_config,
    evaluate_policy,
    main,
    resolve_config,
)
from rl.harness.train import main as train_main
from testbed.config import build_config
from testbed.sources import EnvArgs

TINY = {"n_users": 3, "n_frames": 2, "n_slots": 3}


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
    record = {"algo": "t2drl", "config": cfg.to_dict(), "d3pg": {}, "seed": 0, "episodes": 1}
    (tmp_path / "run.json").write_text(json.dumps(record))
    ckpt = str(tmp_path / "policy.pt")
    assert resolve_config(EvaluateArgs(checkpoint=ckpt)) == cfg
    same = [f"{k}={v}" for k, v in TINY.items()]
    assert resolve_config(EvaluateArgs(checkpoint=ckpt, env=EnvArgs(set=tuple(same)))) == cfg
    with pytest.raises(EvaluationError, match="trained with n_users = 3") as info:
        resolve_config(
            EvaluateArgs(checkpoint=ckpt, env=EnvArgs(set=("n_users=4", "n_frames=2", "n_slots=3")))
        )
    assert info.value.exit_code == 2


def test_a_fitted_checkpoint_from_before_the_scaling_field_is_raw(tmp_path):
    raw = build_config("fitted", overrides={**TINY, "fitted_scaling": "raw"})
    old = raw.to_dict()
    del old["fitted_scaling"]
    record = {"algo": "t2drl", "config": old, "d3pg": {}, "seed": 0, "episodes": 1}
    (tmp_path / "run.json").write_text(json.dumps(record))
    assert checkpoint_config(str(tmp_path)) == raw


@pytest.mark.parametrize("algo", ["ddpg-t2drl", "ddpg"])
def test_trained_agent_evaluates_through_load_policy(cfg, tmp_path, algo):
    """ddpg re-caches every slot through `decide_slot`; ddpg-t2drl holds a cache per frame."""
    out = tmp_path / "run"
    train_main(
        TrainArgs(
            algo=algo,
            env=EnvArgs(overrides=dict(TINY)),
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


def test_a_learned_name_needs_a_checkpoint(cfg):
    with pytest.raises(EvaluationError, match="learned method") as info:
        main(EvaluateArgs(algo="t2drl", seeds=(1,), env=EnvArgs(overrides=dict(TINY))))
    assert info.value.exit_code == 2
