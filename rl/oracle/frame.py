"""The frame problem (P3): the best cache per popularity state under the slot oracle.

For a popularity state gamma, every cache that fits (11d) (at most 2^M) is scored by the mean
slot reward of the slot oracle over `n_samples` slots drawn from the testbed's own processes
(stationary location chain, Rayleigh fading, Zipf(gamma) requests, input sizes), the same slots
for every cache (common random numbers); for a fitting cache the frame reward (32) is that mean.
A slot depends on the cache only through which users hit, so each distinct (slot, hit pattern)
is solved once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from common.progress import progress_bar
from rl.oracle.problem import take_state
from rl.oracle.slot import slot_oracle
from testbed.batched import SlotState
from testbed.config import EdgeConfig, replace
from testbed.processes import Processes
from testbed.system_model import SystemParams, cache_over_capacity, channel_gain, decode_cache


def fitting_caches(params: SystemParams) -> np.ndarray:
    """Every cache vector (31) that satisfies (11d), (n, M), in index order (0 = empty)."""
    idx = np.arange(2**params.n_models)
    caches = decode_cache(idx, params.n_models)
    return caches[~cache_over_capacity(caches, params)]


def sample_slots(
    cfg: EdgeConfig, gamma_value: float, n: int, rng: np.random.Generator
) -> SlotState:
    """n independent slot states of the testbed's own processes with Zipf skewness gamma_value.

    The location chain is drawn from its stationary law (it moves every slot, so a slot inside
    a long run is distributed that way); positions, fading, requests (1) and input sizes in the
    order of `BatchedEdgeSim`'s slot draw, by the same `Processes` methods (the requests from a
    one-state popularity chain at gamma_value)."""
    proc = Processes(
        replace(cfg, popularity_states=(float(gamma_value),), popularity_transition=((1.0,),))
    )
    params = SystemParams.from_config(cfg)
    loc = proc.initial_location(n, rng)
    pos = proc.positions_m(loc, rng)
    distance = np.hypot(pos[..., 0], pos[..., 1])
    fading = proc.fading(n, rng)
    model = proc.requests(np.zeros(n, dtype=np.int64), rng)
    return SlotState(
        distance_m=distance,
        fading=fading,
        channel_gain=channel_gain(distance, fading, params.min_distance_m),
        model=model,
        input_bits=proc.input_bits(n, rng),
        output_bits=params.output_bits[model],
        location_state=loc,
        popularity_state=np.full(n, -1),
    )


@dataclass
class FrameOracleResult:
    """P3 for one popularity state: every fitting cache's expected frame reward (32)."""

    gamma: float
    caches: np.ndarray
    """(C, M) the caches that fit (11d)."""
    mean: np.ndarray
    """(C,) mean slot reward under the slot oracle over the common samples (= frame reward)."""
    stderr: np.ndarray
    """(C,) standard error of `mean`."""
    best_index: int
    runner_up_index: int
    margin: float
    """mean[best] - mean[runner-up]."""
    margin_stderr: float
    """Standard error of the paired difference (common random numbers)."""
    mean_gap: float
    """Mean over the best cache's samples of the slot oracle's certified gap."""
    n_samples: int

    @property
    def best_cache(self) -> np.ndarray:
        return self.caches[self.best_index]

    @property
    def best_mean(self) -> float:
        return float(self.mean[self.best_index])

    @property
    def best_stderr(self) -> float:
        return float(self.stderr[self.best_index])


def frame_oracle(
    cfg: EdgeConfig,
    gamma_value: float,
    n_samples: int = 64,
    seed: int = 0,
    max_nodes: int = 1,
    chunk: int = 256,
    progress: bool = False,
) -> FrameOracleResult:
    """Enumerate every cache that fits (11d) and score it by the slot oracle's mean reward on
    `n_samples` common slot samples (the same samples for every cache); the frame reward (32)
    of a fitting cache is that mean. `max_nodes` is the slot oracle's branch-and-bound budget
    (1: the dual's rounded primal, which the tests show is never beaten by the baselines)."""
    params = SystemParams.from_config(cfg)
    rng = np.random.default_rng(seed)
    state = sample_slots(cfg, gamma_value, n_samples, rng)
    caches = fitting_caches(params)
    # a slot's outcome depends on the cache only through which users hit: solve each distinct
    # (sample, hit pattern) once
    rows, cache_of, inverse = _distinct_slots(caches, state.model, n_samples)
    reward, gap = np.empty(len(rows)), np.empty(len(rows))
    parts = np.array_split(np.arange(len(rows)), max(1, math.ceil(len(rows) / chunk)))
    for part in progress_bar(
        parts, desc=f"P3 gamma={gamma_value:g}", enabled=progress, leave=False
    ):
        res = slot_oracle(
            take_state(state, rows[part]),
            cache_of[part],
            params,
            cfg.step_amender,
            max_nodes=max_nodes,
        )
        reward[part], gap[part] = res.reward, res.gap
    shape = (len(caches), n_samples)
    rewards = reward[inverse.reshape(-1)].reshape(shape)
    gaps = gap[inverse.reshape(-1)].reshape(shape)
    return _frame_result(float(gamma_value), caches, rewards, gaps)


def _distinct_slots(
    caches: np.ndarray, model: np.ndarray, n_samples: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (sample, hit pattern) pairs over caches x samples: each one's sample row and
    a cache that gives it, and the index of its pair for every (cache, sample)."""
    hits = caches[:, model] > 0  # (C, n, U)
    keys = np.concatenate(
        [np.broadcast_to(np.arange(n_samples)[None, :, None], hits.shape[:2] + (1,)), hits], axis=-1
    )
    flat = keys.reshape(-1, keys.shape[-1])
    uniq, first, inverse = np.unique(flat, axis=0, return_index=True, return_inverse=True)
    return uniq[:, 0], caches[first // n_samples], inverse


def _frame_result(
    gamma: float, caches: np.ndarray, rewards: np.ndarray, gaps: np.ndarray
) -> FrameOracleResult:
    """Means, standard errors, the best cache and its paired margin over the runner-up from the
    (C, n) slot rewards of every cache on the common samples."""
    n_c, n_samples = rewards.shape
    mean = rewards.mean(axis=1)
    stderr = (
        rewards.std(axis=1, ddof=1) / np.sqrt(n_samples) if n_samples > 1 else np.full(n_c, np.nan)
    )
    order = np.argsort(-mean, kind="stable")
    best, second = int(order[0]), int(order[1]) if n_c > 1 else int(order[0])
    diff = rewards[best] - rewards[second]
    return FrameOracleResult(
        gamma=gamma,
        caches=caches,
        mean=mean,
        stderr=stderr,
        best_index=best,
        runner_up_index=second,
        margin=float(mean[best] - mean[second]),
        margin_stderr=float(diff.std(ddof=1) / np.sqrt(n_samples))
        if n_samples > 1
        else float("nan"),
        mean_gap=float(gaps[best].mean()),
        n_samples=n_samples,
    )
