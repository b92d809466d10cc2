"""The headline tables of README and docs/experiments.md, from the committed run records.

One row per (sweep, swept value): the oracle's utility (11) and hit ratio, a method's
(T2DRL by default), its utility gap to the oracle in % (paired on the evaluation seeds, mean
[95 % t-interval over training seeds] and worst training seed) and RCARS's gap, exactly as the
sweeps' reports compute them (`rl.experiments.stats`). Hit-ratio intervals are clipped to
[0, 1].

    python docs/examples/headline.py \
        "paper, env seed 0=docs/experiments/fig7-paper-default" \
        "paper, env seed 1=docs/experiments/fig7-paper-e1-default" \
        "fitted (scaled)=docs/experiments/fig7-fitted-scaled-default"
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import tyro

from common.errors import UserError
from rl.experiments.markdown import ci_text
from rl.experiments.rows import per_seed_rows, x_text, xs_of
from rl.experiments.spec import DISPLAY, LEARNED
from rl.experiments.stats import mean_interval, relative_gaps, summary
from t2drl_cli.main import run_guarded

# The swept value's symbol in the table (Fig. 8's C in GB).
SYMBOL = {"fig6a": "L", "fig6b": "", "fig7": "U", "fig8": "C", "table3": "U"}


@dataclasses.dataclass
class Args:
    sweeps: tyro.conf.Positional[tuple[str, ...]]
    """LABEL=FOLDER pairs: a sweep's output folder (its runs/*.json) and its row label."""
    algo: str = "t2drl"
    """The method set beside the oracle."""
    baselines_from: Path | None = None
    """A sweep folder whose oracle and baseline records stand in for those of sweeps without any
    (learned records set aside from a sweep, e.g. docs/experiments/reward-unit/before/)."""


def read_records(folder: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((folder / "runs").glob("*.json"))]


def parse_sweep(item: str) -> tuple[str, Path]:
    """(label, folder) of one LABEL=FOLDER argument (the label may hold "=", e.g. "H = 500")."""
    label, sep, folder = item.rpartition("=")
    if not sep or not label.strip():
        raise UserError(f"sweep {item!r}: expected LABEL=FOLDER.")
    if not any((Path(folder) / "runs").glob("*.json")):
        raise UserError(f"sweep {item!r}: {folder}/runs holds no run records (*.json).")
    return label, Path(folder)


def sweep_rows(folder: Path, baselines_from: Path | None) -> tuple[str, list[dict]]:
    """(experiment, per-seed rows) of the finished records in `folder`/runs, with the oracle and
    baselines of `baselines_from` where `folder` has none."""
    records = read_records(folder)
    if baselines_from and all(r["spec"]["algo"] in LEARNED for r in records):
        records += [r for r in read_records(baselines_from) if r["spec"]["algo"] not in LEARNED]
    experiment = records[0]["spec"]["experiment"]
    return experiment, per_seed_rows(experiment, records)


def interval(rows, algo, x, metric) -> str:
    m, lo, hi, n = mean_interval(rows, algo, x, metric)
    if metric == "hit_ratio" and n > 1:
        lo, hi = max(lo, 0.0), min(hi, 1.0)
    return ci_text(m, lo, hi) if n else "--"


def gap(rows, algo, x) -> tuple[str, str]:
    """Mean [interval] of the % utility gap to the oracle, and its worst replicate."""
    pct = relative_gaps(rows, algo, x)
    if not pct:
        return "--", "--"
    m, lo, hi, _ = summary(pct)
    return ci_text(m, lo, hi), f"{max(pct):.3g}"


def table(args: Args) -> list[str]:
    name = DISPLAY[args.algo]
    head = [
        "environment", "swept", "oracle utility", "oracle hit ratio", f"{name} utility",
        f"{name} hit ratio", f"{name} gap %", f"{name} worst seed gap %", "RCARS gap %",
    ]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for item in args.sweeps:
        label, folder = parse_sweep(item)
        experiment, rows = sweep_rows(folder, args.baselines_from)
        for x in xs_of(rows) or [None]:
            g, worst = gap(rows, args.algo, x)
            cells = [
                label,
                f"{SYMBOL[experiment]} = {x_text(x)}" if x is not None else "--",
                interval(rows, "oracle", x, "utility"),
                interval(rows, "oracle", x, "hit_ratio"),
                interval(rows, args.algo, x, "utility"),
                interval(rows, args.algo, x, "hit_ratio"),
                g,
                worst,
                gap(rows, "rcars", x)[0],
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return lines


if __name__ == "__main__":
    run_guarded(lambda: print("\n".join(table(tyro.cli(Args)))))
