"""The GA behind SCHRS and HCRAS (`rl.baselines.ga`): capacity-safe decoding, batch fitness,
never worse than equal allocation, settings checked."""

import numpy as np
import pytest

from rl.baselines.args import GAConfig, GAConfigError
from rl.baselines.ga import (
    cache_to_genes,
    decode_cache_genes,
    slot_fitness,
    solve_slot,
)
from testbed.config import build_config
from testbed.policies import random_cache
from testbed.system_model import (
    SystemParams,
    amend_action,
    cache_over_capacity,
    equal_allocation,
    evaluate_slot,
    slot_reward,
)
from tests.rl.baselines.slots import slot_data, slots


def test_decoded_caches_respect_capacity(params):
    genes = np.random.default_rng(1).random((500, params.n_models))
    caches = decode_cache_genes(genes, params)
    assert not cache_over_capacity(caches, params).any()
    assert ((caches == 0) | (genes > 0.5)).all()  # only wanted models are cached


def test_cache_genes_round_trip(params):
    rng = np.random.default_rng(2)
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


def test_bad_ga_settings_are_user_errors():
    with pytest.raises(GAConfigError) as info:
        GAConfig(pop_size=1)
    assert info.value.exit_code == 2
