"""The slot oracle (rl/oracle/slot.py): brute force on tiny slots, never worse than the other
methods, proven optimal where only bandwidth is shared."""

import numpy as np
import pytest
import torch

from rl.baselines.args import GAConfig
from rl.baselines.ga import SlotData, solve_slot
from rl.oracle.primal import achieved_reward
from rl.oracle.slot import slot_oracle
from testbed.batched import BatchedEdgeSim
from testbed.config import build_config
from tests.rl.oracle.conftest import CONFIGS, brute_force, make_cfg, random_allocations, slots


@pytest.mark.parametrize("preset,amender", CONFIGS)
def test_brute_force_two_users(preset, amender):
    """U = 2, grid step 1/400 in b and in xi (1/100 per user under cap, where both users' step
    shares are free): the oracle is never beaten by the grid, agrees with it within the grid's
    resolution, and its certified bound is never below it."""
    cfg = make_cfg(preset, amender, 2)
    sim = slots(cfg, 3, 3)
    res = slot_oracle(sim.state, sim.cache, sim.params, amender)
    step_points = 100 if amender == "cap" else 400
    for n in range(3):
        grid = brute_force(sim.state, sim.cache, sim.params, amender, n, 400, step_points)
        assert grid <= res.reward[n] + 1e-9
        assert grid <= res.upper_bound[n] + 1e-9
        assert res.reward[n] - grid <= 0.05 * (1.0 + abs(grid))


@pytest.mark.parametrize("preset,amender", [("paper", "normalise"), ("fitted", "cap")])
def test_brute_force_three_users(preset, amender):
    """U = 3 on a coarser grid (step 1/24): never beaten, bound never below the grid."""
    cfg = make_cfg(preset, amender, 3)
    sim = slots(cfg, 2, 4)
    res = slot_oracle(sim.state, sim.cache, sim.params, amender)
    for n in range(2):
        grid = brute_force(sim.state, sim.cache, sim.params, amender, n, 24, 12)
        assert grid <= res.reward[n] + 1e-9
        assert grid <= res.upper_bound[n] + 1e-9


@pytest.mark.parametrize("preset,amender", CONFIGS)
def test_never_worse_than_other_methods(preset, amender):
    """Same slots: equal allocation (RCARS), SCHRS's GA, an untrained T2DRL actor and the best of
    1,000 random allocations never beat the oracle, nor its bound."""
    from rl.registry import untrained_policy

    torch.set_num_threads(1)
    cfg = make_cfg(preset, amender, 5)
    sim = slots(cfg, 4, 11)
    st, p = sim.state, sim.params
    res = slot_oracle(st, sim.cache, p, amender)
    rng = np.random.default_rng(0)
    others = {"equal": achieved_reward(st, sim.cache, p, amender, *(np.zeros((4, 5)),) * 2)}
    actor = untrained_policy("t2drl", cfg)
    others["t2drl-untrained"] = achieved_reward(
        st, sim.cache, p, amender, *actor.allocate(st, sim.cache, rng)
    )
    ga = np.empty(4)
    for n in range(4):
        data = SlotData(st.distance_m[n], st.fading[n], st.model[n], st.input_bits[n], sim.cache[n])
        sol = solve_slot(data, p, GAConfig(pop_size=16, n_gen=10), seed=n)
        ga[n] = achieved_reward(
            st, sim.cache, p, amender, np.tile(sol.b_raw, (4, 1)), np.tile(sol.xi_raw, (4, 1))
        )[n]
    others["schrs-ga"] = ga
    others["random-1000"] = np.array([random_allocations(sim, n, 1000, rng) for n in range(4)])
    for name, r in others.items():
        assert (r <= res.reward + 1e-9).all(), name
        assert (r <= res.upper_bound + 1e-9).all(), name
    assert (res.gap >= -1e-9).all()


def test_no_hits_and_proven_optimal_slots():
    """An empty cache leaves only bandwidth to share; the bound then closes (gap ~ 0)."""
    cfg = make_cfg("paper", "normalise", 4)
    sim = slots(cfg, 3, 8)
    empty = np.zeros_like(sim.cache)
    res = slot_oracle(sim.state, empty, sim.params, "normalise")
    assert (res.xi == 0).all()
    assert (res.gap <= 1e-6).all()


@pytest.mark.slow
@pytest.mark.parametrize("preset,amender", CONFIGS)
def test_never_worse_than_default_ga_and_random_search(preset, amender):
    """U = 10, 12 slots with random caches: the default GA (40 x 50) and the best of 20,000
    random allocations per slot never beat the oracle (docs/oracle.md quotes the margins)."""
    from testbed.policies import random_cache

    cfg = build_config(preset, 0, {"n_users": 10, "step_amender": amender})
    sim = BatchedEdgeSim(cfg, 12, 7)
    sim.reset()
    rng = np.random.default_rng(0)
    sim.set_cache(random_cache(sim.params, rng, 12))
    st, p = sim.state, sim.params
    res = slot_oracle(st, sim.cache, p, amender)
    ga = np.empty(12)
    for n in range(12):
        data = SlotData(st.distance_m[n], st.fading[n], st.model[n], st.input_bits[n], sim.cache[n])
        sol = solve_slot(data, p, GAConfig(), seed=n)
        tiled = np.tile(sol.b_raw, (12, 1)), np.tile(sol.xi_raw, (12, 1))
        ga[n] = achieved_reward(st, sim.cache, p, amender, *tiled)[n]
    rnd = np.array([random_allocations(sim, n, 20_000, rng) for n in range(12)])
    print(
        f"{preset} {amender}: min margin over the GA {np.min(res.reward - ga):.3g}, "
        f"over random search {np.min(res.reward - rnd):.3g}, mean gap {res.gap.mean():.3g}"
    )
    assert (ga <= res.reward + 1e-9).all()
    assert (rnd <= res.reward + 1e-9).all()
