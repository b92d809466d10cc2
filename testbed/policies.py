"""Simple reference policies the testbed itself needs (the main job, env defaults).

Learned agents and the paper's baselines live in `rl/`; these are the building blocks:
equal allocation (RCARS's allocation), random caching up to capacity (RCARS's caching) and
greedy caching of the most popular models that fit (SCHRS's static cache, and the slot env's
default cache).
"""

from __future__ import annotations

import numpy as np

from testbed.system_model import SystemParams, equal_allocation

__all__ = ["equal_allocation", "fill_cache_in_order", "most_popular_cache", "random_cache"]


def most_popular_cache(params: SystemParams) -> np.ndarray:
    """Cache models in popularity-rank order (Zipf rank = id + 1), skipping any that no longer fit.

    Zipf's order does not depend on gamma, so this cache is the same for every popularity state.
    """
    cache = np.zeros(params.n_models, dtype=np.int8)
    used = 0.0
    for m in range(params.n_models):
        if used + params.storage_GB[m] <= params.cache_capacity_GB + 1e-12:
            cache[m] = 1
            used += params.storage_GB[m]
    return cache


def fill_cache_in_order(order: np.ndarray, wanted: np.ndarray, params: SystemParams) -> np.ndarray:
    """Visit models in `order` (N, M) and cache each `wanted` (N, M) one that still fits (11d)."""
    n, m = order.shape
    cache = np.zeros((n, m), dtype=np.int8)
    used = np.zeros(n)
    rows = np.arange(n)
    for j in range(m):
        mj = order[:, j]
        size = params.storage_GB[mj]
        take = wanted[rows, mj] & (used + size <= params.cache_capacity_GB + 1e-12)
        cache[rows, mj] = take
        used += np.where(take, size, 0.0)
    return cache


def random_cache(
    params: SystemParams, rng: np.random.Generator, n: int | None = None
) -> np.ndarray:
    """RCARS caching: visit models in random order and cache each one that still fits.

    Returns shape (M,), or (n, M) when `n` is given.
    """
    batch = 1 if n is None else n
    order = np.argsort(rng.random((batch, params.n_models)), axis=-1)
    cache = fill_cache_in_order(order, np.ones((batch, params.n_models), dtype=bool), params)
    return cache[0] if n is None else cache
