"""The genetic algorithm behind the SCHRS and HCRAS baselines (main paper 7.2; companion paper V-B).

One GA run optimises one slot of one network copy. A chromosome is real-valued in [0, 1]:

* allocation genes (always): ``[b~_1..b~_U, xi~_1..xi~_U]``, the raw action of (22), mapped to a
  feasible allocation by the amender of section 6.2.2 (`amend_action`), exactly as the simulator
  maps any policy's raw action;
* cache genes (HCRAS only, placed first): ``[g_1..g_M]``. Decoding (`decode_cache_genes`): model m
  is *wanted* when g_m > 0.5; wanted models are visited in decreasing gene order (ties by model
  id, i.e. by popularity rank) and cached while they fit in C, so every decoded cache satisfies
  (11a) and (11d) (a wanted model that no longer fits is dropped: the repair).

Fitness (minimised), the choice we make for "the chromosome with the lowest value of (12)":
the slot's mean over users of ``G_u + chi 1{D_tl,u > tau}``, i.e. -r_t(k) of (23). (12) is
subject to (11h); a GA has no constraint handling of its own here, so (11h) enters as the
penalty chi of (23), the same penalty the learned agents are trained with. `GAConfig.penalty =
False` scores the plain mean utility G of (12) instead.

The whole population is scored at once: `SlotProblem._evaluate` calls the vectorised
`evaluate_slot` with the population as the batch dimension. The initial population is pymoo's
`FloatRandomSampling` with its first rows replaced by seed chromosomes (equal allocation with
the current cache, and for HCRAS also with the most-popular cache), and pymoo's GA survival is
elitist, so the best chromosome is never worse than equal allocation; `solve_slot` also checks
this explicitly. Every run is seeded from the caller's generator.

`evolve` runs pymoo's GA (`pymoo_ga`: tournament selection by fitness, SBX, polynomial
mutation, duplicate elimination, fitness survival) on NumPy arrays: pymoo's own operators
(`SBX._do`, `PM._do`, its sampling, tournament comparison and duplicate test) draw from the
same generator in the same order, and only the `Population`/`Individual` bookkeeping around
them, most of a slot's time (docs/benchmarks.md, "The GA on arrays"), is replaced by array indexing. Its
best chromosome is `pymoo.optimize.minimize`'s bit for bit (tests/rl/baselines/test_ga.py;
`t2drl bench ga` times both).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from pymoo.algorithms.soo.nonconvex.ga import GA
from pymoo.core.duplicate import DefaultDuplicateElimination
from pymoo.core.problem import Problem
from pymoo.core.variable import get
from pymoo.operators.crossover.sbx import SBX
from pymoo.operators.mutation.pm import PM
from pymoo.operators.sampling.rnd import FloatRandomSampling
from pymoo.operators.selection.tournament import compare
from pymoo.optimize import minimize
from pymoo.util.misc import random_permutations

from rl.baselines.args import GAConfig
from testbed.policies import fill_cache_in_order
from testbed.system_model import SystemParams, amend_action, evaluate_slot

CACHE_GENE_THRESHOLD = 0.5


@dataclass(frozen=True)
class SlotData:
    """One copy's slot (shape (U,) each) plus the cache it is served with (M,)."""

    distance_m: np.ndarray
    fading: np.ndarray
    model: np.ndarray
    input_bits: np.ndarray
    cache: np.ndarray


def decode_cache_genes(genes: np.ndarray, params: SystemParams) -> np.ndarray:
    """Cache genes (P, M) in [0, 1] -> caches (P, M) in {0, 1} within capacity (see module doc)."""
    genes = np.asarray(genes, dtype=np.float64)
    order = np.argsort(-genes, axis=-1, kind="stable")
    return fill_cache_in_order(order, genes > CACHE_GENE_THRESHOLD, params)


def cache_to_genes(cache: np.ndarray) -> np.ndarray:
    """A cache (M,) as cache genes that decode back to it (1 for cached, 0 otherwise)."""
    return np.asarray(cache, dtype=np.float64)


def slot_fitness(
    slot: SlotData,
    b_raw: np.ndarray,
    xi_raw: np.ndarray,
    params: SystemParams,
    penalty: bool = True,
    cache: np.ndarray | None = None,
) -> np.ndarray:
    """Fitness of P chromosomes on one slot, shape (P,): mean_u G_u (+ chi 1{violated}).

    `b_raw`, `xi_raw` are raw allocations (P, U); `cache` (P, M) overrides `slot.cache`.
    """
    n_pop, n_users = b_raw.shape
    shape = (n_pop, n_users)
    model = np.broadcast_to(slot.model, shape)
    caches = np.broadcast_to(slot.cache if cache is None else cache, (n_pop, params.n_models))
    b, xi = amend_action(b_raw, xi_raw, model, caches)
    outcome = evaluate_slot(
        np.broadcast_to(slot.distance_m, shape),
        np.broadcast_to(slot.fading, shape),
        model,
        np.broadcast_to(slot.input_bits, shape),
        caches,
        b,
        xi,
        params,
        check=False,
    )
    per_user = outcome.utility
    if penalty:
        per_user = per_user + params.slot_penalty * outcome.violated
    return per_user.mean(axis=-1)


