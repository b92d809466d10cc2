"""Slot states of a tiny cell shared by the baseline and GA tests (not a test module)."""

import numpy as np

from rl.baselines.args import GAConfig
from rl.baselines.ga import SlotData
from testbed.batched import BatchedEdgeSim
from testbed.policies import most_popular_cache

TINY = {"n_users": 3, "n_frames": 2, "n_slots": 3}
GA_TINY = GAConfig(pop_size=8, n_gen=4)


def slots(cfg, n_envs=4, seed=0, n=3):
    """`n` successive slot states of `n_envs` copies with the most-popular cache."""
    sim = BatchedEdgeSim(cfg, n_envs, seed)
    sim.reset()
    sim.set_cache(most_popular_cache(sim.params))
    out = []
    for _ in range(n):
        out.append(sim.state)
        sim.step(np.zeros((n_envs, cfg.n_users)), np.zeros((n_envs, cfg.n_users)))
    return out, sim.cache


def slot_data(state, cache, i):
    return SlotData(
        state.distance_m[i], state.fading[i], state.model[i], state.input_bits[i], cache[i]
    )
