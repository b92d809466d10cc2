"""Decision time per slot for every method and U in {10, ..., 18} (Table 3).

`t2drl bench rl` prints the table; nothing here is a timed test. The measure is the paper's:
wall time of one slot's decision on one CPU core (`torch.set_num_threads(1)`) for a single
network copy (N = 1), i.e. `allocate` (or HCRAS's `decide_slot`) plus `choose_cache`
amortised over the K slots of a frame. One untimed warm-up slot precedes the timed ones.

Learned agents are untrained networks of the right shape (inference time does not depend on
the weights), built by `rl.registry.make_policy` like every other method.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import torch

from common.errors import UserError
from common.io import writable_file, write_json
from common.provenance import cpu_name, load_average, provenance
from common.summary import Summary
from rl import registry
from rl.harness.args import BenchArgs
from testbed.rollout import policy_steps, seeded_sim

ALGOS = registry.TABLE3_ORDER
DEFAULT_ALGOS = tuple(a for a in ALGOS if registry.BY_NAME[a].paper_table3)
"""The paper's rows. The oracle's P3 table is computed before its timing (offline work, not a
slot decision), so it is timed only when asked for (`--algo oracle`)."""
DISPLAY = registry.DISPLAY
REFERENCE = "ddpg-t2drl"


class BenchError(UserError):
    """Bad benchmark input (one sentence)."""


def time_policy(policy, cfg, seed: int, n_slots: int) -> dict[str, float]:
    """Mean ms of `choose_cache` per call, of the slot decision per slot, and their sum per slot
    with `choose_cache` amortised over K (`testbed.rollout.policy_steps`; slot 0 is the
    warm-up). The oracle's P3 table (`frame_table`) is built first: offline work per
    popularity state, not a slot decision."""
    if hasattr(policy, "frame_table"):
        policy.frame_table()
    sim, rng = seeded_sim(cfg, seed)
    cache_s, slot_s, n_cache = 0.0, 0.0, 0
    for i, step in enumerate(policy_steps(policy, sim, rng)):
        if i > 0:
            if step.frame_start:
                cache_s, n_cache = cache_s + step.cache_s, n_cache + 1
            slot_s += step.decide_s
        if i == n_slots:
            break
    if n_cache == 0:  # no frame started inside the timed slots: time one more call
        t0 = time.perf_counter()
        policy.choose_cache(sim.gamma, rng)
        cache_s, n_cache = time.perf_counter() - t0, 1
    cache_ms = 1e3 * cache_s / n_cache
    slot_ms = 1e3 * slot_s / n_slots
    return {
        "choose_cache_ms": cache_ms,
        "allocate_ms": slot_ms,
        "decision_time_ms": slot_ms + cache_ms / cfg.n_slots,
    }


def _check(args: BenchArgs) -> None:
    unknown = [a for a in args.algos if a not in ALGOS]
    if unknown:
        raise BenchError(f"unknown algorithm '{unknown[0]}'; expected some of: {', '.join(ALGOS)}.")
    if not args.users or any(not isinstance(u, int) or u < 1 for u in args.users):
        raise BenchError(f"--users expects positive integers, got {list(args.users)}.")
    if args.slots < 1:
        raise BenchError(f"--slots must be a positive integer, got {args.slots}.")
    if args.out:
        writable_file(args.out)


def main(args: BenchArgs, log: Callable[[str], None] | None = None) -> dict:
    """Time every algorithm at every U; returns the rows and the settings (and writes them to
    `args.out` as JSON). `log` gets one line per timed cell."""
    args = dataclasses.replace(args, algos=args.algos or DEFAULT_ALGOS)
    _check(args)
    load_before = _load_text()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    rows = []
    try:
        for algo in args.algos:
            for u in args.users:
                cfg = args.env.with_overrides(n_users=u).build()
                policy = registry.make_policy(algo, cfg, ga=args.ga, oracle_samples=2)
                row = {
                    "algo": algo,
                    "n_users": u,
                    **time_policy(policy, cfg, args.seed, args.slots),
                }
                rows.append(row)
                if log is not None:
                    log(f"{DISPLAY[algo]}, U = {u}: {row['decision_time_ms']:.4g} ms/slot")
    finally:
        torch.set_num_threads(threads)
    ref = {r["n_users"]: r["decision_time_ms"] for r in rows if r["algo"] == REFERENCE}
    for r in rows:
        r["ratio_to_ddpg_t2drl"] = (
            r["decision_time_ms"] / ref[r["n_users"]] if r["n_users"] in ref else None
        )
    doc = {
        "rows": rows,
        "settings": {
            "users": list(args.users),
            "slots": args.slots,
            "seed": args.seed,
            "torch_threads": 1,
            "ga": dataclasses.asdict(args.ga),
            "cpu": cpu_name(),
            "load_before": load_before,
            "load_after": _load_text(),
        },
    }
    if args.out:
        write_json(args.out, doc | {"provenance": provenance()}, indent=2)
        doc["written"] = args.out
    return doc


def _load_text() -> str:
    """1-minute load average as text, "n/a" where unknown."""
    load = load_average()
    return "n/a" if load is None else f"{load:.2f}"


def _cell(row: dict) -> str:
    text = f"{row['decision_time_ms']:.4g}"
    ratio = row["ratio_to_ddpg_t2drl"]
    if ratio is not None:
        text += f" ({ratio:.0f}x)" if ratio >= 100 else f" ({ratio:.3g}x)"
    return text


def summary(doc: dict) -> Summary:
    """Table 3's layout: one row per method, one column per U, ratios to DDPG-based T2DRL."""
    s = doc["settings"]
    rows = []
    for algo in dict.fromkeys(r["algo"] for r in doc["rows"]):
        cells = {r["n_users"]: _cell(r) for r in doc["rows"] if r["algo"] == algo}
        rows.append({"algorithm": DISPLAY[algo], **{f"U = {u}": cells[u] for u in s["users"]}})
    out = Summary().table("Decision time per slot in ms (ratio to DDPG-based T2DRL)", rows)
    out.line(
        f"{s['slots']} timed slots each after 1 warm-up; torch threads 1; GA pop "
        f"{s['ga']['pop_size']} x {s['ga']['n_gen']} generations; CPU: {s['cpu']}; "
        f"load average before/after: {s['load_before']} / {s['load_after']}"
    )
    if "written" in doc:
        out.line(f"wrote {doc['written']}")
    return out
