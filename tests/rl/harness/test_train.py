"""Training of T2DRL, DDPG-based T2DRL and single-timescale DDPG (`rl.harness.train`): smoke
runs, determinism, the greedy curve, resume, bad input, presets."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from rl.agents.presets import hyperparameters
from rl.harness.train import TrainError, main
from rl.registry import load_policy
from testbed.batched import BatchedEdgeSim
from testbed.config import build_config
from tests.rl.tiny import SMALL_D3PG, TINY, rows, tiny_args


@pytest.mark.parametrize("algo", ["t2drl", "ddpg-t2drl", "ddpg"])
def test_smoke_training_and_policy(tmp_path, algo):
    result = main(tiny_args(tmp_path, algo, tensorboard=True))
    out = tmp_path / algo
    assert result["episodes_done"] == 4
    assert len(rows(out / "progress.csv")) == 4
    assert (out / "tb").is_dir()
    for h in result["history"]:
        assert np.isfinite(h["episode_reward"])
        assert 0.0 <= h["hit_ratio"] <= 1.0
    sd = torch.load(out / "checkpoint.pt", weights_only=True)
    assert sd["trainer"]["episode"] == 4
    policy = load_policy(out)
    cfg = build_config("paper", 0, dict(TINY))
    sim = BatchedEdgeSim(cfg, 2, np.random.default_rng(1))
    sim.reset()
    rng = np.random.default_rng(0)
    cache = policy.choose_cache(sim.gamma, rng)
    assert cache.shape == (2, 3) and np.isin(cache, (0, 1)).all()
    sim.set_cache(cache)
    b, xi = policy.allocate(sim.state, sim.cache, rng)
    assert b.shape == xi.shape == (2, 3)
    assert ((b >= 0) & (b <= 1)).all() and ((xi >= 0) & (xi <= 1)).all()


@pytest.mark.parametrize("preset", ["paper", "default"])
def test_same_seed_same_curve(tmp_path, preset):
    a = main(tiny_args(tmp_path / "a", preset=preset))["history"]
    b = main(tiny_args(tmp_path / "b", preset=preset))["history"]
    c = main(tiny_args(tmp_path / "c", preset=preset, seed=1))["history"]
    curve = lambda h: [r["episode_reward"] for r in h]  # noqa: E731
    greedy = lambda h: [r["greedy_utility"] for r in h if np.isfinite(r["greedy_utility"])]  # noqa: E731
    assert curve(a) == curve(b)
    assert greedy(a) == greedy(b) and len(greedy(a)) == 2  # episodes 2 and 4
    assert curve(a) != curve(c)


def test_greedy_curve_leaves_training_unchanged(tmp_path):
    """Scoring the greedy policy every episode draws nothing from training's generators."""
    with_greedy = main(tiny_args(tmp_path / "a", "ddpg-t2drl", greedy_every=1))["history"]
    without = main(tiny_args(tmp_path / "b", "ddpg-t2drl", greedy_every=0))["history"]
    assert [r["episode_reward"] for r in with_greedy] == [r["episode_reward"] for r in without]
    assert all(np.isfinite(r["greedy_utility"]) for r in with_greedy)
    assert not any(np.isfinite(r["greedy_utility"]) for r in without)


@pytest.mark.parametrize(
    ("algo", "preset"), [("t2drl", "paper"), ("ddpg", "paper"), ("t2drl", "default")]
)
def test_resume_equals_uninterrupted(tmp_path, algo, preset):
    full = main(tiny_args(tmp_path / "full", algo, preset, episodes=5))
    part = tiny_args(tmp_path / "part", algo, preset, episodes=5, stop_after=2)
    first = main(part)
    assert first["episodes_done"] == 2
    # an episode run past the checkpoint and then lost (crash before the next checkpoint)
    second = main(dataclasses.replace(part, stop_after=None))
    assert second["episodes_done"] == 5
    assert rows(tmp_path / "full" / algo / "progress.csv") == rows(
        tmp_path / "part" / algo / "progress.csv"
    )
    a = torch.load(tmp_path / "full" / algo / "policy.pt", weights_only=True)
    b = torch.load(tmp_path / "part" / algo / "policy.pt", weights_only=True)
    key = "d3pg" if algo == "t2drl" else "agent"
    for name, t in a[key]["actor"].items():
        assert torch.equal(t, b[key]["actor"][name])
    assert [r["episode_reward"] for r in full["history"][2:]] == [
        r["episode_reward"] for r in second["history"]
    ]


