"""The oracle's reports, `t2drl oracle table|slots|value`: the P3 table per popularity state,
time and certified gap per slot against the number of users, and the value of caching
(`rl.oracle.value`), as JSON documents."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np

from common.io import writable_file, write_json
from common.progress import progress_bar
from common.provenance import provenance
from common.summary import Summary
from rl.oracle.args import OracleArgs
from rl.oracle.policy import OraclePolicy
from rl.oracle.problem import OracleError
from rl.oracle.slot import slot_oracle
from rl.oracle.value import case_overrides, value_of_caching
from testbed.batched import BatchedEdgeSim
from testbed.config import EdgeConfig
from testbed.policies import most_popular_cache
from testbed.rollout import policy_steps


class _SlotOracle:
    """The slot oracle as a policy under a fixed cache, keeping each call's result (its
    certified gap and reward)."""

    name = "slot-oracle"

    def __init__(self, cfg: EdgeConfig, sim: BatchedEdgeSim, max_nodes: int):
        self.cfg, self.params, self.max_nodes = cfg, sim.params, max_nodes
        self.cache = most_popular_cache(sim.params)
        self.last = None

    def choose_cache(self, gamma, rng):
        return self.cache

    def allocate(self, state, cache, rng):
        self.last = slot_oracle(
            state, cache, self.params, self.cfg.step_amender, max_nodes=self.max_nodes
        )
        return self.last.b, self.last.xi


def _serve_slots(
    cfg: EdgeConfig, sim: BatchedEdgeSim, n_slots: int, max_nodes: int
) -> tuple[list[float], list[float], list[float]]:
    """`n_slots` slots of the slot oracle on the most-popular cache through the one rollout
    loop (`testbed.rollout.policy_steps`). Returns per call its time (s) per slot, and per slot
    the certified gap and the reward."""
    policy = _SlotOracle(cfg, sim, max_nodes)
    times, gaps, rewards = [], [], []
    steps = policy_steps(policy, sim, np.random.default_rng(0))  # the oracle draws nothing
    for step in itertools.islice(steps, n_slots):
        times.append(step.decide_s / sim.n_envs)
        gaps.extend(policy.last.gap.tolist())
        rewards.extend(policy.last.reward.tolist())
    return times, gaps, rewards


def _slot_stats(cfg: EdgeConfig, n_slots: int, seed: int, max_nodes: int, batch: int = 1) -> dict:
    """Time per slot (`batch` slots per call, after one untimed call) and certified gap of the
    slot oracle on the most-popular cache."""
    sim = BatchedEdgeSim(cfg, batch, seed)
    sim.reset()
    sim.set_cache(most_popular_cache(sim.params))
    # untimed warm-up: the first call compiles rl/oracle/kernels.py (or loads numba's cache)
    slot_oracle(sim.state, sim.cache, sim.params, cfg.step_amender, max_nodes=max_nodes)
    times, gaps, rewards = _serve_slots(cfg, sim, n_slots, max_nodes)
    gaps_a = np.asarray(gaps)
    return {
        "ms_per_slot_mean": 1e3 * float(np.mean(times)),
        "ms_per_slot_median": 1e3 * float(np.median(times)),
        "ms_per_slot_max": 1e3 * float(np.max(times)),
        "gap_mean": float(gaps_a.mean()),
        "gap_max": float(gaps_a.max()),
        "share_proven_optimal": float(np.mean(gaps_a <= 1e-6)),
        "reward_mean": float(np.mean(rewards)),
    }


def _value_rows(args: OracleArgs) -> list[dict]:
    """One row per (case, U) of the value of caching (`rl.oracle.value`)."""
    cases = [(name, args.env.with_overrides(**case_overrides(name))) for name in args.cases]
    rows = []
    for name, env in cases or [("", args.env)]:
        for u in progress_bar(args.users, desc=f"U ({name})" if name else "U"):
            cfg = env.with_overrides(n_users=u).build()
            res = value_of_caching(
                cfg, args.eval_seeds, args.samples, args.seed, args.episodes, args.max_nodes
            )
            case = name or cfg.preset
            rows.append({"case": case, "n_users": u, **res, "config": cfg.to_dict()})
    return rows


def main(args: OracleArgs) -> dict:
    """Run the "table", "slots" or "value" report; returns (and optionally writes) the JSON."""
    if args.what not in ("table", "slots", "value"):
        raise OracleError(f"report must be 'table', 'slots' or 'value', got {args.what!r}.")
    for name in ("slots", "batch", "samples", "episodes"):
        if getattr(args, name) < 1:
            raise OracleError(f"--{name} must be a positive integer, got {getattr(args, name)}.")
    if args.out:
        writable_file(args.out)
    doc: dict = {"args": dataclasses.asdict(args)}
    if args.what == "table":
        cfg = args.env.build()
        policy = OraclePolicy(cfg, args.samples, args.seed, frame_max_nodes=args.max_nodes)
        policy.progress = True
        doc["table"] = policy.frame_table()
        doc["config"] = cfg.to_dict()
    elif args.what == "slots":
        rows = []
        for u in progress_bar(args.users, desc="U"):
            cfg = args.env.with_overrides(n_users=u).build()
            stats = _slot_stats(cfg, args.slots, args.seed, args.max_nodes, args.batch)
            rows.append({"n_users": u, "batch": args.batch, **stats})
        doc["rows"] = rows
        doc["config"] = cfg.to_dict()
    else:
        doc["value"] = _value_rows(args)  # each row has its config
    doc["provenance"] = provenance()
    if args.out:
        write_json(args.out, doc, indent=2)
    return doc


def summary(doc: dict) -> Summary:
    """The report's rows as one table."""
    if "table" in doc:
        rows = [
            {
                "gamma": f"{r['gamma']:g}",
                "best cache (31)": f"{r['best_cache_index']} {r['best_cache']}",
                "expected frame reward (32)": f"{r['expected_frame_reward']:.3f} +- {r['stderr']:.3f}",
                "runner-up": f"{r['runner_up_cache']} ({r['runner_up_reward']:.3f})",
                "margin (paired s.e.)": f"{r['margin']:.3f} ({r['margin_stderr']:.3f})",
                "mean slot gap": f"{r['mean_slot_gap']:.3g}",
            }
            for r in doc["table"]
        ]
        return Summary().table("P3 per popularity state", rows)
    if "value" in doc:
        return Summary().table(
            "Value of caching: the oracle's cache against an empty cache", value_table(doc["value"])
        )
    rows = [
        {
            "U": r["n_users"],
            "ms/slot mean": f"{r['ms_per_slot_mean']:.1f}",
            "median": f"{r['ms_per_slot_median']:.1f}",
            "max": f"{r['ms_per_slot_max']:.1f}",
            "gap mean": f"{r['gap_mean']:.3g}",
            "gap max": f"{r['gap_max']:.3g}",
            "proven optimal": f"{r['share_proven_optimal']:.0%}",
        }
        for r in doc["rows"]
    ]
    return Summary().table("Slot oracle: time and certified gap per slot", rows)


def _ci(d: dict, digits: int = 3) -> str:
    return f"{d['mean']:.{digits}g} [{d['ci95_low']:.{digits}g}, {d['ci95_high']:.{digits}g}]"


def value_table(rows: list[dict]) -> list[dict]:
    """The value-of-caching rows as docs/oracle.md shows them."""
    return [
        {
            "case": r["case"],
            "U": r["n_users"],
            "tau [s]": f"{r['config']['slot_duration_s']:.4g}",
            "utility, oracle's cache": _ci(r["cached"]["utility"]),
            "utility, empty cache": _ci(r["empty"]["utility"]),
            "value (11): empty - cached": _ci(r["value_utility"]),
            "value (23): reward gain": _ci(r["value_reward"]),
            "hit ratio": f"{r['cached']['hit_ratio']['mean']:.3f}",
            "violations, cached / empty": (
                f"{r['cached']['violation_share']['mean']:.3f} / "
                f"{r['empty']['violation_share']['mean']:.3f}"
            ),
        }
        for r in rows
    ]
