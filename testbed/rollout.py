"""The policy contract and the one loop that runs a policy on the simulator.

Every method (learned agent, baseline, oracle) is a `TwoTimescalePolicy`: once per frame it
chooses a cache from the popularity state (30); once per slot it chooses raw allocations
(b~, xi~) from the slot state (21), which the simulator passes through the amender (6.2.2).
Arrays are batched like `testbed.batched.BatchedEdgeSim`: (N, M) caches, (N, U) allocations.
A policy with ``per_slot_cache = True`` (HCRAS, the single-timescale DDPG) is asked
`decide_slot(state, cache, rng)` each slot instead, returning (cache, b~, xi~); that cache is
set for the slot before the step.

`policy_steps` is the loop: slots one after another over episodes, the cache chosen at the
start of each frame, each decision timed. `run_seed` runs it for `n_episodes` episodes of one
seed and averages, over all slots of all its episodes:

============================  ==============================================================
``hit_ratio``                 share of requests whose model is cached at the BS (Fig. 7a)
``utility``                   mean G of (10), i.e. the objective (11) (Fig. 7b; lower is better)
``violation_share``           share of user-slots with D_tl > tau, i.e. (11h) broken
``slot_reward``               mean r_t(k) of (23) (penalty chi per violation)
``frame_reward``              mean r(t) of (32) over frames (penalty Xi if (11d) is broken)
``decision_time_ms``          wall time of `allocate` (or `decide_slot`) per slot plus
                              `choose_cache` amortised over the frame's K slots (Table 3)
============================  ==============================================================

The seed is split with `numpy.random.SeedSequence(seed).spawn(2)` into the environment's
generator and the policy's generator (`seeded_sim`); the environment's draws (positions,
fading, requests, popularity) do not depend on the actions, so every policy sees the same
episodes for a given seed (common random numbers), and a given seed always gives the same
numbers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from testbed.batched import BatchedEdgeSim, SlotState, StepResult
from testbed.config import EdgeConfig
from testbed.system_model import slot_metrics

METRICS: dict[str, str] = {
    "hit_ratio": "model hit ratio",
    "utility": "utility (11), mean G (lower is better)",
    "violation_share": "share of user-slots violating (11h)",
    "slot_reward": "slot reward (23)",
    "frame_reward": "frame reward (32)",
    "decision_time_ms": "decision time per slot (ms)",
}


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


@dataclass
class PolicyStep:
    """One slot as `policy_steps` ran it."""

    state: SlotState
    """What the policy saw."""
    cache: np.ndarray
    """The cache in place during the step, (N, M): the simulator's array, which `set_cache`
    replaces and never writes into."""
    result: StepResult
    """The simulator's answer."""
    frame_start: bool
    """The cache was chosen (`choose_cache`) before this slot."""
    cache_s: float
    """Wall time of that `choose_cache` call (0 when there was none)."""
    decide_s: float
    """Wall time of this slot's `allocate` (or `decide_slot`)."""


def seeded_sim(cfg: EdgeConfig, seed: int) -> tuple[BatchedEdgeSim, np.random.Generator]:
    """One copy of the network and the policy's generator, from one seed (module docstring)."""
    env_seq, policy_seq = np.random.SeedSequence(seed).spawn(2)
    sim = BatchedEdgeSim(cfg, n_envs=1, rng=np.random.default_rng(env_seq))
    return sim, np.random.default_rng(policy_seq)


def policy_steps(policy, sim: BatchedEdgeSim, rng: np.random.Generator) -> Iterator[PolicyStep]:
    """Run `policy` on `sim`, one slot per item, without end: an episode starts (`reset`) when
    the first slot is asked for and whenever the last one is over, so a caller that stops
    after an episode's last slot leaves the simulator's generator exactly there."""
    per_slot_cache = bool(getattr(policy, "per_slot_cache", False))
    while True:
        if sim.done:
            sim.reset()
        frame_start, cache_s = sim.slot == 0, 0.0
        if frame_start:
            t0 = time.perf_counter()
            cache = policy.choose_cache(sim.gamma, rng)
            cache_s = time.perf_counter() - t0
            sim.set_cache(cache)
        state = sim.state
        t0 = time.perf_counter()
        if per_slot_cache:
            slot_cache, b, xi = policy.decide_slot(state, sim.cache, rng)
        else:
            b, xi = policy.allocate(state, sim.cache, rng)
        decide_s = time.perf_counter() - t0
        if per_slot_cache:
            sim.set_cache(slot_cache)
        cache = sim.cache
        yield PolicyStep(state, cache, sim.step(b, xi), frame_start, cache_s, decide_s)


@dataclass
class RolloutMetrics:
    """Sums of the per-slot metrics of `METRICS` (means over the N copies), then their means."""

    sums: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(
            ("hit_ratio", "utility", "violation_share", "slot_reward"), 0.0
        )
    )
    frame_rewards: list[float] = field(default_factory=list)
    n_slots: int = 0
    decide_s: float = 0.0

    def add(self, step: PolicyStep) -> None:
        res = step.result
        if step.frame_start:
            self.decide_s += step.cache_s
        self.decide_s += step.decide_s
        m = slot_metrics(res.outcome)
        for key in ("hit_ratio", "utility", "violation_share"):
            self.sums[key] += float(m[key].mean())
        self.sums["slot_reward"] += float(res.reward.mean())
        self.n_slots += 1
        if res.frame_end:
            self.frame_rewards.append(float(res.frame_reward.mean()))

    def summary(self) -> dict[str, float]:
        """The metrics in `METRICS`' order."""
        out = {k: v / self.n_slots for k, v in self.sums.items()}
        out["frame_reward"] = float(np.mean(self.frame_rewards))
        out["decision_time_ms"] = 1e3 * self.decide_s / self.n_slots
        return out


def run_seed(policy, cfg: EdgeConfig, seed: int, n_episodes: int = 1) -> dict[str, float]:
    """All metrics of `policy` on `n_episodes` episodes drawn from `seed` (module docstring)."""
    sim, rng = seeded_sim(cfg, seed)
    acc = RolloutMetrics()
    episodes = 0
    for step in policy_steps(policy, sim, rng):
        acc.add(step)
        if step.result.done:
            episodes += 1
            if episodes == n_episodes:
                break
    return acc.summary()
