"""Markdown pieces of a report: intervals as text, the results and oracle-gap tables, the scale
and cost of a sweep.

Tables are `pandas.DataFrame`s of text cells rendered by `md_table` (`DataFrame.to_markdown`,
number parsing off so every cell keeps the digits it was formatted with).
"""

from __future__ import annotations

import math
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from rl.agents.presets import DEFAULT_PRESET, EPISODES, N_ENVS
from rl.experiments.rows import algos_of, x_label, x_text, xs_of
from rl.experiments.spec import DISPLAY, FULL, RunSpec, Scale, full_episodes, plan
from rl.experiments.stats import oracle_gaps, relative_gaps, replicates, summary


def ci_text(m, lo, hi, digits=3) -> str:
    """'mean [low, high]' to `digits` significant digits; the mean alone without bounds."""
    if math.isnan(m):
        return "n/a"
    if math.isnan(lo):
        return f"{m:.{digits}g}"
    return f"{m:.{digits}g} [{lo:.{digits}g}, {hi:.{digits}g}]"


def md_table(frame: pd.DataFrame) -> list[str]:
    """The frame as a markdown (pipe) table, one line per entry, without its index."""
    return frame.to_markdown(index=False, disable_numparse=True).splitlines()


def _x_head(x) -> str:
    return x_text(x) if x is not None else "all"


def per_method_table(title: str, rows, xs, cell: Callable[[str, object], str]) -> list[str]:
    """A titled table: one row per method but the oracle, one column per x, `cell(algo, x)`."""
    body = [
        [DISPLAY[algo], *(cell(algo, x) for x in xs)] for algo in algos_of(rows) if algo != "oracle"
    ]
    frame = pd.DataFrame(body, columns=["method", *map(_x_head, xs)])
    return [title, "", *md_table(frame), ""]


def results_table(experiment, rows, metrics: Sequence[str]) -> list[str]:
    """Per metric, a table of every method's mean [95% interval] (replicates) per swept value."""
    xs = xs_of(rows) or [None]
    heads = [
        f"{x_label(experiment).split(' [')[0]} = {x_text(x)}" if x is not None else "all"
        for x in xs
    ]
    lines = []
    for metric in metrics:
        body = []
        for algo in algos_of(rows):
            cells = []
            for x in xs:
                m, lo, hi, n = summary(replicates(rows, algo, x, metric).values())
                cells.append(f"{ci_text(m, lo, hi)} (n={n})" if n else "")
            body.append([DISPLAY[algo], *cells])
        frame = pd.DataFrame(body, columns=["method", *heads])
        lines += [f"**{metric}** (mean [95% interval], replicates)", "", *md_table(frame), ""]
    return lines


def gap_table(experiment, rows) -> list[str]:
    """The gap of every method to the oracle: utility in % of the oracle's, then the absolute
    gaps in utility, hit ratio and frame reward."""
    xs = xs_of(rows) or [None]
    if not any(r["algo"] == "oracle" for r in rows):
        return ["No oracle runs in this sweep, so no gaps.", ""]
    lines = [
        "Positive = worse than the oracle (utility: method - oracle; hit ratio and frame "
        "reward: oracle - method), paired on the same evaluation seeds.",
        "",
    ]

    def percent(algo, x) -> str:
        pct = relative_gaps(rows, algo, x)
        m, lo, hi, n = summary(pct)
        return f"{ci_text(m, lo, hi)}; worst {max(pct):.3g}" if n else ""

    lines += per_method_table(
        "**utility gap in % of the oracle's utility** (mean [95% interval]; worst replicate)",
        rows,
        xs,
        percent,
    )
    for metric in ("utility", "hit_ratio", "frame_reward"):
        lines += per_method_table(
            f"**gap in {metric}**",
            rows,
            xs,
            lambda algo, x, metric=metric: ci_text(
                *summary(oracle_gaps(rows, algo, x, metric))[:3]
            ),
        )
    return lines


# --------------------------------------------------------------------------- scale and cost


