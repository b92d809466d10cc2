"""The GA behind SCHRS and HCRAS (`rl.baselines.ga`): capacity-safe decoding, batch fitness,
never worse than equal allocation, pymoo's GA bit for bit, settings checked."""

import numpy as np
import pytest

from rl.baselines import ga as ga_module
from rl.baselines.args import GAConfig, GAConfigError
from rl.baselines.ga import (
    cache_to_genes,
    decode_cache_genes,
    evolve,
    minimize_best,
    seeded_problem,
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


PYMOO_CASES = {
    "small": GAConfig(pop_size=8, n_gen=6),
    "odd, no duplicate elimination": GAConfig(pop_size=7, n_gen=5, eliminate_duplicates=False),
    "converged: ties, repeated mating": GAConfig(pop_size=3, n_gen=30, crossover_prob=0.3),
    "paper's": GAConfig(),
}


@pytest.mark.parametrize("with_cache", [False, True], ids=["SCHRS", "HCRAS"])
@pytest.mark.parametrize("ga", PYMOO_CASES.values(), ids=PYMOO_CASES.keys())
def test_evolve_is_pymoos_ga_bit_for_bit(cfg, params, ga, with_cache, monkeypatch):
    rounds = []
    offspring = ga_module._offspring
    monkeypatch.setattr(ga_module, "_offspring", lambda *a: rounds.append(1) or offspring(*a))
    new_only = ga_module._new_only
    monkeypatch.setattr(ga_module, "_new_only", lambda *a: rounds.append(0) or new_only(*a))
    (state, *_), cache = slots(cfg, n_envs=2, n=1)
    popular_first = (cache[0],) if with_cache else ()
    for i, seed in enumerate((0, 7)):
        slot = slot_data(state, 1 - cache if with_cache and i else cache, i)
        extra = popular_first if i else ()
        problem, seeds = seeded_problem(slot, params, ga, with_cache, extra)
        np.testing.assert_array_equal(
            evolve(problem, seeds, ga, seed), minimize_best(problem, seeds, ga, seed)
        )
    if ga is PYMOO_CASES["converged: ties, repeated mating"]:
        generations, matings = rounds.count(1), rounds.count(0)
        assert matings > generations  # duplicates sent some generations back to mating


def test_evolve_stops_as_pymoo_does_when_every_child_is_a_duplicate(cfg, params, monkeypatch):
    # bounds of one point: every chromosome is that point, so duplicate elimination leaves no
    # offspring and pymoo ends the run (`force_termination`); `evolve` must end it likewise
    ga = GAConfig(pop_size=4, n_gen=5)
    (state, *_), cache = slots(cfg, n_envs=1, n=1)
    problem, seeds = seeded_problem(slot_data(state, cache, 0), params, ga, False, ())
    problem.xl = problem.xu = np.full(problem.n_var, 0.5)
    seeds = np.full_like(seeds, 0.5)
    sizes = []
    offspring = ga_module._offspring
    monkeypatch.setattr(
        ga_module, "_offspring", lambda *a: sizes.append(len(r := offspring(*a))) or r
    )
    best = evolve(problem, seeds, ga, 0)
    assert sizes == [0]  # the first generation bred nothing new, and no second was tried
    np.testing.assert_array_equal(best, minimize_best(problem, seeds, ga, 0))
    np.testing.assert_array_equal(best, np.full(problem.n_var, 0.5))


def test_bad_ga_settings_are_user_errors():
    with pytest.raises(GAConfigError) as info:
        GAConfig(pop_size=1)
    assert info.value.exit_code == 2
