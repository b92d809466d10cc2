"""Shared machinery for `rl/`: the policy contract, seeding, device rule, observation scaling.

Every method (learned agent, baseline, oracle) is a `TwoTimescalePolicy`: once per frame it
chooses a cache from the popularity state (30); once per slot it chooses raw allocations
(b~, xi~) from the slot state (21), which the simulator passes through the amender (6.2.2).
Arrays are batched like `testbed.batched.BatchedEdgeSim`: (N, M) caches, (N, U) allocations.
"""

from __future__ import annotations

import random
from typing import Protocol

import numpy as np
import torch

from testbed.batched import SlotState


class TwoTimescalePolicy(Protocol):
    name: str

    def choose_cache(self, gamma: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Cache vectors rho for N copies, (N, M) in {0, 1}, from gamma(t) (N,)."""
        ...

    def allocate(
        self, state: SlotState, cache: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Raw (b~, xi~), each (N, U), for the current slot; amended by the simulator."""
        ...


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python, NumPy and torch (CPU and CUDA) once; return the run's NumPy generator."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def resolve_device(device: str = "auto") -> torch.device:
    """'auto' -> CUDA when present, else CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def limit_threads(n: int) -> None:
    """Run torch *and* NumPy's BLAS (via threadpoolctl) on `n` threads for this process.
    torch.set_num_threads alone leaves NumPy's OpenBLAS on every core, and the NumPy paths
    (the diffusion actor's no-gradient passes) would then use two cores where one is meant."""
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(n)
    threadpool_limits(limits=n)
