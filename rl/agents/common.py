"""Shared machinery of the agents: seeding, the device rule, thread limits, the optimiser
factory, the soft target update, and the per-episode training statistics.

The policy contract every method answers to (`TwoTimescalePolicy`) is the testbed's
(`testbed.rollout`): the agents' policies, the baselines and the oracle all run through it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from testbed.system_model import slot_metrics


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python, NumPy and torch (CPU and CUDA) once; return the run's NumPy generator."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def limit_threads(n: int) -> None:
    """Run torch *and* NumPy's BLAS (via threadpoolctl) on `n` threads for this process.
    torch.set_num_threads alone leaves NumPy's OpenBLAS on every core, and the NumPy paths
    (the diffusion actor's no-gradient passes) would then use two cores where one is meant."""
    torch.set_num_threads(n)
    threadpool_limits(limits=n)


def make_adam(params, lr: float) -> torch.optim.Adam:
    """Adam with torch's fused kernel (CPU and CUDA): one call per step instead of a few per
    parameter tensor; these networks have 6-10 small tensors, so the per-op cost dominates
    (docs/benchmarks.md)."""
    return torch.optim.Adam(params, lr=lr, fused=True)


@torch.no_grad()
def soft_update(target: torch.nn.Module, source: torch.nn.Module, tau: float) -> None:
    """target <- tau source + (1 - tau) target ((28), (29), (35)), one fused call."""
    t_params, s_params = list(target.parameters()), list(source.parameters())
    if len(t_params) != len(s_params):
        raise ValueError("soft_update: target and source have different parameter lists.")
    torch._foreach_lerp_(t_params, s_params, tau)


@dataclass
class EpisodeStats:
    """Per-episode means over copies and slots, plus the episodic reward.

    episode_reward = sum over the T frames of (32): mean_k r_t(k) - Xi 1{over capacity}
    (averaged over the N copies), the same formula for every algorithm.
    """

    frame_rewards: list = field(default_factory=list)
    slot: dict = field(default_factory=lambda: {"hit_ratio": [], "utility": [], "violation": []})
    over_capacity: list = field(default_factory=list)
    losses: dict = field(default_factory=dict)

    def add_slot(self, outcome) -> None:
        m = slot_metrics(outcome)
        self.slot["hit_ratio"].append(float(m["hit_ratio"].mean()))
        self.slot["utility"].append(float(m["utility"].mean()))
        self.slot["violation"].append(float(m["violation_share"].mean()))

    def add_losses(self, d: dict[str, float]) -> None:
        for k, v in d.items():
            self.losses.setdefault(k, []).append(v)

    def summary(self, loss_names: tuple[str, ...] = ()) -> dict[str, float]:
        """Fixed keys: the metrics, then `loss_names` (NaN before the first update)."""
        out = {
            "episode_reward": float(np.sum(self.frame_rewards)),
            "hit_ratio": float(np.mean(self.slot["hit_ratio"])),
            "utility": float(np.mean(self.slot["utility"])),
            "violation_share": float(np.mean(self.slot["violation"])),
            "over_capacity_share": float(np.mean(self.over_capacity)),
        }
        for k in loss_names:
            out[k] = float(np.mean(self.losses[k])) if self.losses.get(k) else float("nan")
        return out
