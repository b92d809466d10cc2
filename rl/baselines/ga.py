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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pymoo.algorithms.soo.nonconvex.ga import GA
from pymoo.core.problem import Problem
from pymoo.operators.crossover.sbx import SBX
from pymoo.operators.mutation.pm import PM
from pymoo.operators.sampling.rnd import FloatRandomSampling
from pymoo.optimize import minimize

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
    problem = SlotProblem(slot, params, with_cache, ga.penalty)
    ones = np.ones(2 * params.n_users)  # the amender maps all-equal raw genes to equal shares
    if with_cache:
        seeds = [np.concatenate([cache_to_genes(c), ones]) for c in (slot.cache, *extra_caches)]
    else:
        seeds = [ones]
    algorithm = GA(
        pop_size=ga.pop_size,
        sampling=SeededFloatSampling(np.stack(seeds)),
        crossover=SBX(prob=ga.crossover_prob, eta=ga.crossover_eta),
        mutation=PM(eta=ga.mutation_eta),
        eliminate_duplicates=ga.eliminate_duplicates,
    )
    res = minimize(problem, algorithm, ("n_gen", ga.n_gen), seed=seed, verbose=False)
    best = np.asarray(res.X, dtype=np.float64).reshape(-1)
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
