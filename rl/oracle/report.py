"""The oracle's reports, `python -m rl.oracle table|slots`: the P3 table per popularity state, and
time and certified gap per slot against the number of users, as JSON documents."""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from common.io import write_json
from common.provenance import provenance
from rl.oracle.policy import OraclePolicy
from rl.oracle.problem import OracleError
from rl.oracle.slot import slot_oracle
from testbed.batched import BatchedEdgeSim
from testbed.config import EdgeConfig, config_from_sources
from testbed.policies import most_popular_cache
from testbed.rollout import policy_steps


@dataclass
class OracleArgs:
    """Arguments of `python -m rl.oracle` (P3 table and slot statistics)."""

    what: str = "slots"
    """"table": the P3 table per popularity state; "slots": time and gap per slot vs U."""
    preset: str | None = None
    """Config preset: paper or fitted (default paper)."""
    sets: list[str] = dataclasses.field(default_factory=list)
    """--set name=value config overrides (as in t2drl check-config)."""
    users: tuple[int, ...] = (10, 12, 14, 16, 18)
    """Numbers of users for "slots"."""
    slots: int = 20
    """Calls per U for "slots", one after the other."""
    batch: int = 1
    """Slots per call for "slots" (network copies stepped together; 1 = one decision at a
    time, as a policy runs). Times are per slot: a call's time divided by `batch`."""
    samples: int = 64
    """Common slot samples per popularity state for "table"."""
    max_nodes: int = 1
    """Branch-and-bound budget of the slot oracle per slot."""
    seed: int = 0
    """Seed of the simulated slots (and of the P3 samples)."""
    out: str | None = None
    """Write the result as JSON here."""


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


def main(args: OracleArgs) -> dict:
    """Run the "table" or "slots" report; returns (and optionally writes) the JSON document."""
    if args.what not in ("table", "slots"):
        raise OracleError(f"what must be 'table' or 'slots', got {args.what!r}.")
    for name in ("slots", "batch", "samples"):
        if getattr(args, name) < 1:
            raise OracleError(f"--{name} must be a positive integer, got {getattr(args, name)}.")
    doc: dict = {"args": dataclasses.asdict(args)}
    if args.what == "table":
        cfg = config_from_sources(sets=args.sets, preset=args.preset)
        policy = OraclePolicy(cfg, args.samples, args.seed, frame_max_nodes=args.max_nodes)
        policy.progress = True
        doc["table"] = policy.frame_table()
    else:
        rows = []
        for u in tqdm(args.users, desc="U"):
            cfg = config_from_sources(sets=[*args.sets, f"n_users={u}"], preset=args.preset)
            stats = _slot_stats(cfg, args.slots, args.seed, args.max_nodes, args.batch)
            rows.append({"n_users": u, "batch": args.batch, **stats})
        doc["rows"] = rows
    doc["config"] = cfg.to_dict()
    doc["provenance"] = provenance()
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        write_json(args.out, doc, indent=2)
    return doc