def scale_lines(name: str, scale: Scale, n_learned: int, hparams: str) -> list[str]:
    """How big the sweep is and how its training budget compares with the preset's."""
    if name == "table3":
        return [
            f"- scale: {scale.train_seeds} timing seeds x {scale.bench_slots} timed slots (after "
            "one warm-up slot) per method and U, `rl.harness.bench.time_policy`; untrained networks "
            "(inference time does not depend on the weights); GA of SCHRS/HCRAS at its default "
            "40 chromosomes x 50 generations."
        ]
    episodes = scale.episodes or full_episodes(name, hparams)
    if episodes > EPISODES[hparams]:
        why = " (the horizon of the paper's convergence plot)" if name == "fig6b" else ""
        budget = (
            f"this run trains for H = {episodes} episodes of {N_ENVS[hparams]} copies, beyond "
            f"the `{hparams}` preset's H = {EPISODES[hparams]}{why}."
        )
    elif episodes == EPISODES[hparams]:
        budget = f"this run uses the `{hparams}` preset's full training budget"
        if hparams == DEFAULT_PRESET:
            budget += (
                f" (H = {episodes} episodes of {N_ENVS[hparams]} copies; the paper's is H = 500 "
                "episodes of one copy, docs/rl.md)"
            )
        budget += "."
    else:
        budget = (
            f"this run is far shorter than the `{hparams}` preset's H = {EPISODES[hparams]}, "
            "so the learned agents are far from converged."
        )
    return [
        f"- scale: {scale.train_seeds} training seeds x H = {episodes} episodes per learned "
        f"configuration ({n_learned} learned runs), held-out evaluation seeds "
        f"{list(scale.eval_seeds)} x {scale.eval_episodes} episode(s) of T K slots; GA of "
        f"SCHRS/HCRAS {scale.ga_pop_size} chromosomes x {scale.ga_generations} generations; "
        f"learned agents use the `{hparams}` hyperparameters (`rl/agents/presets.py`).",
        f"- {budget}",
    ]


def runs_provenance_lines(records) -> list[str]:
    """Where the runs come from: a resumed sweep's report is written by the last invocation,
    its runs by earlier ones (and reused runs by another sweep)."""
    provs = [r["provenance"] for r in records if "provenance" in r]
    if not provs:
        return []
    commits = Counter(p.get("git_commit") for p in provs)
    times = sorted(p["time_utc"] for p in provs)
    made = ", ".join(f"{str(c)[:10]} ({n})" for c, n in commits.most_common())
    lines = [f"- runs: git {made}, made {times[0]} to {times[-1]}"]
    kernels = Counter(_kernels_text(p) for p in provs)
    if set(kernels) != {"not recorded"}:
        groups = "; ".join(f"{k} ({n})" for k, n in kernels.most_common())
        lines.append(
            f"- CPU kernels of the runs (they decide float rounding: docs/experiments.md, "
            f'"On another machine"): {groups}'
        )
    return lines


def _kernels_text(prov: dict) -> str:
    kernels = prov.get("device", {}).get("kernels")
    if not kernels:
        return "not recorded"
    return ", ".join(f"{name} {arch}" for name, arch in sorted(kernels.items()))


def load_text(records) -> str:
    """The machine's mean load at the end of the runs, as a clause ('' when not recorded)."""
    loads = [r["load_average"] for r in records if r.get("load_average") is not None]
    if not loads:
        return ""
    cpu, n = cpu_timed_share(records)
    why = (
        "CPU time counts each run's own work, whatever shared the cores"
        if cpu == n
        else "wall time is inflated where more jobs than cores ran"
    )
    return (
        f"; mean 1-minute load average at the end of the runs {np.mean(loads):.1f} on this "
        f"{os.cpu_count()}-core machine ({why})"
    )


def _per_episode_text(per_ep: dict[str, list[float]]) -> str:
    parts = [f"{DISPLAY[a]} {np.mean(v):.2f}" for a, v in per_ep.items() if v]
    return ", ".join(parts) if parts else "n/a"


