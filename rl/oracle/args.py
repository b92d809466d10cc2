"""The options of `t2drl oracle` (light: no numba, so the CLI starts fast)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from common.cli_types import CommaInts, CommaStrs, Positional
from testbed.sources import EnvArgs


@dataclass
class OracleArgs:
    """The exact oracle's reports (`rl.oracle.report.main`): the P3 table per popularity state,
    the slot oracle's time and certified gap per slot against U, or the value of caching (the
    oracle with its cache against the oracle with none, `rl.oracle.value`)."""

    what: Positional[Literal["table", "slots", "value"]] = "slots"
    """"table": the P3 table per popularity state; "slots": time and gap per slot against U;
    "value": utility and reward with the oracle's cache against an empty cache, per U."""
    env: EnvArgs = field(default_factory=EnvArgs)
    """The edge network (n_users is set per U for "slots" and "value")."""
    users: CommaInts = (10, 12, 14, 16, 18)
    """Numbers of users for "slots" and "value"."""
    cases: CommaStrs = ()
    """"value": named environments set on top of --env (`rl.oracle.value.CASES`: paper,
    fitted-raw, fitted, fitted-tau-backhaul-L, fitted-raw-penalties); default: --env itself."""
    eval_seeds: CommaInts = tuple(range(1000, 1010))
    """"value": held-out seeds, e.g. 1000-1009; both runs see the same episodes per seed."""
    episodes: int = 1
    """"value": episodes per seed."""
    slots: int = 20
    """Calls per U for "slots", one after the other."""
    batch: int = 1
    """Slots per call for "slots" (network copies stepped together; 1 = one decision at a
    time, as a policy runs). Times are per slot: a call's time divided by `batch`."""
    samples: int = 64
    """Common slot samples per popularity state for the P3 table ("table", "value")."""
    max_nodes: int = 1
    """Branch-and-bound budget of the slot oracle per slot."""
    seed: int = 0
    """Seed of the simulated slots (and of the P3 samples; "value": of the P3 samples only)."""
    out: str | None = None
    """Write the result as JSON here."""
