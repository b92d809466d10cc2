"""docs/examples/sb3_slot_agent.py: a Stable-Baselines3 agent trained on the slot env and scored
by the project's evaluator. A few hundred steps on a tiny env: it runs and is scored, not that it
learns (the docs give a real run's numbers)."""

import math

import pytest

from .conftest import load_example

pytest.importorskip("stable_baselines3")

from testbed.rollout import METRICS  # noqa: E402


def test_sb3_agent_is_scored_beside_the_oracle(capsys):
    ex = load_example("sb3_slot_agent")
    args = ex.Args(
        timesteps=300,
        batch_size=32,
        learning_starts=100,
        hidden=16,
        users=3,
        frames=2,
        slots=5,
        eval_seeds=(1000,),
    )
    results = ex.main(args)
    assert set(results) == {"SB3-SAC", "equal allocation", "oracle"}
    for row in results.values():
        assert set(row) == set(METRICS) | {"gap_pct"}
        assert all(math.isfinite(v) for v in row.values())
    assert results["oracle"]["gap_pct"] == 0.0
    # the oracle is the best allocation of each slot, so nothing scores a lower utility
    assert results["SB3-SAC"]["utility"] >= results["oracle"]["utility"] - 1e-9
    assert "SB3-SAC" in capsys.readouterr().out


def test_command_line_mirrors_args():
    ex = load_example("sb3_slot_agent")
    args = ex.parse_args(["--timesteps", "5", "--seed", "3", "--eval-seeds", "7", "8"])
    assert args == ex.Args(timesteps=5, seed=3, eval_seeds=(7, 8))


def test_same_seed_same_agent():
    ex = load_example("sb3_slot_agent")
    args = ex.Args(timesteps=200, learning_starts=100, hidden=16, batch_size=32)
    cfg = ex.build_config("paper", seed=0, overrides={"n_users": 3, "n_frames": 2, "n_slots": 5})
    actions = []
    for _ in range(2):
        model, env = ex.train(args, cfg)
        obs, _ = env.reset(seed=7)
        actions.append(model.predict(obs, deterministic=True)[0])
    assert (actions[0] == actions[1]).all()
