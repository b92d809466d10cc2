"""The paper's baselines as `TwoTimescalePolicy` objects (main paper 7.2; companion paper V-B).

* **RCARS** (7.2, [39]): each frame the BS visits the models in random order and caches every
  one that still fits (`random_cache`); each slot bandwidth and denoising steps are split equally
  (an all-zero raw action, which the amender turns into `equal_allocation`).
* **SCHRS** (7.2, after [19]): a static cache of the most popular models under gamma_1 = 0.2,
  greedy in popularity order while they fit (`most_popular_cache`). Zipf's order of (1) does
  not depend on gamma, so this is the same cache for every skewness state; gamma_1 only matters
  in that the paper names it. Each slot a genetic algorithm (`rl.baselines.ga`) chooses the
  allocation.
* **HCRAS** (companion paper V-B): every slot a genetic algorithm chooses the cache *and* the
  allocation together (cache genes decoded and repaired to capacity, see `rl.baselines.ga`).
  Our simulator is two-timescale, so HCRAS offers `decide_slot`, which
  `testbed.rollout.policy_steps` calls each slot (and then sets the cache for that slot);
  through the plain frame/slot contract alone, `choose_cache` returns the most-popular cache
  and `allocate` runs the allocation-only GA (then HCRAS behaves like SCHRS). HCRAS sees the
  slot's requests before it caches, which the two-timescale methods cannot; read its numbers
  with that in mind.

Every random choice comes from the generator the caller hands in: RCARS's cache order, and one
pymoo seed per GA run drawn from it, so a given generator state gives the same decisions.
"""

from __future__ import annotations

import numpy as np

from common.errors import UserError
from rl.baselines.args import GAConfig
from rl.baselines.ga import SlotData, solve_slot
from testbed.batched import SlotState
from testbed.config import EdgeConfig
from testbed.policies import most_popular_cache, random_cache
from testbed.system_model import SystemParams

BASELINES = ("rcars", "schrs", "hcras")
SEED_BOUND = 2**63 - 1


class UnknownAlgorithmError(UserError):
    """An algorithm name that is not one of ours (one sentence)."""


def slot_of(state: SlotState, cache: np.ndarray, i: int) -> SlotData:
    """Copy `i`'s slot with its cache (`cache` (N, M))."""
    return SlotData(
        distance_m=state.distance_m[i],
        fading=state.fading[i],
        model=state.model[i],
        input_bits=state.input_bits[i],
        cache=np.asarray(cache)[i],
    )


class RCARS:
    """Randomized caching (per frame) and average resource allocation (per slot)."""

    name = "RCARS"

    def __init__(self, cfg: EdgeConfig):
        self.params = SystemParams.from_config(cfg)

    def choose_cache(self, gamma: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return random_cache(self.params, rng, n=len(np.atleast_1d(gamma)))

    def allocate(
        self, state: SlotState, cache: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        zeros = np.zeros(state.model.shape)
        return zeros, zeros.copy()  # the amender splits an all-zero action equally


class SCHRS:
    """Static most-popular caching and GA-based resource allocation per slot."""

    name = "SCHRS"
    popularity_gamma = 0.2
    """gamma_1 of 7.2; documentation only, since the Zipf order does not depend on gamma."""

    def __init__(self, cfg: EdgeConfig, ga: GAConfig | None = None):
        self.params = SystemParams.from_config(cfg)
        self.ga = ga or GAConfig()
        self.static_cache = most_popular_cache(self.params)

    def choose_cache(self, gamma: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = len(np.atleast_1d(gamma))
        return np.tile(self.static_cache, (n, 1))

    def allocate(
        self, state: SlotState, cache: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        return _ga_allocate(state, cache, self.params, self.ga, rng)


class HCRAS:
    """GA over cache and allocation every slot (companion paper V-B)."""

    name = "HCRAS"
    per_slot_cache = True
    """Tells `testbed.rollout.policy_steps` to call `decide_slot` and re-cache every slot."""

    def __init__(self, cfg: EdgeConfig, ga: GAConfig | None = None):
        self.params = SystemParams.from_config(cfg)
        self.ga = ga or GAConfig()
        self.popular_cache = most_popular_cache(self.params)

    def choose_cache(self, gamma: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = len(np.atleast_1d(gamma))
        return np.tile(self.popular_cache, (n, 1))

    def allocate(
        self, state: SlotState, cache: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        return _ga_allocate(state, cache, self.params, self.ga, rng)

    def decide_slot(
        self, state: SlotState, cache: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cache (N, M) and raw allocation (N, U) x 2 for this slot, from one joint GA per copy.

        `cache` is the cache in place (the previous slot's choice); the GA starts from it and
        from the most-popular cache, both with equal allocation.
        """
        n, u = state.model.shape
        caches = np.empty((n, self.params.n_models), dtype=np.int8)
        b, xi = np.empty((n, u)), np.empty((n, u))
        for i in range(n):
            slot = slot_of(state, cache, i)
            extra = () if np.array_equal(slot.cache, self.popular_cache) else (self.popular_cache,)
            sol = solve_slot(
                slot, self.params, self.ga, _seed(rng), with_cache=True, extra_caches=extra
            )
            caches[i], b[i], xi[i] = sol.cache, sol.b_raw, sol.xi_raw
        return caches, b, xi


def _ga_allocate(
    state: SlotState,
    cache: np.ndarray,
    params: SystemParams,
    ga: GAConfig,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """One allocation-only GA run per copy, each seeded from `rng`."""
    n, u = state.model.shape
    b, xi = np.empty((n, u)), np.empty((n, u))
    for i in range(n):
        sol = solve_slot(slot_of(state, cache, i), params, ga, _seed(rng))
        b[i], xi[i] = sol.b_raw, sol.xi_raw
    return b, xi


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, SEED_BOUND))


def make_baseline(name: str, cfg: EdgeConfig, ga: GAConfig | None = None):
    """`rcars`, `schrs` or `hcras` (case-insensitive) for `cfg`; `ga` for the GA-based two."""
    key = name.lower()
    if key == "rcars":
        return RCARS(cfg)
    if key == "schrs":
        return SCHRS(cfg, ga)
    if key == "hcras":
        return HCRAS(cfg, ga)
    raise UnknownAlgorithmError(
        f"unknown algorithm '{name}'; expected one of: {', '.join(BASELINES)}."
    )
