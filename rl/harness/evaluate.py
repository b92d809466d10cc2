"""Evaluate any `TwoTimescalePolicy` on held-out seeds (main paper 7.3, Figs. 7-8, Table 3).

For every seed, `n_episodes` episodes of T frames x K slots run one after another on a
`BatchedEdgeSim` with one copy (N = 1, as the BS of the paper decides for one cell), through
`testbed.rollout.run_seed`, which says how the seed is split (common random numbers across
policies) and defines the metrics (`METRICS`). Over seeds we report, per metric, the mean and a
95% Student-t confidence interval (mean +- t_{0.975, n-1} s / sqrt(n)); with one seed the
interval is undefined (NaN).
"""

from __future__ import annotations

import csv
import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from common.errors import UserError
from common.io import writable_file, write_json
from common.provenance import provenance
from common.stats import CONFIDENCE, t_interval
from common.summary import Summary
from rl import registry
from rl.agents.checkpoint import read_run_record
from rl.baselines.policies import BASELINES
from rl.harness.args import EvaluateArgs
from testbed.config import EdgeConfig, build_config
from testbed.rollout import METRICS, run_seed


class EvaluationError(UserError):
    """Bad evaluation input (one sentence)."""


@dataclass(frozen=True)
class MetricSummary:
    """Mean over seeds and its 95% t-interval; `per_seed` in the order of the seeds."""

    mean: float
    ci_low: float
    ci_high: float
    per_seed: tuple[float, ...]

    @property
    def half_width(self) -> float:
        return (self.ci_high - self.ci_low) / 2.0

    def to_dict(self) -> dict:
        nan_to_none = lambda x: None if math.isnan(x) else x  # noqa: E731
        return {
            "mean": self.mean,
            "ci95_low": nan_to_none(self.ci_low),
            "ci95_high": nan_to_none(self.ci_high),
            "per_seed": list(self.per_seed),
        }


@dataclass
class EvalResult:
    algo: str
    seeds: tuple[int, ...]
    n_episodes: int
    metrics: dict[str, MetricSummary]
    config: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "algo": self.algo,
            "seeds": list(self.seeds),
            "n_episodes_per_seed": self.n_episodes,
            "confidence": CONFIDENCE,
            "metrics": {k: v.to_dict() for k, v in self.metrics.items()},
            "metric_descriptions": METRICS,
            "config": self.config,
        }


def check_seeds(seeds: Sequence[int]) -> tuple[int, ...]:
    seeds = tuple(seeds)
    if not seeds:
        raise EvaluationError("at least one evaluation seed is needed.")
    for s in seeds:
        if not isinstance(s, int | np.integer) or isinstance(s, bool) or s < 0:
            raise EvaluationError(f"evaluation seeds must be non-negative integers, got {s!r}.")
    if len(set(seeds)) != len(seeds):
        raise EvaluationError(f"evaluation seeds must be distinct, got {list(seeds)}.")
    return tuple(int(s) for s in seeds)


def evaluate_policy(
    policy,
    cfg: EdgeConfig,
    seeds: Sequence[int],
    n_episodes: int = 1,
    on_seed: Callable[[int, dict[str, float]], None] | None = None,
) -> EvalResult:
    """Run `policy` on every seed; summarise each metric over seeds (mean, 95% t-interval)."""
    seeds = check_seeds(seeds)
    if not isinstance(n_episodes, int) or isinstance(n_episodes, bool) or n_episodes < 1:
        raise EvaluationError(f"episodes per seed must be a positive integer, got {n_episodes!r}.")
    rows = []
    for s in seeds:
        row = run_seed(policy, cfg, s, n_episodes)
        rows.append(row)
        if on_seed is not None:
            on_seed(s, row)
    metrics = {}
    for key in METRICS:
        values = [r[key] for r in rows]
        mean, lo, hi = t_interval(values)
        metrics[key] = MetricSummary(mean, lo, hi, tuple(values))
    return EvalResult(
        algo=getattr(policy, "name", type(policy).__name__),
        seeds=seeds,
        n_episodes=n_episodes,
        metrics=metrics,
        config=cfg.to_dict(),
    )


def checkpoint_config(checkpoint: str) -> EdgeConfig:
    """The config a checkpoint was trained on, from the ``run.json`` beside it."""
    p = Path(checkpoint)
    d = read_run_record((p if p.is_dir() else p.parent) / "run.json", checkpoint)["config"]
    skip = {"preset", "seed", "fitted_file", "notes"}
    names = {f.name for f in dataclasses.fields(EdgeConfig)} - skip
    overrides = {k: v for k, v in d.items() if k in names}
    if d["preset"] == "fitted":  # written before `fitted_scaling` existed: Table 2's values
        overrides.setdefault("fitted_scaling", "raw")
    return build_config(
        preset=d["preset"],
        seed=d["seed"],
        overrides=overrides,
        fitted_file=d.get("fitted_file"),
    )


def config_mismatch(trained: EdgeConfig, evaluated: EdgeConfig) -> str | None:
    """Name of the first field (other than provenance) where two configs differ, or None."""
    a, b = trained.to_dict(), evaluated.to_dict()
    for key in a:
        if key not in ("notes", "preset", "seed", "fitted_file") and a[key] != b.get(key):
            return key
    return None


