"""A leaner critic at equal results? The default design with its factored critic at 2 x 64
instead of 2 x 256, trained as Fig. 7's runs (paper preset, 5 seeds, H = 100 of 8 copies,
packed per method and U) and scored on the committed full-form runs' 10 evaluation seeds,
beside those runs (docs/experiments/lean-critic/w256, set aside from
docs/experiments/fig7-paper-default when 2 x 64 became the default) and their oracle.

    python docs/examples/lean_critic.py --width 64 --algos t2drl ddpg-t2drl --users 10 18
    python docs/examples/lean_critic.py --width 32 --against 64   # and the paired difference

Trains into runs/lean/ (resumes), writes one record per run to docs/experiments/lean-critic/
(a run with its record is not trained again), then prints the comparison table of
docs/experiments.md ("A leaner critic").
"""

from __future__ import annotations

import dataclasses
import glob
import json
import time
from pathlib import Path

import numpy as np
import tyro

from common.provenance import provenance
from common.stats import t_interval
from rl import registry
from rl.agents.common import limit_threads
from rl.experiments.run import train_args
from rl.experiments.spec import RunSpec
from rl.harness.train_pack import main as train_pack
from testbed.config import build_config
from testbed.rollout import run_seed

# The committed full-form runs made with the 2 x 256 critic (the default design until session 10),
# set aside when the default became 2 x 64; their oracle stays with the sweep's other baselines.
COMMITTED = "docs/experiments/lean-critic/w256/fig7-paper-default"
ORACLE = "docs/experiments/fig7-paper-default/runs"
EVAL_SEEDS = range(1000, 1010)


@dataclasses.dataclass
class Args:
    width: int = 64
    """Hidden width of the critic's two layers."""
    algos: tuple[str, ...] = ("t2drl", "ddpg-t2drl")
    users: tuple[int, ...] = (10, 18)
    seeds: int = 5
    out: Path = Path("runs/lean")
    """Training folders (not committed)."""
    records: Path = Path("docs/experiments/lean-critic")
    """One JSON record per run (committed; a run with its record is not trained again)."""
    against: int | None = None
    """Also print the gap's paired difference to the records of this width (same training and
    evaluation seeds): over training seeds, and over evaluation seeds with training held."""


def train(args: Args, algo: str, users: int) -> list[Path]:
    """Train (or resume) the pack of `args.seeds` runs and score each on the evaluation seeds,
    unless their records exist; the records' paths."""
    name = f"w{args.width}-{algo}-u{users}"
    records = [args.records / f"{name}-s{s}.json" for s in range(args.seeds)]
    if all(r.exists() for r in records):
        return records
    dirs = [args.out / f"{name}-s{s}" for s in range(args.seeds)]
    runs = []
    for seed, d in enumerate(dirs):  # Fig. 7's full-form run, with the critic's width changed
        spec = RunSpec(
            experiment="fig7", algo=algo, env_preset="paper", env_overrides=(("n_users", users),),
            hparams="default", train_seed=seed, episodes=100,
        )  # fmt: skip
        base = train_args(spec, d)
        width = (args.width, args.width)
        runs.append(
            dataclasses.replace(base, d3pg=dataclasses.replace(base.d3pg, critic_hidden=width))
        )
    t0 = time.perf_counter()
    train_pack(runs)
    wall = time.perf_counter() - t0
    cfg = build_config("paper", 0, {"n_users": users})
    args.records.mkdir(parents=True, exist_ok=True)
    for run, d, record in zip(runs, dirs, records, strict=True):
        policy = registry.make_policy(algo, cfg, checkpoint=d)
        evals = [{"eval_seed": s, **run_seed(policy, cfg, s, 1)} for s in EVAL_SEEDS]
        doc = {"train_args": {"algo": algo, "users": users, "seed": run.seed, "width": args.width}}
        doc |= {"pack_wall_s": wall, "provenance": provenance(), "eval": evals}
        record.write_text(json.dumps(doc, indent=1))
    return records


def _committed(algo: str, users: int) -> list[dict]:
    folder = ORACLE if algo == "oracle" else COMMITTED
    recs = [json.loads(Path(f).read_text()) for f in glob.glob(f"{folder}/*.json")]
    return [
        r
        for r in recs
        if r["spec"]["algo"] == algo and r["spec"]["env_overrides"].get("n_users") == users
    ]


def _ci(values) -> str:
    mean, low, high = t_interval(list(values))
    return f"{mean:.2f} [{low:.2f}, {high:.2f}]"


def row(algo: str, users: int, records: list[Path]) -> dict:
    """Utility, gap to the oracle (paired per evaluation seed, %) and hit ratio, mean [95 %
    t-interval over training seeds], both widths; training seconds per run."""
    oracle = {e["eval_seed"]: e["utility"] for e in _committed("oracle", users)[0]["eval"]}
    base = [r["eval"] for r in _committed(algo, users)]
    lean = [json.loads(r.read_text())["eval"] for r in records]

    def mean(evals, key):
        return [np.mean([e[key] for e in ev]) for ev in evals]

    def gap(evals):
        return [
            np.mean([100 * (e["utility"] / oracle[e["eval_seed"]] - 1) for e in ev]) for ev in evals
        ]

    walls = [r["train_wall_s"] for r in _committed(algo, users)]
    pack_wall = json.loads(records[0].read_text())["pack_wall_s"]
    return {
        "method": algo, "U": users,
        "utility, 2 x 256": _ci(mean(base, "utility")), "gap %, 2 x 256": _ci(gap(base)),
        "utility, lean": _ci(mean(lean, "utility")), "gap %, lean": _ci(gap(lean)),
        "hit ratio, 2 x 256": _ci(mean(base, "hit_ratio")),
        "hit ratio, lean": _ci(mean(lean, "hit_ratio")),
        "train s/run, 2 x 256 alone": f"{np.mean(walls):.0f}",
        "train s/run, lean in a pack": f"{pack_wall / len(records):.0f}",
    }  # fmt: skip


def _gaps(records: list[Path], users: int) -> np.ndarray:
    """Gap to the oracle in %, (training seeds, evaluation seeds)."""
    oracle = {e["eval_seed"]: e["utility"] for e in _committed("oracle", users)[0]["eval"]}
    evals = [json.loads(r.read_text())["eval"] for r in records]
    return np.array(
        [[100 * (e["utility"] / oracle[e["eval_seed"]] - 1) for e in ev] for ev in evals]
    )


def paired_row(args: Args, algo: str, users: int, records: list[Path]) -> dict:
    name = f"w{args.against}-{algo}-u{users}"
    base = [args.records / f"{name}-s{s}.json" for s in range(args.seeds)]
    diff = _gaps(records, users) - _gaps(base, users)
    return {
        "method": algo, "U": users,
        f"gap % {args.width} - {args.against}, over training seeds": _ci(diff.mean(axis=1)),
        "over evaluation seeds": _ci(diff.mean(axis=0)),
    }  # fmt: skip


def _print_table(rows: list[dict]) -> None:
    print("| " + " | ".join(rows[0]) + " |")
    print("|" + "---|" * len(rows[0]))
    for r in rows:
        print("| " + " | ".join(str(v) for v in r.values()) + " |")


def main(args: Args) -> None:
    limit_threads(1)
    trained = {(a, u): train(args, a, u) for a in args.algos for u in args.users}
    _print_table([row(a, u, recs) for (a, u), recs in trained.items()])
    if args.against is not None:
        print()
        _print_table([paired_row(args, a, u, recs) for (a, u), recs in trained.items()])


if __name__ == "__main__":
    main(tyro.cli(Args))
