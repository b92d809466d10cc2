"""What the full evaluation cost, from its committed run records: per sweep, the runs, the ones
reused from another sweep, and the runs' own core-hours, counted as the sweeps' reports count them
(`rl.experiments.markdown.measured_times`: CPU seconds where a record holds them, wall seconds
for records made before session 15, Table 3's timed slots for records before `bench_wall_s`).

    python docs/examples/evaluation_cost.py docs/experiments/fig7-paper-default \
        docs/experiments/fig8-paper-default ...
    python docs/examples/evaluation_cost.py --by-method ...   # the same core-hours per method

The wall times of the sweeps themselves are in docs/experiments/full-evaluation-times.log.
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from pathlib import Path

import tyro

from rl.experiments.markdown import cpu_timed_share, measured_times


@dataclasses.dataclass
class Args:
    folders: tyro.conf.Positional[tuple[Path, ...]]
    """Sweep output folders (their runs/*.json)."""
    by_method: bool = False
    """One row per method over all the folders instead of one per folder."""


def _records(folder: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((folder / "runs").glob("*.json"))]


def folder_row(folder: Path) -> tuple[list[str], float]:
    records = _records(folder)
    own = [r for r in records if "reused_from" not in r]
    train_s, eval_s, bench_s, *_ = measured_times(own)
    train, other = train_s / 3600, (eval_s + bench_s) / 3600
    name = folder.as_posix().removeprefix("docs/experiments/")
    cpu, n = cpu_timed_share(own)
    return [name, str(len(records)), str(len(records) - len(own)), f"{cpu}/{n}", f"{train:.2f}",
            f"{other:.2f}", f"{train + other:.2f}"], train + other  # fmt: skip


def table(args: Args) -> list[str]:
    head = ["sweep", "runs", "reused", "CPU-timed", "training [core-h]", "evaluation / timing [core-h]",
            "total [core-h]"]  # fmt: skip
    rows, hours = zip(*(folder_row(f) for f in args.folders), strict=True)
    total = sum(hours)  # of the unrounded rows
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return [*lines, f"| all | {sum(int(r[1]) for r in rows)} | | | | | {total:.2f} |"]


def method_table(args: Args) -> list[str]:
    """Core-hours per method over every folder's own runs (reused ones counted where made)."""
    hours: dict[str, float] = defaultdict(float)
    for folder in args.folders:
        for rec in _records(folder):
            if "reused_from" not in rec:
                hours[rec["spec"]["algo"]] += sum(measured_times([rec])[:3]) / 3600
    lines = ["| method | core-h |", "|---|---:|"]
    lines += [f"| {a} | {h:.3f} |" for a, h in sorted(hours.items(), key=lambda x: -x[1])]
    return [*lines, f"| all | {sum(hours.values()):.3f} |"]


if __name__ == "__main__":
    args = tyro.cli(Args)
    print("\n".join(method_table(args) if args.by_method else table(args)))