def measured_times(records):
    """Summed training, evaluation and timing seconds; per method, the seconds per training
    episode of each run and per evaluation episode (per GA generation) of each run. CPU seconds
    where a record holds them (`common.timing`), wall seconds where it predates them."""
    train_s, eval_s, per_ep, per_eval, bench_s = 0.0, 0.0, defaultdict(list), defaultdict(list), 0.0
    for rec in records:
        spec = RunSpec.from_dict(rec["spec"])
        if "curve" in rec:
            w = rec["curve"].get("cpu_s") or rec["curve"].get("wall_s", [])
            # the run's whole training (its episodes, greedy scoring, checkpoints), but a resumed
            # run's train_*_s holds its last process only, and its curve every episode
            train_s += max(sum(w), rec.get("train_cpu_s", rec.get("train_wall_s", 0.0)))
            if w:
                per_ep[spec.algo].append(float(np.mean(w)))
        if "eval_wall_s" in rec:
            spent = rec.get("eval_cpu_s", rec["eval_wall_s"])
            eval_s += spent
            ga_scale = spec.ga[1] if spec.ga else 1
            per_eval[spec.algo].append(
                spent / (len(spec.eval_seeds) * spec.eval_episodes) / ga_scale
            )
        if "bench" in rec:  # records before bench_wall_s: their timed slots only
            slots_s = rec["bench"]["decision_time_ms"] * (spec.bench_slots + 1) / 1e3
            bench_s += rec.get("bench_cpu_s", rec.get("bench_wall_s", slots_s))
    return train_s, eval_s, bench_s, per_ep, per_eval


def cpu_timed_share(records) -> tuple[int, int]:
    """(records holding CPU seconds, records): the rest count wall seconds."""
    return sum("train_cpu_s" in r or "bench_cpu_s" in r for r in records), len(records)


def _full_form_seconds(full, per_ep, per_eval, per_bench_s: float) -> float:
    """The full form's seconds (CPU where measured), from the per-episode and per-evaluation times."""
    est = 0.0
    for s in full:
        if s.learned and per_ep.get(s.algo):
            est += s.episodes * float(np.mean(per_ep[s.algo]))
        if s.kind == "eval" and per_eval.get(s.algo):
            est += (
                len(s.eval_seeds)
                * s.eval_episodes
                * float(np.mean(per_eval[s.algo]))
                * (s.ga[1] if s.ga else 1)
            )
        if s.kind == "bench":
            est += per_bench_s
    return est


def _minutes(seconds: float) -> str:
    m = seconds / 60
    return f"{m:.0f}" if m >= 10 else f"{m:.1f}"


def _clock_text(records) -> str:
    cpu, n = cpu_timed_share(records)
    if cpu == n:
        return "CPU time"
    return "wall time" if cpu == 0 else f"CPU time for {cpu} of {n} runs, wall time for the rest"


def cost_lines(name: str, records, scale: Scale, sweep_doc) -> list[str]:
    """Measured CPU time of this sweep and the full form extrapolated from it (records reused
    from another experiment, `rl.experiments.reuse`, cost nothing here)."""
    reused = sum("reused_from" in r for r in records)
    records = [r for r in records if "reused_from" not in r]
    train_s, eval_s, bench_s, per_ep, per_eval = measured_times(records)
    total = train_s + eval_s + bench_s
    lines = [
        f"- summed time of the runs in this report (each on one core; {_clock_text(records)}): "
        f"{total / 3600:.2f} core-hours (training {train_s / 3600:.2f}, evaluation "
        f"{eval_s / 3600:.2f}" + (f", timing {bench_s / 3600:.2f}" if bench_s else "") + "); "
        f"training {_per_episode_text(per_ep)} s per episode" + load_text(records) + "."
    ]
    if reused:
        lines.append(
            f"- {reused} runs reused from sibling experiments (`reused_from` in their records): "
            "the same work under another experiment's name, timed in that experiment's report."
        )
    a = sweep_doc["args"]
    try:
        full = plan(
            name,
            FULL,
            a["preset"],
            a["hparams"],
            a["algos"],
            a["grid"],
            a["env_overrides"],
            a.get("env_seed", 0),
        )
    except ValueError:
        return lines
    est = _full_form_seconds(full, per_ep, per_eval, total / max(1, len(records)))
    if est > 0:
        lines.append(
            f"- full form ({FULL.train_seeds} training seeds, the full form's H, "
            f"{len(FULL.eval_seeds)} evaluation seeds, GA {FULL.ga_pop_size} x "
            f"{FULL.ga_generations}; {len(full)} runs), extrapolated from the measured per-episode "
            f"and per-evaluation times (GA time scaled by its generations): "
            f"**~{est / 3600:.1f} core-hours**, i.e. ~{_minutes(est / 16)} min on 16 cores."
        )
    return lines
