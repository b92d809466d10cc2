"""The GA behind SCHRS and HCRAS, pymoo's `minimize` against `rl.baselines.ga.evolve` (the same
GA on arrays), side by side on the same slots (`t2drl bench ga`; nothing here is a timed test).

After one untimed pair, each slot of one network copy is solved by both, in alternating order,
with the same pymoo seed; the CPU time of each run (`time.process_time`) is summed per (U,
baseline), and each pair of best chromosomes is compared bit for bit.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from common.errors import UserError
from common.provenance import cpu_name
from common.summary import Summary
from rl.baselines.ga import SlotData, evolve, minimize_best, seeded_problem
from rl.baselines.policies import slot_of
from rl.harness.args import BenchGAArgs
from testbed.policies import most_popular_cache
from testbed.rollout import seeded_sim
from testbed.system_model import SystemParams

BASELINES = {"SCHRS": False, "HCRAS": True}
"""Baseline -> whether its GA also chooses the cache."""


class BenchGAError(UserError):
    """Bad benchmark input (one sentence)."""


def _slots(cfg, seed: int, n: int) -> list[SlotData]:
    """`n` successive slots of one copy served with the most-popular cache."""
    sim, _ = seeded_sim(cfg, seed)
    sim.reset()
    cache = most_popular_cache(sim.params)
    sim.set_cache(cache)
    out = []
    for _ in range(n):
        out.append(slot_of(sim.state, cache[None], 0))
        zeros = np.zeros((1, cfg.n_users))
        sim.step(zeros, zeros.copy())
    return out


def _timed(fn: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
    t0 = time.process_time()
    best = fn()
    return best, time.process_time() - t0


def time_pair(problem, seeds: np.ndarray, ga, seed: int, pymoo_first: bool) -> dict:
    """CPU seconds of one run of each, and whether their best chromosomes are equal."""
    order = (minimize_best, evolve) if pymoo_first else (evolve, minimize_best)
    timed = {f: _timed(lambda f=f: f(problem, seeds, ga, seed)) for f in order}
    (a, pymoo_s), (b, arrays_s) = timed[minimize_best], timed[evolve]
    return {"pymoo_s": pymoo_s, "arrays_s": arrays_s, "same": bool(np.array_equal(a, b))}


def main(args: BenchGAArgs, log: Callable[[str], None] | None = None) -> dict:
    """One row per (U, baseline): CPU ms per slot of each and the slots with the same best."""
    if not args.users or any(not isinstance(u, int) or u < 1 for u in args.users):
        raise BenchGAError(f"--users expects positive integers, got {list(args.users)}.")
    if args.slots < 1:
        raise BenchGAError(f"--slots must be a positive integer, got {args.slots}.")
    rows = []
    cfg = args.env.build()
    warm = seeded_problem(_slots(cfg, args.seed, 1)[0], SystemParams.from_config(cfg), args.ga)
    time_pair(*warm, args.ga, args.seed, pymoo_first=True)  # untimed: first calls
    for u in args.users:
        cfg = args.env.with_overrides(n_users=u).build()
        params = SystemParams.from_config(cfg)
        slots = _slots(cfg, args.seed, args.slots)
        for name, with_cache in BASELINES.items():
            pairs = [
                time_pair(
                    *seeded_problem(slot, params, args.ga, with_cache),
                    args.ga,
                    args.seed + i,
                    i % 2 == 0,
                )
                for i, slot in enumerate(slots)
            ]
            pymoo_ms = 1e3 * sum(p["pymoo_s"] for p in pairs) / len(pairs)
            arrays_ms = 1e3 * sum(p["arrays_s"] for p in pairs) / len(pairs)
            rows.append(
                {
                    "n_users": u,
                    "baseline": name,
                    "pymoo_ms": pymoo_ms,
                    "arrays_ms": arrays_ms,
                    "ratio": pymoo_ms / arrays_ms,
                    "same": sum(p["same"] for p in pairs),
                    "slots": len(pairs),
                }
            )
            if log is not None:
                log(f"{name}, U = {u}: {pymoo_ms:.4g} / {arrays_ms:.4g} ms per slot")
    return {"rows": rows, "ga": args.ga, "cpu": cpu_name()}


def summary(doc: dict) -> Summary:
    rows = [
        {
            "U": r["n_users"],
            "baseline": r["baseline"],
            "pymoo minimize [CPU ms/slot]": f"{r['pymoo_ms']:.4g}",
            "on arrays [CPU ms/slot]": f"{r['arrays_ms']:.4g}",
            "pymoo / arrays": f"{r['ratio']:.2f}",
            "same best chromosome": f"{r['same']} of {r['slots']}",
        }
        for r in doc["rows"]
    ]
    ga = doc["ga"]
    return (
        Summary()
        .table("The GA through pymoo's minimize and on arrays, side by side", rows)
        .line(f"GA pop {ga.pop_size} x {ga.n_gen} generations; CPU: {doc['cpu']}")
    )
