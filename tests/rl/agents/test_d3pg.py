"""D3PG (`rl.agents.d3pg`): live NumPy views follow the updates; learning on a tiny cell beats
equal allocation and reaches the slot oracle."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from rl.agents.common import limit_threads, seed_everything
from rl.agents.d3pg import D3PG
from rl.agents.networks import SlotStateEncoder, raw_slot_state
from rl.agents.presets import hyperparameters
from rl.oracle import slot_oracle
from testbed.batched import BatchedEdgeSim
from testbed.config import build_config
from testbed.policies import most_popular_cache
from testbed.system_model import equal_allocation
from tests.rl.tiny import SMALL_D3PG, TINY


def test_live_numpy_sampler_follows_training_updates():
    """D3PG's no-gradient passes (acting, the target actor in (24b)) run through live NumPy
    views of the weights: after updates they still equal the torch forward on the same noise."""
    cfg = build_config("paper", 0, dict(TINY))
    d3pg_args, _ = hyperparameters("t2drl", "paper")
    d3pg_args = dataclasses.replace(d3pg_args, actor_lr=1e-2, critic_lr=1e-2, **SMALL_D3PG)
    agent = D3PG(SlotStateEncoder(cfg), 2 * cfg.n_users, d3pg_args, torch.device("cpu"), 0)
    sim = BatchedEdgeSim(cfg, 8, np.random.default_rng(0))
    sim.reset()
    rng = np.random.default_rng(0)
    for _ in range(4):
        raw = raw_slot_state(sim.state, sim.cache)
        act = agent.act(raw, explore=True)
        res = sim.step(act[:, : cfg.n_users], act[:, cfg.n_users :])
        agent.buffer.add(raw, act, res.reward, raw_slot_state(sim.state, sim.cache), 0.0)
    before = agent.actor.denoiser.in_x.weight.detach().clone()
    for _ in range(3):
        agent.update(rng)
    assert not torch.equal(before, agent.actor.denoiser.in_x.weight)
    raw = raw_slot_state(sim.state, sim.cache)
    for which in ("actor", "actor_target"):
        net = getattr(agent, which)
        gen_state = agent.gen.get_state()
        fast = agent._sample_numpy(agent._numpy_sampler(which), net, raw, False).numpy()
        agent.gen.set_state(gen_state)
        with torch.no_grad():
            ref = net(torch.as_tensor(raw, dtype=torch.float32), agent.gen).numpy()
        np.testing.assert_allclose(fast, ref, atol=1e-5)


def run_allocation(cfg, policy, seeds) -> float:
    """Mean slot reward (23) with the most popular cache and `policy`'s allocation."""
    total = []
    for s in seeds:
        sim = BatchedEdgeSim(cfg, 8, np.random.default_rng(s))
        sim.reset()
        sim.set_cache(most_popular_cache(sim.params))
        while True:
            res = sim.step(*policy(sim.state, sim.cache))
            total.append(res.reward.mean())
            if res.done:
                break
    return float(np.mean(total))


def train_tiny_d3pg(preset: str, episodes: int, algo: str = "t2drl"):
    """D3PG of `preset` (`algo`'s actor: diffusion for t2drl, MLP for ddpg-t2drl) on a U = 3, M = 3 cell with the most popular cache, 8 copies, one
    update per slot; returns (cfg, agent, its greedy allocation as a `run_allocation` policy)."""
    seed_everything(0)  # torch's global generator too: the networks' initial weights
    cfg = build_config("paper", 0, {"n_users": 3, "n_models": 3, "n_frames": 5, "n_slots": 10})
    d3pg_args, _ = hyperparameters(algo, preset)
    agent = D3PG(SlotStateEncoder(cfg), 6, d3pg_args, torch.device("cpu"), seed=0)
    sim = BatchedEdgeSim(cfg, 8, np.random.default_rng(0))
    rng = np.random.default_rng(0)
    cache = most_popular_cache(sim.params)
    for _ in range(episodes):
        sim.reset()
        sim.set_cache(cache)
        obs = raw_slot_state(sim.state, sim.cache)
        while True:
            a = agent.act(obs, explore=True)
            res = sim.step(a[:, :3], a[:, 3:])
            nxt = raw_slot_state(sim.state, sim.cache)
            agent.buffer.add(obs, a, res.reward, nxt, float(res.done))
            if agent.ready():
                agent.update(rng)
            obs = nxt
            if res.done:
                break

    def learned(state, cache):
        a = agent.act(raw_slot_state(state, cache), explore=False)
        return a[:, :3], a[:, 3:]

    return cfg, agent, learned


@pytest.mark.slow
def test_d3pg_beats_equal_allocation():
    limit_threads(1)  # as training does (rl.harness.args.TrainArgs.threads): torch and BLAS
    cfg, _, learned = train_tiny_d3pg("tuned", episodes=30)  # 1 500 updates

    seeds = range(100, 104)
    equal = run_allocation(cfg, lambda s, c: equal_allocation(s.model, c), seeds)
    mine = run_allocation(cfg, learned, seeds)
    print(f"D3PG {mine:.2f} vs equal allocation {equal:.2f} (mean slot reward (23))")
    assert mine > equal


@pytest.mark.slow  # the default run's learning tests: tests/rl/agents/test_t2drl.py (whole agents)
@pytest.mark.parametrize("algo", ["t2drl", "ddpg-t2drl"])
def test_d3pg_with_factored_critic_reaches_the_slot_oracle(algo):
    """D3PG (diffusion actor for T2DRL, MLP actor for DDPG-based T2DRL, `default` preset) on a
    tiny cell with the most popular cache: better than equal allocation and within 5 % of the
    slot oracle's reward (23)."""
    limit_threads(1)
    cfg, agent, learned = train_tiny_d3pg("default", episodes=32, algo=algo)  # 1 600 updates
    params = BatchedEdgeSim(cfg, 1, np.random.default_rng(0)).params

    def oracle(state, cache):
        res = slot_oracle(state, cache, params, cfg.step_amender)
        return res.b, res.xi

    seeds = range(100, 104)
    equal = run_allocation(cfg, lambda s, c: equal_allocation(s.model, c), seeds)
    mine = run_allocation(cfg, learned, seeds)
    best = run_allocation(cfg, oracle, seeds)
    print(f"mean slot reward (23): D3PG {mine:.2f}, equal {equal:.2f}, slot oracle {best:.2f}")
    assert mine > equal
    assert mine >= best * 1.05  # rewards are negative: within 5 % of the oracle's