def test_resume_after_crash_between_checkpoints(tmp_path):
    """Episodes after the last checkpoint are redone; the CSV is cut back to the checkpoint."""
    full = main(tiny_args(tmp_path / "full", episodes=4, checkpoint_every=2))
    args = tiny_args(tmp_path / "part", episodes=4, checkpoint_every=2, stop_after=3)
    main(args)  # checkpoint at 2, episode 3 written to the CSV but not checkpointed
    main(dataclasses.replace(args, stop_after=None))
    assert rows(tmp_path / "full" / "t2drl" / "progress.csv") == rows(
        tmp_path / "part" / "t2drl" / "progress.csv"
    )
    assert full["episodes_done"] == 4


def test_bad_input_raises_exit_code_2(tmp_path):
    with pytest.raises(TrainError) as e:
        main(tiny_args(tmp_path, algo="ppo"))
    assert e.value.exit_code == 2
    with pytest.raises(TrainError):
        main(tiny_args(tmp_path, preset="fast"))
    with pytest.raises(TrainError):
        load_policy(tmp_path / "nowhere" / "policy.pt")
    main(tiny_args(tmp_path, episodes=1))
    with pytest.raises(TrainError, match="different run"):
        main(tiny_args(tmp_path, episodes=2, seed=3))
    with pytest.raises(TrainError, match="compile differs"):  # before anything is compiled
        main(tiny_args(tmp_path, episodes=2, compile=True))


@pytest.mark.slow
@pytest.mark.parametrize("algo", ["t2drl", "ddpg"])
def test_compiled_training_is_reproducible_and_resumes(tmp_path, algo):
    """--compile: same seed, same numbers; resume equals uninterrupted; the first update
    agrees with eager to float rounding (the runs then drift apart, as chaotic training does)."""
    compiled = main(tiny_args(tmp_path / "a", algo, compile=True))["history"]
    again = main(tiny_args(tmp_path / "b", algo, compile=True, stop_after=2))
    assert again["episodes_done"] == 2
    resumed = main(tiny_args(tmp_path / "b", algo, compile=True))["history"]
    curve = lambda h: [r["episode_reward"] for r in h]  # noqa: E731
    assert curve(compiled)[2:] == curve(resumed)
    assert curve(compiled)[:2] == curve(again["history"])
    eager = main(tiny_args(tmp_path / "c", algo))["history"]
    first = next(i for i, r in enumerate(eager) if not np.isnan(r["critic_loss"]))
    assert compiled[first]["critic_loss"] == pytest.approx(eager[first]["critic_loss"], rel=1e-4)


@pytest.mark.parametrize("algo", ["t2drl", "ddpg-t2drl", "ddpg"])
def test_default_preset_smoke(tmp_path, algo):
    hist = main(tiny_args(tmp_path, algo, "default", episodes=3))["history"]
    assert all(np.isfinite(h["episode_reward"]) for h in hist)
    assert all(h["over_capacity_share"] == 0.0 for h in hist)  # Q(gamma, rho) / feasible DDPG
    policy = load_policy(tmp_path / algo)
    critic = (policy.d3pg if algo != "ddpg" else policy.agent).critic
    assert type(critic).__name__ == "FactoredCritic"


@pytest.mark.parametrize("algo", ["t2drl", "ddpg-t2drl", "ddpg"])
def test_tuned_preset_smoke(tmp_path, algo):
    d3pg, ddqn = hyperparameters(algo, "tuned")
    d3pg = dataclasses.replace(d3pg, **SMALL_D3PG)
    ddqn = dataclasses.replace(ddqn, batch_size=4, learning_starts=4)
    args = tiny_args(tmp_path, algo, preset="tuned", episodes=3, d3pg=d3pg, ddqn=ddqn)
    hist = main(args)["history"]
    assert all(np.isfinite(h["episode_reward"]) for h in hist)
    assert all(h["over_capacity_share"] == 0.0 for h in hist)  # masked (DDQN) / feasible (DDPG)
    assert load_policy(tmp_path / algo).name in ("T2DRL", "DDPG-T2DRL", "DDPG")
