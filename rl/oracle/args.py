"""The options of `t2drl oracle` (light: no numba, so the CLI starts fast)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from common.cli_types import CommaInts, Positional
from testbed.sources import EnvArgs


@dataclass
class OracleArgs:
    """The exact oracle's reports (`rl.oracle.report.main`): the P3 table per popularity state,
    or the slot oracle's time and certified gap per slot against U."""

    what: Positional[Literal["table", "slots"]] = "slots"
    """"table": the P3 table per popularity state; "slots": time and gap per slot against U."""
    env: EnvArgs = field(default_factory=EnvArgs)
    """The edge network (n_users is set per U for "slots")."""
    users: CommaInts = (10, 12, 14, 16, 18)
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
