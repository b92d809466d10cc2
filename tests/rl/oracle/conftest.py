"""Shared helpers of the oracle tests: configurations, simulated slots, brute force on tiny
slots, random allocations, and the constructed P3 case."""

import numpy as np

from testbed.batched import BatchedEdgeSim
from testbed.config import build_config
from testbed.policies import most_popular_cache
from testbed.system_model import amend_action, evaluate_slot, slot_reward

CONFIGS = [
    ("paper", "normalise"),
    ("paper", "cap"),
    ("fitted", "normalise"),
    ("fitted", "cap"),
]


def make_cfg(preset, amender, users, **over):
    extra = {"n_models": 4} if preset == "paper" else {}
    return build_config(preset, 0, {"n_users": users, "step_amender": amender, **extra, **over})


def slots(cfg, n, seed):
    sim = BatchedEdgeSim(cfg, n, seed)
    sim.reset()
    sim.set_cache(most_popular_cache(sim.params))
    return sim


def brute_force(state, cache, params, amender, n, points, step_points=None):
    """Best slot reward over a grid of the amender's range (U = 2 or 3): `points` + 1 values per
    bandwidth share, `step_points` + 1 per step share (default the same)."""
    u = state.model.shape[1]
    hit = cache[n][state.model[n]] > 0

    def simplex(k, g):
        if k == 1:
            return np.ones((1, 1))
        if k == 2:
            return np.stack([g, 1 - g], -1)
        a, b = np.meshgrid(g, g, indexing="ij")
        m = a + b <= 1 + 1e-12
        return np.stack([a[m], b[m], np.clip(1 - a[m] - b[m], 0, 1)], -1)

    g = np.linspace(0.0, 1.0, points + 1)
    bands = simplex(u, g)
    g = np.linspace(0.0, 1.0, (step_points or points) + 1)
    k = int(hit.sum())
    if k == 0:
        steps = np.zeros((1, 0))
    elif amender == "normalise":
        steps = simplex(k, g)
    else:
        grids = np.meshgrid(*([g] * k), indexing="ij")
        steps = np.stack([q.ravel() for q in grids], -1)
        steps = steps[steps.sum(-1) <= 1 + 1e-12]
    xi = np.zeros((len(steps), u))
    xi[:, hit] = steps
    bb = np.repeat(bands, len(xi), 0)
    xx = np.tile(xi, (len(bands), 1))
    rep = lambda a: np.broadcast_to(a[n], bb.shape)  # noqa: E731
    cache_b = np.broadcast_to(cache[n], (len(bb), params.n_models))
    out = evaluate_slot(
        rep(state.distance_m), rep(state.fading), rep(state.model), rep(state.input_bits),
        cache_b, bb, xx, params, check=False,
    )  # fmt: skip
    return slot_reward(out, params).max()


def random_allocations(sim, n, count, rng):
    u = sim.cfg.n_users
    b, xi = rng.random((count, u)), rng.random((count, u))
    xi *= rng.random((count, 1))  # some actions with idle steps (cap)
    st = sim.state
    rep = lambda a: np.broadcast_to(a[n], (count, u))  # noqa: E731
    cache = np.broadcast_to(sim.cache[n], (count, sim.params.n_models))
    bb, xx = amend_action(b, xi, rep(st.model), cache, sim.cfg.step_amender)
    out = evaluate_slot(
        rep(st.distance_m), rep(st.fading), rep(st.model), rep(st.input_bits), cache, bb, xx,
        sim.params, check=False,
    )  # fmt: skip
    return slot_reward(out, sim.params).max()


def constructed_cfg():
    """Three models that differ only in quality; exactly one fits. Model 1 (the most popular)
    runs its first 1,500 steps without improving (A1 > L), so a hit on it gets TV A2 = 10,000,
    far worse than the cloud: caching it is obviously wrong; model 2 (next in popularity) is
    the best cache."""
    common = {
        "n_users": 4,
        "n_frames": 2,
        "n_slots": 2,
        "step_amender": "cap",
        "cache_capacity_GB": 5.0,
        "popularity_states": [1.2],
        "popularity_transition": [[1.0]],
        "model_ids": ["m1", "m2", "m3"],
        "model_storage_GB": [5.0, 5.0, 5.0],
        "model_output_MB": [6.0, 6.0, 6.0],
        "A1_steps": [1500.0, 60.0, 60.0],
        "A2_tv": [1e4, 120.0, 120.0],
        "A3_steps": [2000.0, 160.0, 160.0],
        "A4_tv": [20.0, 20.0, 20.0],
        "B1_s_per_step": [0.01, 0.01, 0.01],
        "B2_s": [1.0, 1.0, 1.0],
        "bs_to_cloud_rate_bps": 5e6,
        "cloud_to_bs_rate_bps": 5e6,
    }
    return build_config("paper", 0, common)
