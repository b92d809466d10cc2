"""Finished run records as flat rows: one per (run, evaluation seed), one per training episode.

The rows are what the statistics (`rl.experiments.stats`), the figures and the report read, and
what the CSVs hold. Only deterministic columns go in (wall-clock numbers stay in the run files),
sorted by method, swept value and seed, so a resumed sweep writes the same CSV as an
uninterrupted one.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from rl.agents.presets import ABLATIONS
from rl.experiments.spec import ALGOS, LEARNED, SWEEPS

EVAL_METRICS = ("hit_ratio", "utility", "violation_share", "slot_reward", "frame_reward")
BENCH_METRICS = ("choose_cache_ms", "allocate_ms", "decision_time_ms")
CURVE_METRICS = ("episode_reward", "hit_ratio", "utility", "violation_share")


class AblationX(int):
    """The ablation's x: the index into `ABLATIONS` (sorts in that order), shown by name."""

    def __str__(self) -> str:
        return ABLATIONS[self]

    __format__ = lambda self, spec: format(str(self), spec)  # noqa: E731


def x_of(spec: dict[str, Any], experiment: str) -> float | None:
    """The value of the swept variable in a run's spec; None where nothing is swept."""
    _, name, _ = SWEEPS[experiment]
    if not name:
        return None
    if name == "denoising_steps":
        return spec["denoising_steps"]
    if name == "ablation":  # the reference methods (no ablation field) belong to every variant
        if spec["algo"] not in LEARNED:
            return None
        return AblationX(ABLATIONS.index(spec.get("ablation") or ABLATIONS[0]))
    return spec["env_overrides"][name]


def _shared_rows(experiment: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ablation's oracle (and baseline) rows, copied to every variant present, so that
    gaps pair them with each variant on the same evaluation seeds."""
    if experiment != "ablation":
        return rows
    xs = sorted({r["x"] for r in rows if r["x"] is not None})
    out = [r for r in rows if r["x"] is not None]
    for r in rows:
        if r["x"] is None:
            out += [{**r, "x": x} for x in xs]
    return out


def per_seed_rows(experiment: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (run, evaluation seed), or per timing run for Table 3; deterministic columns
    only (wall-clock numbers stay in the run files), sorted so resumed sweeps match."""
    rows = []
    for rec in records:
        spec = rec["spec"]
        base = {
            "experiment": experiment,
            "algo": spec["algo"],
            "env_preset": spec["env_preset"],
            "hparams": spec["hparams"],
            "x": x_of(spec, experiment),
            "train_seed": spec["train_seed"],
            "episodes": spec["episodes"],
            "run_id": rec["run_id"],
        }
        if "bench" in rec:
            rows.append({**base, **{k: rec["bench"][k] for k in BENCH_METRICS}})
            continue
        n_frames = rec["config"]["n_frames"]
        for ev in rec["eval"]:
            row = {**base, "eval_seed": ev["eval_seed"]}
            row.update({k: ev[k] for k in EVAL_METRICS})
            row["episode_reward"] = n_frames * ev["frame_reward"]  # sum over T frames of (32)
            rows.append(row)
    key = lambda r: (  # noqa: E731
        ALGOS.index(r["algo"]),
        -math.inf if r["x"] is None else r["x"],
        -1 if r["train_seed"] is None else r["train_seed"],
        r.get("eval_seed", -1),
    )
    return sorted(_shared_rows(experiment, rows), key=key)


def curve_rows(experiment: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per training episode of every learned run (its logged training curve)."""
    rows = []
    for rec in records:
        if "curve" not in rec:
            continue
        spec, c = rec["spec"], rec["curve"]
        for i, ep in enumerate(c["episode"]):
            rows.append(
                {
                    "algo": spec["algo"],
                    "x": x_of(spec, experiment),
                    "train_seed": spec["train_seed"],
                    "episode": ep,
                    **{k: c[k][i] for k in CURVE_METRICS if k in c},
                }
            )
    rows.sort(key=lambda r: (ALGOS.index(r["algo"]), r["x"] or 0, r["train_seed"], r["episode"]))
    return rows


def write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    """The rows as CSV, the first row's keys as columns; floats as `repr` (round-trip exact)."""
    if not rows:
        return
    cols = list(rows[0])
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow({k: _fmt(r.get(k)) for k in cols})


def _fmt(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return v


def xs_of(rows) -> list:
    """The swept values present, sorted (empty where nothing is swept)."""
    return sorted({r["x"] for r in rows if r["x"] is not None})


def algos_of(rows) -> list[str]:
    """The methods present, in `ALGOS` order."""
    present = {r["algo"] for r in rows}
    return [a for a in ALGOS if a in present]


def x_label(experiment: str) -> str:
    """The swept variable's name with its unit, e.g. 'cache capacity C [GB]'."""
    return SWEEPS[experiment][0]


def x_text(x) -> str:
    """A swept value as text: floats in `g` format (20.0 -> '20'), the rest by `str`."""
    return f"{x:g}" if isinstance(x, float) else str(x)
