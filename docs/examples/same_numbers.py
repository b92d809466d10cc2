"""Do two folders of run records hold the same results? A rerun of committed runs (another
session, machine or load) against the committed records: each run's config, training curve and
evaluation must be equal bit for bit; only its clocks (wall and CPU seconds, decision times),
load and provenance may differ.

    python docs/examples/same_numbers.py docs/experiments/fig7-paper-default/runs rerun/fig7/runs
    python docs/examples/same_numbers.py OLD NEW --adopt   # then replace OLD's equal records

`--adopt` copies every equal record of NEW over OLD's (they then carry the rerun's clocks, e.g.
CPU seconds that older records lack); a record that differs is reported and left alone.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import tyro

CLOCKS = {"wall_s", "cpu_s", "decision_time_ms"}
"""Per-episode and per-seed entries that time the work rather than result from it."""
RESULTS = ("spec", "config", "curve", "eval")
"""The parts of a record that must be equal."""


@dataclasses.dataclass
class Args:
    old: tyro.conf.Positional[Path]
    """Folder of the committed run records (runs/*.json)."""
    new: tyro.conf.Positional[Path]
    """Folder of the rerun's records."""
    adopt: bool = False
    """Copy each equal record of `new` over `old`'s."""


def _values(part):
    """A record part without its clocks, as a comparable structure (NaN equal to NaN)."""
    if isinstance(part, dict):
        return {k: _values(v) for k, v in part.items() if k not in CLOCKS}
    if isinstance(part, list):
        return [_values(v) for v in part]
    return part


def _equal(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return bool(np.array_equal(a, b, equal_nan=True))
    return a == b


def differing_parts(old: dict, new: dict) -> list[str]:
    """The parts of `RESULTS` in which two records of one run differ."""
    return [p for p in RESULTS if not _equal(_values(old.get(p)), _values(new.get(p)))]


def main(args: Args) -> None:
    equal, differ, missing = [], [], []
    for path in sorted(args.new.glob("*.json")):
        old_path = args.old / path.name
        if not old_path.exists():
            missing.append(path.name)
            continue
        parts = differing_parts(json.loads(old_path.read_text()), json.loads(path.read_text()))
        (differ if parts else equal).append((path, parts))
    for path, parts in differ:
        print(f"differs: {path.name} ({', '.join(parts)})")
    for name in missing:
        print(f"not in {args.old}: {name}")
    print(f"{len(equal)} equal, {len(differ)} differ, {len(missing)} without a committed record")
    if args.adopt:
        for path, _ in equal:
            shutil.copyfile(path, args.old / path.name)
        print(f"adopted {len(equal)} records into {args.old}")


if __name__ == "__main__":
    main(tyro.cli(Args))
