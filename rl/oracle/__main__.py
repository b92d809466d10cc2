"""`python -m rl.oracle table|slots`: run a report (rl/oracle/report.py) and print it as a
markdown table."""

from __future__ import annotations

import argparse
import sys

import torch

from common.errors import UserError
from rl.oracle.report import OracleArgs, main


def print_markdown(doc: dict) -> None:
    """The report's rows as a markdown table on stdout."""
    if "table" in doc:
        print(
            "| gamma | best cache (31) | expected frame reward (32) | runner-up | margin (paired s.e.) | mean slot gap |"
        )
        print("|---|---|---|---|---|---|")
        for r in doc["table"]:
            print(
                f"| {r['gamma']:g} | {r['best_cache_index']} {r['best_cache']} | "
                f"{r['expected_frame_reward']:.3f} +- {r['stderr']:.3f} | "
                f"{r['runner_up_cache']} ({r['runner_up_reward']:.3f}) | "
                f"{r['margin']:.3f} ({r['margin_stderr']:.3f}) | {r['mean_slot_gap']:.3g} |"
            )
    else:
        print("| U | ms/slot mean | median | max | gap mean | gap max | proven optimal |")
        print("|---|---|---|---|---|---|---|")
        for r in doc["rows"]:
            print(
                f"| {r['n_users']} | {r['ms_per_slot_mean']:.1f} | {r['ms_per_slot_median']:.1f} | "
                f"{r['ms_per_slot_max']:.1f} | {r['gap_mean']:.3g} | {r['gap_max']:.3g} | "
                f"{r['share_proven_optimal']:.0%} |"
            )


def parse_args(argv: list[str] | None = None) -> OracleArgs:
    """OracleArgs from the command line (exits with one sentence on a malformed --users)."""
    ap = argparse.ArgumentParser(prog="python -m rl.oracle", description=main.__doc__)
    ap.add_argument("what", choices=("table", "slots"))
    ap.add_argument("--preset", default=None)
    ap.add_argument("--set", dest="sets", action="append", default=[])
    ap.add_argument("--users", default="10,12,14,16,18")
    ap.add_argument("--slots", type=int, default=20)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--samples", type=int, default=64)
    ap.add_argument("--max-nodes", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    ns = ap.parse_args(argv)
    try:
        users = tuple(int(x) for x in ns.users.split(",") if x.strip())
    except ValueError:
        sys.exit(f"error: --users expects comma-separated integers, got '{ns.users}'.")
    return OracleArgs(
        what=ns.what,
        preset=ns.preset,
        sets=ns.sets,
        users=users,
        slots=ns.slots,
        batch=ns.batch,
        samples=ns.samples,
        max_nodes=ns.max_nodes,
        seed=ns.seed,
        out=ns.out,
    )


if __name__ == "__main__":
    torch.set_num_threads(1)
    try:
        out = main(parse_args())
    except UserError as exc:  # ConfigError, OracleError: one sentence, exit 2
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    print_markdown(out)
