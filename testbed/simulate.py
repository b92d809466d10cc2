"""A short simulation with random caching and equal allocation (RCARS's policy), batched.

The reference point every method is compared with, and the project's smoke job.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from testbed.batched import BatchedEdgeSim
from testbed.config import EdgeConfig
from testbed.policies import random_cache
from testbed.system_model import equal_allocation, slot_metrics


@dataclass
class SimulationSummary:
    episodes: int
    hit_ratio: np.ndarray  # per episode
    utility: np.ndarray
    violation_share: np.ndarray
    slot_reward: np.ndarray
    frame_reward: np.ndarray


def simulate_random_equal(
    cfg: EdgeConfig, episodes: int, seed: int, progress=None
) -> SimulationSummary:
    """`episodes` independent episodes stepped together; `progress(frame)` is called per frame."""
    rng = np.random.default_rng(seed)
    sim = BatchedEdgeSim(cfg, n_envs=episodes, rng=rng)
    sim.reset()
    sums = {
        k: np.zeros(episodes) for k in ("hit_ratio", "utility", "violation_share", "slot_reward")
    }
    frame_rewards = np.zeros(episodes)
    slots = 0
    while not sim.done:
        if sim.slot == 0:
            sim.set_cache(random_cache(sim.params, rng, episodes))
        b, xi = equal_allocation(sim.state.model, sim.cache)
        res = sim.step(b, xi)
        for k, v in slot_metrics(res.outcome).items():
            sums[k] += v
        sums["slot_reward"] += res.reward
        slots += 1
        if res.frame_end:
            frame_rewards += res.frame_reward
            if progress is not None:
                progress(sim.frame)
    return SimulationSummary(
        episodes=episodes,
        hit_ratio=sums["hit_ratio"] / slots,
        utility=sums["utility"] / slots,
        violation_share=sums["violation_share"] / slots,
        slot_reward=sums["slot_reward"] / slots,
        frame_reward=frame_rewards / cfg.n_frames,
    )
