"""Throughput of the testbed (a benchmark, never a timed test).

Goals on one core of the 2-core build machines: >= 1e6 user-slot evaluations/s for the pure
`evaluate_slot`, and >= 1e5 user-slots/s for full batched steps including sampling.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from common.cli_types import CommaInts
from common.summary import Summary
from testbed.batched import BatchedEdgeSim
from testbed.config import EdgeConfig, build_config
from testbed.system_model import SystemParams, amend_action, equal_allocation, evaluate_slot


def _best_rate(fn, work_per_call: int, repeats: int, min_time_s: float = 0.2) -> float:
    """Best of `repeats` timing windows, each calling `fn` until `min_time_s` has passed."""
    best = 0.0
    for _ in range(repeats):
        calls, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < min_time_s:
            fn()
            calls += 1
        best = max(best, calls * work_per_call / elapsed)
    return best


def bench_pure(cfg: EdgeConfig, batch: int, repeats: int = 5) -> float:
    """User-slot evaluations per second of `evaluate_slot` on pre-drawn arrays."""
    rng = np.random.default_rng(0)
    p = SystemParams.from_config(cfg)
    n, u, m = batch, cfg.n_users, cfg.n_models
    dist = rng.uniform(10, 176, (n, u))
    fading = rng.exponential(1.0, (n, u))
    model = rng.integers(0, m, (n, u))
    bits = rng.uniform(5, 10, (n, u)) * 8e6
    cache = rng.integers(0, 2, (n, m))
    b, xi = amend_action(rng.random((n, u)), rng.random((n, u)), model, cache)
    return _best_rate(
        lambda: evaluate_slot(dist, fading, model, bits, cache, b, xi, p, check=False),
        n * u,
        repeats,
    )


def bench_full_step(cfg: EdgeConfig, batch: int, repeats: int = 5) -> float:
    """User-slots per second of `BatchedEdgeSim.step` (amender + evaluation + next-slot sampling)."""
    sim = BatchedEdgeSim(cfg, n_envs=batch, rng=0)
    sim.reset()
    sim.set_cache(np.ones(cfg.n_models, dtype=np.int8))

    def one_step():
        if sim.done:
            sim.reset()
        b, xi = equal_allocation(sim.state.model, sim.cache)
        sim.step(b, xi)

    return _best_rate(one_step, batch * cfg.n_users, repeats)


def bench_gym_env(cfg: EdgeConfig, steps: int = 2000) -> float:
    """Steps per second of the single-copy gymnasium slot env (for reference)."""
    import gymnasium as gym

    import testbed  # noqa: F401  (registers the ids)

    env = gym.make(testbed.SLOT_ENV_ID, config=cfg)
    env.reset(seed=0)
    action = np.full(2 * cfg.n_users, 0.5, dtype=np.float32)
    start = time.perf_counter()
    for _ in range(steps):
        _, _, term, trunc, _ = env.step(action)
        if term or trunc:
            env.reset()
    return steps / (time.perf_counter() - start)


def bench_vector_env(cfg: EdgeConfig, copies: int, repeats: int = 3) -> dict[str, float]:
    """Copy-slots per second of the slot env's `copies` copies: `EdgeSlotVectorEnv` (one batched
    step) and gymnasium's SyncVectorEnv over single `EdgeSlotEnv`s; same actions, infos included,
    autoresets counted."""
    import gymnasium as gym

    import testbed  # noqa: F401  (registers the ids)

    action = np.full((copies, 2 * cfg.n_users), 0.5, dtype=np.float32)

    def rate(mode: str) -> float:
        env = gym.make_vec(testbed.SLOT_ENV_ID, copies, vectorization_mode=mode, config=cfg)
        env.reset(seed=0)
        return _best_rate(lambda: env.step(action), copies, repeats)

    return {mode: rate(mode) for mode in ("vector_entry_point", "sync")}


@dataclass
class BenchTestbedArgs:
    """User-slot evaluations per second of the pure function and of full batched steps."""

    users: int = 18
    """U, users per copy."""
    batches: CommaInts = (64, 1024, 8192)
    """Batch sizes (copies)."""
    repeats: int = 5
    """Timing windows per rate (0.2 s each or more; the best one is reported)."""
    gym_steps: int = 2000
    """Steps of the single-copy gymnasium slot env timed."""
    vector_copies: int = 64
    """Copies of the slot env for the vector env against as many single envs."""


def main(args: BenchTestbedArgs) -> Summary:
    """Every rate on one thread, the paper preset at `args.users`; goals printed, not asserted."""
    cfg = build_config("paper", 0, {"n_users": args.users})
    rows = []
    with threadpool_limits(1):
        for n in args.batches:
            rows.append(
                {
                    "copies": n,
                    "pure evaluate_slot [user-slots/s]": f"{bench_pure(cfg, n, args.repeats):.3g}",
                    "full step incl. sampling [user-slots/s]": f"{bench_full_step(cfg, n, args.repeats):.3g}",
                }
            )
        gym_rate = bench_gym_env(cfg, args.gym_steps)
        vec = bench_vector_env(cfg, args.vector_copies, args.repeats)
    ratio = vec["vector_entry_point"] / vec["sync"]
    return (
        Summary()
        .table(f"Testbed throughput, paper preset, U = {args.users}, one thread", rows)
        .line(f"gymnasium slot env (one copy, info dicts included): {gym_rate:.0f} steps/s")
        .line(
            f"slot env, {args.vector_copies} copies [copy-slots/s]: EdgeSlotVectorEnv "
            f"{vec['vector_entry_point']:.3g}, SyncVectorEnv of single envs {vec['sync']:.3g} "
            f"(x{ratio:.1f})"
        )
        .line("goals: >= 1e6 user-slot evaluations/s (pure), >= 1e5 user-slots/s (full step)")
    )