class SlotProblem(Problem):
    """pymoo problem: one slot; genes = [cache genes (if `with_cache`)] + b~ + xi~, all in [0, 1]."""

    def __init__(self, slot: SlotData, params: SystemParams, with_cache: bool, penalty: bool):
        self.slot, self.params, self.with_cache, self.penalty = slot, params, with_cache, penalty
        self.n_users = params.n_users
        self.n_cache = params.n_models if with_cache else 0
        super().__init__(
            n_var=self.n_cache + 2 * self.n_users, n_obj=1, xl=0.0, xu=1.0, vtype=float
        )

    def split(self, X: np.ndarray) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
        """Genes (P, n_var) -> (caches (P, M) or None, b~ (P, U), xi~ (P, U))."""
        X = np.atleast_2d(X)
        u, c = self.n_users, self.n_cache
        cache = decode_cache_genes(X[:, :c], self.params) if self.with_cache else None
        return cache, X[:, c : c + u], X[:, c + u : c + 2 * u]

    def score(self, X: np.ndarray) -> np.ndarray:
        cache, b, xi = self.split(X)
        return slot_fitness(self.slot, b, xi, self.params, self.penalty, cache)

    def _evaluate(self, X, out, *args, **kwargs):
        out["F"] = self.score(X)[:, None]


class SeededFloatSampling(FloatRandomSampling):
    """`FloatRandomSampling` whose first rows are given seed chromosomes."""

    def __init__(self, seeds: np.ndarray):
        super().__init__()
        self.seeds = np.atleast_2d(np.asarray(seeds, dtype=np.float64))

    def _do(self, problem, n_samples, *args, random_state=None, **kwargs):
        X = super()._do(problem, n_samples, *args, random_state=random_state, **kwargs)
        k = min(len(self.seeds), n_samples)
        X[:k] = self.seeds[:k]
        return X


@dataclass(frozen=True)
class SlotSolution:
    """Best chromosome of one run, decoded."""

    cache: np.ndarray | None  # (M,) for HCRAS, None when the cache was fixed
    b_raw: np.ndarray  # (U,)
    xi_raw: np.ndarray  # (U,)
    fitness: float
    equal_fitness: float  # fitness of equal allocation with the slot's given cache


def seeded_problem(
    slot: SlotData,
    params: SystemParams,
    ga: GAConfig,
    with_cache: bool = False,
    extra_caches: tuple[np.ndarray, ...] = (),
) -> tuple[SlotProblem, np.ndarray]:
    """One slot's problem and its seed chromosomes (rows), equal allocation with the slot's
    cache first (see `solve_slot`)."""
    problem = SlotProblem(slot, params, with_cache, ga.penalty)
    ones = np.ones(2 * params.n_users)  # the amender maps all-equal raw genes to equal shares
    if with_cache:
        seeds = [np.concatenate([cache_to_genes(c), ones]) for c in (slot.cache, *extra_caches)]
    else:
        seeds = [ones]
    return problem, np.stack(seeds)


def solve_slot(
    slot: SlotData,
    params: SystemParams,
    ga: GAConfig,
    seed: int,
    with_cache: bool = False,
    extra_caches: tuple[np.ndarray, ...] = (),
) -> SlotSolution:
    """Run the GA on one slot; the result is never worse than equal allocation with `slot.cache`.

    `extra_caches` (HCRAS) are further caches seeded with equal allocation.
    """
    problem, seeds = seeded_problem(slot, params, ga, with_cache, extra_caches)
    best = evolve(problem, seeds, ga, seed)
    best_f = float(problem.score(best[None])[0])
    equal_f = float(problem.score(seeds[0][None])[0])
    if equal_f < best_f:  # cannot happen with elitist survival; kept as a guard
        best, best_f = seeds[0], equal_f
    cache, b, xi = problem.split(best[None])
    return SlotSolution(
        cache=None if cache is None else cache[0],
        b_raw=b[0].copy(),
        xi_raw=xi[0].copy(),
        fitness=best_f,
        equal_fitness=equal_f,
    )


# -- pymoo's GA on arrays (module docstring)
MATING_ROUNDS = 100
"""pymoo's `n_max_iterations` of a generation's mating: rounds of selection, crossover and
mutation until enough offspring survive duplicate elimination."""


def pymoo_ga(ga: GAConfig, seeds: np.ndarray) -> GA:
    """The pymoo algorithm that `evolve` runs (for `pymoo.optimize.minimize`)."""
    return GA(
        pop_size=ga.pop_size,
        sampling=SeededFloatSampling(seeds),
        crossover=_crossover(ga),
        mutation=_mutation(ga),
        eliminate_duplicates=ga.eliminate_duplicates,
    )


