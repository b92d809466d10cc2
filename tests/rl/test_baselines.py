"""Baselines of 7.2 / V-B: capacity, seeding, the GA never worse than equal allocation."""

import numpy as np
import pytest

from rl.baselines.ga import (
    GAConfig,
    SlotData,
    cache_to_genes,
    decode_cache_genes,
    slot_fitness,
    solve_slot,
)
from rl.baselines.policies import HCRAS, RCARS, SCHRS, UnknownAlgorithmError, make_baseline
from testbed.batched import BatchedEdgeSim
from testbed.config import build_config
from testbed.policies import most_popular_cache
from testbed.rollout import run_seed
from testbed.system_model import (
    SystemParams,
    amend_action,
    cache_over_capacity,
    equal_allocation,
    evaluate_slot,
    slot_reward,
)

TINY = {"n_users": 3, "n_frames": 2, "n_slots": 3}
GA_TINY = GAConfig(pop_size=8, n_gen=4)


@pytest.fixture(scope="module")
def cfg():
    return build_config("paper", 0, TINY)


@pytest.fixture(scope="module")
def params(cfg):
    return SystemParams.from_config(cfg)


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


@pytest.mark.parametrize("name", ["rcars", "schrs", "hcras"])
def test_each_baseline_runs_an_episode(cfg, name):
    policy = make_baseline(name, cfg, GA_TINY)
    row = run_seed(policy, cfg, seed=3)
    assert all(np.isfinite(v) for v in row.values())
    assert 0.0 <= row["hit_ratio"] <= 1.0 and 0.0 <= row["violation_share"] <= 1.0
    assert row["frame_reward"] >= -1e9 and row["decision_time_ms"] > 0


@pytest.mark.parametrize("name", ["rcars", "schrs", "hcras"])
def test_same_seed_same_numbers(cfg, name):
    a = run_seed(make_baseline(name, cfg, GA_TINY), cfg, seed=7)
    b = run_seed(make_baseline(name, cfg, GA_TINY), cfg, seed=7)
    a.pop("decision_time_ms"), b.pop("decision_time_ms")
    assert a == b


def test_rcars_caches_fill_to_capacity_and_vary(params, cfg):
    caches = RCARS(cfg).choose_cache(np.full(200, 0.5), np.random.default_rng(0))
    assert caches.shape == (200, params.n_models)
    assert not cache_over_capacity(caches, params).any()
    used = (caches * params.storage_GB).sum(axis=-1)
    left = params.cache_capacity_GB - used
    for c, room in zip(caches, left, strict=True):  # filled: no uncached model still fits
        assert (params.storage_GB[c == 0] > room + 1e-12).all()
    assert len({tuple(c) for c in caches}) > 1


def test_rcars_allocation_is_equal(cfg):
    (state, *_), cache = slots(cfg)
    b_raw, xi_raw = RCARS(cfg).allocate(state, cache, np.random.default_rng(0))
    b, xi = amend_action(b_raw, xi_raw, state.model, cache)
    b_eq, xi_eq = equal_allocation(state.model, cache)
    np.testing.assert_allclose(b, b_eq)
    np.testing.assert_allclose(xi, xi_eq)


def test_schrs_cache_is_popularity_greedy_for_every_gamma(cfg, params):
    # Greedy by expected popularity: Zipf ranks in order (the order is the same for any gamma),
    # each model kept if it still fits.
    expected, used = np.zeros(params.n_models, dtype=np.int8), 0.0
    for m in range(params.n_models):
        if used + params.storage_GB[m] <= params.cache_capacity_GB:
            expected[m], used = 1, used + params.storage_GB[m]
    caches = SCHRS(cfg).choose_cache(np.array([0.2, 0.5, 0.7]), np.random.default_rng(0))
    for c in caches:
        np.testing.assert_array_equal(c, expected)
    np.testing.assert_array_equal(expected, most_popular_cache(params))


def test_decoded_caches_respect_capacity(params):
    genes = np.random.default_rng(1).random((500, params.n_models))
    caches = decode_cache_genes(genes, params)
    assert not cache_over_capacity(caches, params).any()
    assert ((caches == 0) | (genes > 0.5)).all()  # only wanted models are cached


def test_cache_genes_round_trip(params):
    rng = np.random.default_rng(2)
    from testbed.policies import random_cache

    for cache in random_cache(params, rng, n=50):
        np.testing.assert_array_equal(
            decode_cache_genes(cache_to_genes(cache)[None], params)[0], cache
        )


def test_fitness_scores_the_population_as_a_batch(cfg, params):
    (state, *_), cache = slots(cfg)
    slot = slot_data(state, cache, 0)
    X = np.random.default_rng(3).random((16, 2 * cfg.n_users))
    u = cfg.n_users
    f = slot_fitness(slot, X[:, :u], X[:, u:], params, penalty=True)
    for row, value in zip(X, f, strict=True):
        b, xi = amend_action(row[:u], row[u:], slot.model, slot.cache)
        out = evaluate_slot(
            slot.distance_m, slot.fading, slot.model, slot.input_bits, slot.cache, b, xi, params
        )
        assert value == pytest.approx(-slot_reward(out, params))  # -(23) with chi


@pytest.mark.parametrize("with_cache", [False, True])
def test_ga_never_worse_than_equal_allocation(cfg, params, with_cache):
    states, cache = slots(cfg, n_envs=3, n=3)
    for k, state in enumerate(states):
        for i in range(3):
            slot = slot_data(state, cache, i)
            sol = solve_slot(
                slot, params, GAConfig(pop_size=4, n_gen=1), seed=k * 10 + i, with_cache=with_cache
            )
            b_eq, xi_eq = equal_allocation(slot.model, slot.cache)
            equal = slot_fitness(slot, b_eq[None], xi_eq[None], params)[0]
            assert sol.equal_fitness == pytest.approx(equal)
            assert sol.fitness <= equal + 1e-9
            c = slot.cache if sol.cache is None else sol.cache
            assert sol.fitness == pytest.approx(
                slot_fitness(slot, sol.b_raw[None], sol.xi_raw[None], params, cache=c[None])[0]
            )


def test_ga_improves_on_equal_allocation_at_paper_size():
    cfg = build_config("paper", 0, {"n_users": 10})
    params = SystemParams.from_config(cfg)
    (state, *_), cache = slots(cfg, n_envs=1, n=1)
    sol = solve_slot(slot_data(state, cache, 0), params, GAConfig(pop_size=20, n_gen=10), seed=0)
    assert sol.fitness < sol.equal_fitness - 1.0


def test_hcras_slot_caches_respect_capacity(cfg, params):
    states, cache = slots(cfg, n_envs=3, n=2)
    hcras = HCRAS(cfg, GA_TINY)
    for state in states:
        caches, b, xi = hcras.decide_slot(state, cache, np.random.default_rng(0))
        assert caches.shape == cache.shape and b.shape == xi.shape == state.model.shape
        assert not cache_over_capacity(caches, params).any()


def test_unknown_baseline_is_a_user_error(cfg):
    with pytest.raises(UnknownAlgorithmError, match="unknown algorithm 'foo'") as info:
        make_baseline("foo", cfg)
    assert info.value.exit_code == 2


def test_bad_ga_settings_are_user_errors():
    from rl.baselines.ga import GAConfigError

    with pytest.raises(GAConfigError) as info:
        GAConfig(pop_size=1)
    assert info.value.exit_code == 2
