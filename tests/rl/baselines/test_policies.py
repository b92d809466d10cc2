"""Baselines of 7.2 / V-B (`rl.baselines.policies`): episodes run, seeding, capacity."""

import numpy as np
import pytest

from rl.baselines.policies import HCRAS, RCARS, SCHRS, UnknownAlgorithmError, make_baseline
from testbed.policies import most_popular_cache
from testbed.rollout import run_seed
from testbed.system_model import amend_action, cache_over_capacity, equal_allocation
from tests.rl.baselines.slots import GA_TINY, slots


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
