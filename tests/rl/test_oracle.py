"""The oracle (rl/oracle.py): exact per-user minimisation, brute force on tiny slots, never worse
than the other methods, the amender round trip, P3 on a constructed case, the policy contract."""

import numpy as np
import pytest
import torch

from rl.baselines.ga import GAConfig, SlotData, solve_slot
from rl.oracle import (
    OracleArgs,
    OracleError,
    OraclePolicy,
    _log_g_and_slope,
    _loglog_q_and_slope,
    _root_g,
    _root_q,
    achieved_reward,
    build_problem,
    evaluate,
    fitting_caches,
    frame_oracle,
    slot_oracle,
)
from rl.oracle import main as oracle_main
from testbed.batched import BatchedEdgeSim
from testbed.config import build_config
from testbed.policies import most_popular_cache
from testbed.rollout import run_seed
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


def test_roots_invert_the_special_functions():
    logx = np.random.default_rng(0).uniform(-60.0, 60.0, 2000)
    log_g = _log_g_and_slope(logx)[0]
    np.testing.assert_allclose(_root_g(log_g, exact=True)[0], logx, atol=1e-9)
    log_q = -np.exp(_loglog_q_and_slope(logx)[0])
    np.testing.assert_allclose(_root_q(log_q, exact=True), logx, atol=1e-9)


@pytest.mark.parametrize("preset,amender", CONFIGS)
def test_lagrangian_minimum_is_exact_per_user(preset, amender):
    """min over (b, s) of c_u + lam b + mu s: never above a grid's minimum, and close to it."""
    cfg = make_cfg(preset, amender, 3)
    sim = slots(cfg, 2, 5)
    st, p = sim.state, sim.params
    prob = build_problem(st, sim.cache, p, amender)
    rng = np.random.default_rng(1)
    log_lam = np.full((1, 2), np.log(10 ** rng.uniform(0, 2.5)))
    mu = np.full((1, 2), rng.uniform(-0.5, 0.3) * (1 if preset == "paper" else 5))
    ev = evaluate(prob, log_lam, mu, exact=True, detail=True)
    b = np.concatenate([[0.0], np.logspace(-6, 0, 300)])
    s = np.linspace(0.0, p.total_denoising_steps, 401)
    s = np.unique(np.concatenate([s, prob.lo.ravel(), prob.hi.ravel(), prob.s_hi_sat.ravel()]))
    s = s[(s >= 0) & (s <= p.total_denoising_steps)]
    B, S = np.meshgrid(b, s, indexing="ij")
    for n in range(2):
        for u in range(3):
            shape = B.shape + (3,)
            bb, xi = np.zeros(shape), np.zeros(shape)
            bb[..., u], xi[..., u] = B, S / p.total_denoising_steps
            rep = lambda a: np.broadcast_to(a[n], shape)  # noqa: B023, E731
            cache = np.broadcast_to(sim.cache[n], B.shape + (p.n_models,))
            out = evaluate_slot(
                rep(st.distance_m), rep(st.fading), rep(st.model), rep(st.input_bits), cache,
                bb, xi, p, check=False,
            )  # fmt: skip
            cost = out.utility[..., u] + p.slot_penalty * out.violated[..., u]
            steps = S if prob.hit[n, u] else 0.0
            grid_min = (cost + np.exp(log_lam[0, n]) * B + mu[0, n] * steps).min()
            mine = ev.user_min[0, n, u]
            assert mine <= grid_min + 1e-7
            assert grid_min - mine <= 1e-3 * (1.0 + abs(grid_min))


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


@pytest.mark.parametrize("amender", ["normalise", "cap"])
def test_raw_action_round_trip(amender):
    """The raw action is a fixed point of the amender, and the simulator scores it as reported."""
    cfg = make_cfg("paper", amender, 6)
    sim = slots(cfg, 5, 2)
    res = slot_oracle(sim.state, sim.cache, sim.params, amender)
    b, xi = amend_action(res.b, res.xi, sim.state.model, sim.cache, amender)
    np.testing.assert_allclose(b, res.b, atol=1e-12)
    np.testing.assert_allclose(xi, res.xi, atol=1e-12)
    step = sim.step(res.b, res.xi)
    np.testing.assert_allclose(step.reward, res.reward, rtol=0, atol=1e-12)


def test_no_hits_and_proven_optimal_slots():
    """An empty cache leaves only bandwidth to share; the bound then closes (gap ~ 0)."""
    cfg = make_cfg("paper", "normalise", 4)
    sim = slots(cfg, 3, 8)
    empty = np.zeros_like(sim.cache)
    res = slot_oracle(sim.state, empty, sim.params, "normalise")
    assert (res.xi == 0).all()
    assert (res.gap <= 1e-6).all()


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


def test_p3_picks_the_known_best_cache():
    cfg = constructed_cfg()
    res = frame_oracle(cfg, 1.2, n_samples=24, seed=0)
    assert len(res.caches) == 4  # empty and one model each: (11d) allows exactly one
    assert res.best_cache.tolist() == [0, 1, 0]
    assert res.margin > 0 and np.isfinite(res.best_stderr)
    worst = res.caches[np.argmin(res.mean)].tolist()
    assert worst == [1, 0, 0]


def test_fitting_caches_respect_capacity():
    cfg = make_cfg("paper", "cap", 3)
    p = BatchedEdgeSim(cfg, 1, 0).params
    caches = fitting_caches(p)
    assert (caches @ p.storage_GB <= p.cache_capacity_GB + 1e-12).all()
    assert caches[0].sum() == 0


def test_oracle_policy_runs_in_the_evaluator():
    cfg = constructed_cfg()
    policy = OraclePolicy(cfg, n_frame_samples=8, seed=0)
    row = run_seed(policy, cfg, seed=3)
    assert np.isfinite(row["slot_reward"]) and row["decision_time_ms"] > 0
    table = policy.frame_table()
    assert [r["gamma"] for r in table] == [1.2]
    assert table[0]["best_cache"] == [0, 1, 0]
    again = OraclePolicy(cfg, n_frame_samples=8, seed=0)
    assert again.frame_table() == table


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


def test_slots_report_times_batches_of_slots():
    """`python -m rl.oracle slots --batch N`: N slots per call, per-slot statistics over all."""
    doc = oracle_main(OracleArgs(what="slots", users=(3,), slots=2, batch=4))
    (row,) = doc["rows"]
    assert row["n_users"] == 3 and row["batch"] == 4
    assert row["ms_per_slot_mean"] > 0 and row["gap_mean"] >= 0
    with pytest.raises(OracleError, match="--batch"):
        oracle_main(OracleArgs(what="slots", users=(3,), batch=0))