def minimize_best(problem: SlotProblem, seeds: np.ndarray, ga: GAConfig, seed: int) -> np.ndarray:
    """`evolve` through `pymoo.optimize.minimize` with pymoo's own bookkeeping: its reference
    (tests, `t2drl bench ga`, records made before session 19)."""
    res = minimize(problem, pymoo_ga(ga, seeds), ("n_gen", ga.n_gen), seed=seed)
    return np.asarray(res.X, dtype=np.float64).reshape(-1)


def _crossover(ga: GAConfig) -> SBX:
    return SBX(prob=ga.crossover_prob, eta=ga.crossover_eta)


def _mutation(ga: GAConfig) -> PM:
    return PM(eta=ga.mutation_eta)


def evolve(problem: SlotProblem, seeds: np.ndarray, ga: GAConfig, seed: int) -> np.ndarray:
    """The best chromosome of `pymoo_ga(ga, seeds)` on `problem` with pymoo seed `seed`: the
    initial population, then `n_gen - 1` generations of offspring and fitness survival."""
    rng = np.random.default_rng(seed)  # as `Algorithm.setup`
    sbx, pm = _crossover(ga), _mutation(ga)
    X = SeededFloatSampling(seeds)._do(problem, ga.pop_size, random_state=rng)
    if ga.eliminate_duplicates:
        X = X[~_duplicates(X)]
    F = problem.score(X)
    for _ in range(ga.n_gen - 1):
        off = _offspring(problem, X, F, sbx, pm, ga, rng)
        if len(off) == 0:  # pymoo stops (every child a duplicate)
            break
        X, F = np.concatenate([X, off]), np.concatenate([F, problem.score(off)])
        survivors = np.lexsort([F, np.zeros_like(F)])[: ga.pop_size]  # `FitnessSurvival`, CV 0
        X, F = X[survivors], F[survivors]
    return X[np.argmin(F)]  # `filter_optimum`


def _offspring(problem, X, F, sbx: SBX, pm: PM, ga: GAConfig, rng) -> np.ndarray:
    """One generation's offspring (`InfillCriterion.do` with pymoo's `Mating`)."""
    off = np.empty((0, X.shape[1]))
    for _ in range(MATING_ROUNDS):
        n_left = ga.pop_size - len(off)
        parents = _tournaments(F, math.ceil(n_left / sbx.n_offsprings), rng)
        children = _mutate(problem, _cross(problem, X, parents, sbx, rng), pm, rng)
        if ga.eliminate_duplicates:
            children = _new_only(children, X, off)
        off = np.concatenate([off, children[:n_left]])
        if len(off) >= ga.pop_size:
            break
    return off


def _tournaments(F: np.ndarray, n_matings: int, rng) -> np.ndarray:
    """Binary tournaments by fitness (`TournamentSelection` with `comp_by_cv_and_fitness`; no
    constraints, so every CV is 0): parent indices (n_matings, 2)."""
    n_random = n_matings * 2 * 2  # parents per mating x tournament size
    P = random_permutations(math.ceil(n_random / len(F)), len(F), random_state=rng)
    P = P[:n_random].reshape(-1, 2)
    winners = [compare(a, F[a], b, F[b], "smaller_is_better", True, random_state=rng) for a, b in P]
    return np.asarray(winners, dtype=int).reshape(n_matings, 2)


def _cross(problem, X: np.ndarray, parents: np.ndarray, sbx: SBX, rng) -> np.ndarray:
    """`Crossover.do`: SBX on the matings drawn to cross, the parents copied otherwise;
    children (2 n_matings, n_var), first children first."""
    pairs = np.swapaxes(X[parents], 0, 1)  # (2, n_matings, n_var)
    n_matings = pairs.shape[1]
    cross = rng.random(n_matings) < get(sbx.prob, size=n_matings)
    children = pairs.copy()
    if cross.any():
        children[:, cross] = sbx._do(problem, pairs, random_state=rng)[:, cross]
    return children.reshape(-1, X.shape[1])


def _mutate(problem, X: np.ndarray, pm: PM, rng) -> np.ndarray:
    """`Mutation.do`: polynomial mutation kept for the rows drawn to mutate."""
    mutated = pm._do(problem, X, random_state=rng)
    keep = rng.random(len(X)) <= get(pm.prob, size=len(X))
    out = X.copy()
    out[keep] = mutated[keep]
    return out


_SAME = DefaultDuplicateElimination(func=lambda X: X)  # pymoo's test, on arrays


def _duplicates(X: np.ndarray, other: np.ndarray | None = None) -> np.ndarray:
    """Rows of X equal to an earlier row (`other` None) or to a row of `other`."""
    return _SAME._do(X, other, np.full(len(X), False))


def _new_only(children: np.ndarray, X: np.ndarray, off: np.ndarray) -> np.ndarray:
    """Children that repeat no other child, no member of the population and no earlier
    offspring (`DefaultDuplicateElimination.do(children, pop, off)`)."""
    children = children[~_duplicates(children)]
    for other in (X, off):
        if len(other) and len(children):
            children = children[~_duplicates(children, other)]
    return children