def build_policy(args: EvaluateArgs, cfg: EdgeConfig):
    """The trained agent of `args.checkpoint`, or the baseline or oracle `args.algo`
    (`rl.registry.make_policy`)."""
    if args.algo is not None and args.checkpoint is not None:
        raise EvaluationError(
            "give either --algo (a baseline) or --checkpoint (a trained agent), not both."
        )
    if args.checkpoint is not None:
        if not Path(args.checkpoint).exists():
            raise EvaluationError(f"checkpoint '{args.checkpoint}' does not exist.")
        return registry.load_policy(args.checkpoint)
    if args.algo is None:
        raise EvaluationError(
            f"give --algo (one of {', '.join(BASELINES)}, oracle) or --checkpoint PATH."
        )
    if args.algo.lower() in registry.LEARNED:
        raise EvaluationError(
            f"'{args.algo}' is a learned method: give --checkpoint PATH of its trained run."
        )
    return registry.make_policy(args.algo, cfg, ga=args.ga)


def resolve_config(args: EvaluateArgs) -> EdgeConfig:
    """The environment options as in check-config; for a checkpoint without any of them, the
    config it was trained on (and with them, they must agree with it)."""
    trained = checkpoint_config(args.checkpoint) if args.checkpoint else None
    if trained is not None and not args.env.given():
        return trained
    cfg = args.env.build()
    if trained is not None:
        key = config_mismatch(trained, cfg)
        if key is not None:
            raise EvaluationError(
                f"checkpoint '{args.checkpoint}' was trained with {key} = "
                f"{trained.to_dict()[key]!r} but the evaluation config has {key} = "
                f"{cfg.to_dict()[key]!r}; drop the config options to use the training config."
            )
    return cfg


def write_outputs(doc: dict, out: str) -> tuple[str, str]:
    """JSON at `out` (or its .json sibling) and a CSV of the metric summaries beside it."""
    p = Path(out)
    json_path = p if p.suffix != ".csv" else p.with_suffix(".json")
    csv_path = p.with_suffix(".csv")
    json_path.parent.mkdir(parents=True, exist_ok=True)
    write_json(json_path, doc, indent=2)
    res = doc["result"]
    with csv_path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "algo",
                "metric",
                "description",
                "mean",
                "ci95_low",
                "ci95_high",
                "n_seeds",
                "episodes_per_seed",
                "preset",
                "n_users",
                "checkpoint",
                "git_commit",
            ]
        )
        for key, m in res["metrics"].items():
            w.writerow(
                [
                    res["algo"],
                    key,
                    METRICS[key],
                    m["mean"],
                    m["ci95_low"],
                    m["ci95_high"],
                    len(res["seeds"]),
                    res["n_episodes_per_seed"],
                    res["config"]["preset"],
                    res["config"]["n_users"],
                    doc.get("checkpoint") or "",
                    doc["provenance"]["git_commit"] or "",
                ]
            )
    return str(json_path), str(csv_path)


def main(args: EvaluateArgs, log: Callable[[str], None] | None = None) -> dict:
    """Build the config and policy, evaluate, optionally write JSON/CSV; return the document.
    `log` gets one line per seed."""
    seeds = check_seeds(args.seeds)
    if args.out:
        writable_file(args.out)
    if args.checkpoint is not None and not Path(args.checkpoint).exists():
        raise EvaluationError(f"checkpoint '{args.checkpoint}' does not exist.")
    cfg = resolve_config(args)
    ga = args.ga
    policy = build_policy(args, cfg)
    on_seed = None if log is None else (lambda seed, row: log(_seed_line(seed, row)))
    result = evaluate_policy(policy, cfg, seeds, args.episodes, on_seed=on_seed)
    doc = {
        "result": result.to_dict(),
        "checkpoint": args.checkpoint,
        "ga": dataclasses.asdict(ga) if (args.algo or "").lower() in ("schrs", "hcras") else None,
        "provenance": provenance(),
    }
    if args.out:
        doc["written"] = write_outputs(doc, args.out)
    return doc


def _seed_line(seed: int, row: dict[str, float]) -> str:
    return (
        f"seed {seed}: utility {row['utility']:.4g}, hit ratio {row['hit_ratio']:.3f}, "
        f"{row['decision_time_ms']:.3g} ms/slot"
    )


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.4g}"


def summary(doc: dict) -> Summary:
    """The metric table of `main`'s document, with a note on intervals and the files written."""
    res = doc["result"]
    cfg = res["config"]
    rows = [
        {
            "metric": METRICS[key],
            "mean": _fmt(m["mean"]),
            "95% CI low": _fmt(m["ci95_low"]),
            "95% CI high": _fmt(m["ci95_high"]),
        }
        for key, m in res["metrics"].items()
    ]
    out = Summary().table(
        f"{res['algo']} on {cfg['preset']} preset, U = {cfg['n_users']}, "
        f"{len(res['seeds'])} seeds x {res['n_episodes_per_seed']} episode(s)",
        rows,
    )
    if len(res["seeds"]) < 2:
        out.line("note: one seed gives no confidence interval; pass two or more --seeds.")
    if "written" in doc:
        out.line(f"wrote {doc['written'][0]} and {doc['written'][1]}")
    return out
