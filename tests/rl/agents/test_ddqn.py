"""DDQN (`rl.agents.ddqn`): both Q readings find the known best cache."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rl.agents.args import DDQNArgs
from rl.agents.ddqn import DDQN
from testbed.batched import BatchedEdgeSim
from testbed.config import build_config
from testbed.system_model import decode_cache, equal_allocation
from tests.rl.tiny import TINY


def known_cache_config():
    """3 models, room for one; model 0 is by far the most requested (gamma = 3) and the
    backhaul is slow (1 Mbps), so caching model 0 alone (index 0b100 = 4) is best."""
    return build_config(
        "paper",
        0,
        {
            **TINY,
            "n_users": 4,
            "n_slots": 2,
            "popularity_states": [3.0],
            "popularity_transition": [[1.0]],
            "model_storage_GB": [6.0, 6.0, 6.0],
            "cache_capacity_GB": 8.0,
            "B1_s_per_step": [0.001, 0.001, 0.001],
            "bs_to_cloud_rate_bps": 1e6,
            "cloud_to_bs_rate_bps": 1e6,
        },
    )


@pytest.mark.parametrize("q_input", ["index", "cache"])
def test_ddqn_finds_the_best_cache(q_input):
    torch.set_num_threads(1)
    cfg = known_cache_config()
    n = 16
    sim = BatchedEdgeSim(cfg, n, np.random.default_rng(0))
    args = DDQNArgs(
        lr=3e-3,
        discount=0.0,
        reward_scale=0.01,
        batch_size=64,
        learning_starts=64,
        q_input=q_input,
    )
    agent = DDQN(sim.params, 3.0, args, torch.device("cpu"), gammas=(3.0,))
    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    frames, total = 0, 40 * cfg.n_frames * n
    for _ in range(40):
        sim.reset()
        for _t in range(cfg.n_frames):
            gamma = sim.gamma.copy()
            idx = agent.act(gamma, rng, agent.epsilon(frames, total))
            sim.set_cache(decode_cache(idx, cfg.n_models))
            while True:
                res = sim.step(*equal_allocation(sim.state.model, sim.cache))
                if res.frame_end:
                    break
            agent.buffer.add(gamma[:, None], idx[:, None], res.frame_reward, sim.gamma, res.done)
            frames += n
            if agent.ready():
                for _ in range(4):
                    agent.update(rng)
    assert agent.act(np.array([3.0]), rng, 0.0)[0] == 4


def test_cache_q_network_finds_the_best_of_many_caches():
    """Q(gamma, rho) on a bandit with a known answer: 6 models, room for 3; each gamma has its
    own best cache among the 42 that fit, found by enumerating them after 300 updates."""
    torch.set_num_threads(1)
    cfg = build_config(
        "paper",
        0,
        {"n_models": 6, "model_storage_GB": [4.0] * 6, "cache_capacity_GB": 12.0},
    )
    params = BatchedEdgeSim(cfg, 1, np.random.default_rng(0)).params
    args = DDQNArgs(lr=3e-3, discount=0.0, batch_size=64, learning_starts=64, q_input="cache")
    agent = DDQN(params, 0.9, args, torch.device("cpu"), gammas=(0.2, 0.5, 0.9))
    gammas = np.array([0.2, 0.5, 0.9])
    weights = np.array([[3, 2, 1, 0, -1, -2], [-2, -1, 0, 1, 2, 3], [0, 3, -1, 3, -1, 2.5]])

    def reward(g, idx):  # additive value of the models held, per gamma, plus noise
        return (decode_cache(idx, 6) * weights[np.searchsorted(gammas, g)]).sum(-1)

    rng = np.random.default_rng(0)
    for _ in range(300):
        g = rng.choice(gammas, 16)
        idx = agent.act(g, rng, epsilon=1.0)
        r = reward(g, idx) + rng.normal(0, 0.5, 16)
        agent.buffer.add(g[:, None], idx[:, None], r, g, 1.0)
        if agent.ready():
            agent.update(rng)
    fits = agent.feasible_idx
    best = [fits[np.argmax(reward(np.full(len(fits), g), fits))] for g in gammas]
    assert agent.act(gammas, rng, 0.0).tolist() == best
