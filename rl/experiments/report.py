"""Aggregate finished runs into a CSV of per-seed results, the paper's figures and a report.

Intervals (95%, Student t, `common.stats.t_interval`), by what varies between replicates:

* learned methods: one value per **training seed** (its mean over the held-out evaluation
  seeds); the interval is over training seeds;
* baselines and the oracle (no training): one value per **evaluation seed**.

Gap to the oracle, paired on the same evaluation seeds (common random numbers): per evaluation
seed, `method - oracle` for utility (11) and `oracle - method` for hit ratio and frame reward,
so a positive gap always means "worse than the oracle". For a learned method the per-seed gaps
are averaged per training seed first.

Improvements over other methods ("T2DRL is X% better", `rl.experiments.claims`): ratio of the
two means, with a 95% percentile bootstrap interval that resamples each method's replicates
(training seeds or evaluation seeds, as above) independently; 4 000 resamples, seed 0. With
two or three replicates these intervals are rough (they under-cover); the report says how many
there are.
"""

from __future__ import annotations

import csv
import math
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from common.stats import CONFIDENCE, t_half_width, t_interval
from rl.agents.presets import ABLATIONS, DEFAULT_PRESET, EPISODES, N_ENVS
from rl.experiments.claims import CLAIMS, TABLE3_PAPER, TRENDS, improvement
from rl.experiments.spec import (
    ALGOS,
    DEFAULT_ALGOS,
    DISPLAY,
    FULL,
    LEARNED,
    SWEEPS,
    RunSpec,
    Scale,
)

EVAL_METRICS = ("hit_ratio", "utility", "violation_share", "slot_reward", "frame_reward")
BENCH_METRICS = ("choose_cache_ms", "allocate_ms", "decision_time_ms")
GAP_SIGN = {"utility": 1.0, "hit_ratio": -1.0, "frame_reward": -1.0}  # method - oracle, signed
COLORS = {
    "t2drl": "tab:red",
    "ddpg-t2drl": "tab:blue",
    "ddpg": "tab:cyan",
    "rcars": "tab:gray",
    "schrs": "tab:green",
    "hcras": "tab:olive",
    "oracle": "black",
}
N_BOOT = 4000


# --------------------------------------------------------------------------- tables


class AblationX(int):
    """The ablation's x: the index into `ABLATIONS` (sorts in that order), shown by name."""

    def __str__(self) -> str:
        return ABLATIONS[self]

    __format__ = lambda self, spec: format(str(self), spec)  # noqa: E731


def x_of(spec: dict[str, Any], experiment: str) -> float | None:
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


def write_csv(rows: list[dict[str, Any]], path: Path) -> None:
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


def curve_rows(experiment: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
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
                    **{
                        k: c[k][i]
                        for k in ("episode_reward", "hit_ratio", "utility", "violation_share")
                        if k in c
                    },
                }
            )
    rows.sort(key=lambda r: (ALGOS.index(r["algo"]), r["x"] or 0, r["train_seed"], r["episode"]))
    return rows


# --------------------------------------------------------------------------- statistics


def replicates(rows, algo, x, metric) -> dict[int, float]:
    """{replicate: value}: per training seed (mean over eval seeds) for learned methods, per
    evaluation seed otherwise."""
    sel = [r for r in rows if r["algo"] == algo and r["x"] == x and r.get(metric) is not None]
    if algo in LEARNED:
        by = defaultdict(list)
        for r in sel:
            by[r["train_seed"]].append(r[metric])
        return {k: float(np.mean(v)) for k, v in sorted(by.items())}
    return {r.get("eval_seed", r["train_seed"]): float(r[metric]) for r in sel}


def summary(values) -> tuple[float, float, float, int]:
    values = list(values)
    if not values:
        return math.nan, math.nan, math.nan, 0
    m, lo, hi = t_interval(values)
    return m, lo, hi, len(values)


def oracle_gaps(rows, algo, x, metric) -> list[float]:
    """Paired per-seed gaps to the oracle (positive = worse), per replicate."""
    oracle = {r["eval_seed"]: r[metric] for r in rows if r["algo"] == "oracle" and r["x"] == x}
    if not oracle or algo == "oracle":
        return []
    sel = [r for r in rows if r["algo"] == algo and r["x"] == x and r["eval_seed"] in oracle]
    sign = GAP_SIGN[metric]
    gap = lambda r: sign * (r[metric] - oracle[r["eval_seed"]])  # noqa: E731
    if algo in LEARNED:
        by = defaultdict(list)
        for r in sel:
            by[r["train_seed"]].append(gap(r))
        return [float(np.mean(v)) for _, v in sorted(by.items())]
    return [gap(r) for r in sel]


def relative_gaps(rows, algo, x) -> list[float]:
    """Per replicate, the utility gap to the oracle in % of the oracle's mean utility over the
    same evaluation seeds."""
    oracle = [r["utility"] for r in rows if r["algo"] == "oracle" and r["x"] == x]
    if not oracle:
        return []
    ref = float(np.mean(oracle))
    return [100.0 * g / ref for g in oracle_gaps(rows, algo, x, "utility")]


def bootstrap_improvement(metric, t_vals, o_vals, seed: int = 0) -> tuple[float, float, float]:
    """Point estimate and 95% percentile bootstrap interval of `improvement` (see module doc)."""
    t, o = np.asarray(t_vals, float), np.asarray(o_vals, float)
    point = improvement(metric, t.mean(), o.mean())
    if t.size < 2 or o.size < 2:
        return point, math.nan, math.nan
    rng = np.random.default_rng(seed)
    tb = t[rng.integers(0, t.size, (N_BOOT, t.size))].mean(1)
    ob = o[rng.integers(0, o.size, (N_BOOT, o.size))].mean(1)
    boot = improvement(metric, tb, ob)
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return point, float(lo), float(hi)


def verdict(claimed: float, point: float, lo: float, hi: float) -> str:
    """Plain words for a measured improvement against the paper's claimed one."""
    if math.isnan(lo):
        direction = "better" if point > 0 else "worse"
        return f"T2DRL {direction} here (no interval: too few replicates)"
    inside = lo <= claimed <= hi
    if lo > 0:
        if inside:
            return "agrees: T2DRL better, the claimed value lies in our interval"
        return "agrees in direction (T2DRL better), size differs from the claim"
    if hi < 0:
        return "**disagrees: T2DRL is worse here**"
    if inside:
        return "inconclusive: our interval holds both 0 and the claimed value"
    return "**disagrees: no significant difference here, the claim is outside our interval**"


# --------------------------------------------------------------------------- text helpers


def ci_text(m, lo, hi, digits=3) -> str:
    if math.isnan(m):
        return "n/a"
    if math.isnan(lo):
        return f"{m:.{digits}g}"
    return f"{m:.{digits}g} [{lo:.{digits}g}, {hi:.{digits}g}]"


def _xs(rows) -> list:
    return sorted({r["x"] for r in rows if r["x"] is not None})


def _algos(rows) -> list[str]:
    present = {r["algo"] for r in rows}
    return [a for a in ALGOS if a in present]


def _x_label(experiment: str) -> str:
    return SWEEPS[experiment][0]


def _xfmt(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


# --------------------------------------------------------------------------- figures


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def smooth(y: np.ndarray, window: int) -> np.ndarray:
    if window <= 1:
        return y
    kernel = np.ones(window) / window
    pad = np.concatenate([np.full(window - 1, y[0]), y])
    return np.convolve(pad, kernel, mode="valid")


def curve_band(curves: list[list[float]], window: int):
    n = min(len(c) for c in curves)
    arr = np.array([smooth(np.asarray(c[:n], float), window) for c in curves])
    mean = arr.mean(0)
    if arr.shape[0] < 2:
        return mean, mean, mean
    half = t_half_width(arr, axis=0)
    return mean, mean - half, mean + half


def plot_greedy_curves(experiment, records, rows, path: Path, title: str) -> str | None:
    """The greedy policy's utility (11) every few episodes (`rl.train.greedy_score`, held-out
    seeds 900, 901) against episodes, mean over training seeds with a 95% t band, one panel per
    swept value, the oracle's utility there (evaluation seeds) as a dashed reference line.
    None when the runs logged no greedy curve."""
    groups: dict[tuple, list] = defaultdict(list)
    for rec in records:
        c = rec.get("curve", {})
        if "greedy_utility" in c:
            pts = [(e, u) for e, u in zip(c["episode"], c["greedy_utility"], strict=True)]
            pts = [(e, u) for e, u in pts if u == u]  # NaN between scorings
            if pts:
                groups[(rec["spec"]["algo"], x_of(rec["spec"], experiment))].append(pts)
    if not groups:
        return None
    plt = _plt()
    xs = sorted({x for _, x in groups}, key=lambda v: -math.inf if v is None else v)
    ncols = min(len(xs), 4)
    nrows = math.ceil(len(xs) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.6 * nrows), squeeze=False)
    for ax in axes.flat[len(xs) :]:
        ax.set_visible(False)
    for ax, x in zip(axes.flat, xs, strict=False):
        for algo in (a for a in ALGOS if (a, x) in groups):
            curves = groups[(algo, x)]
            n = min(len(c) for c in curves)
            eps = [e for e, _ in curves[0][:n]]
            mean, lo, hi = curve_band([[u for _, u in c[:n]] for c in curves], 1)
            ax.plot(eps, mean, color=COLORS[algo], label=f"{DISPLAY[algo]} ({len(curves)} seeds)")
            ax.fill_between(eps, lo, hi, color=COLORS[algo], alpha=0.2, linewidth=0)
        m = _mean(rows, "oracle", x, "utility")[0]
        if not math.isnan(m):
            ax.axhline(m, color=COLORS["oracle"], ls="--", lw=1, label=f"Oracle ({m:.3g})")
        if x is not None:
            ax.set_title(f"{_x_label(experiment).split(' [')[0]} = {_xfmt(x)}", fontsize=9)
        ax.set_xlabel("training episode")
        ax.set_ylabel("greedy utility (11), lower is better")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(
        f"{title}: greedy policy during training (held-out seeds 900, 901; the oracle on the "
        "evaluation seeds)",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return str(path)


def plot_curves(experiment, records, rows, path: Path, title: str) -> str:
    """Episodic reward vs episode: mean over training seeds with a 95% t band (Fig. 6)."""
    plt = _plt()
    groups: dict[tuple, list] = defaultdict(list)
    for rec in records:
        if "curve" in rec:
            groups[(rec["spec"]["algo"], x_of(rec["spec"], experiment))].append(
                rec["curve"]["episode_reward"]
            )
    n_ep = max((len(c) for v in groups.values() for c in v), default=1)
    window = max(1, n_ep // 25)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    cmap = plt.get_cmap("viridis")
    for i, ((algo, x), curves) in enumerate(
        sorted(groups.items(), key=lambda kv: (ALGOS.index(kv[0][0]), kv[0][1] or 0))
    ):
        mean, lo, hi = curve_band(curves, window)
        eps = np.arange(1, len(mean) + 1)
        if experiment == "fig6a":
            color, label = cmap(i / max(1, len(groups) - 1)), f"L = {x}"
        else:
            color, label = COLORS[algo], DISPLAY[algo]
        ax.plot(eps, mean, color=color, label=f"{label} ({len(curves)} seeds)")
        ax.fill_between(eps, lo, hi, color=color, alpha=0.2, linewidth=0)
    if experiment == "fig6b":  # greedy held-out scores of the untrained methods as lines
        for algo in _algos(rows):
            if algo in LEARNED:
                continue
            m, lo, hi, _ = summary(replicates(rows, algo, None, "episode_reward").values())
            ax.axhline(
                m, color=COLORS[algo], ls="--", lw=1, label=f"{DISPLAY[algo]} (greedy, held-out)"
            )
    ax.set_xlabel("training episode")
    ax.set_ylabel("episodic reward (sum of (32) over T frames)")
    note = f"; moving average over {window} episodes" if window > 1 else ""
    ax.set_title(f"{title}\nmean and 95% band over training seeds{note}", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return str(path)


def plot_bars(experiment, rows, path: Path, title: str) -> str:
    """(a) hit ratio and (b) utility (11) vs the swept variable, grouped bars with 95% CIs."""
    plt = _plt()
    xs, algos = _xs(rows), _algos(rows)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    width = 0.8 / max(1, len(algos))
    for ax, metric, lab in zip(
        axes,
        ("hit_ratio", "utility"),
        ("(a) model hit ratio", "(b) total utility (11), lower is better"),
        strict=True,
    ):
        for j, algo in enumerate(algos):
            means, errs = [], []
            for x in xs:
                m, lo, hi, _ = summary(replicates(rows, algo, x, metric).values())
                means.append(m)
                errs.append(0.0 if math.isnan(lo) else (hi - lo) / 2)
            pos = np.arange(len(xs)) + (j - (len(algos) - 1) / 2) * width
            ax.bar(
                pos,
                means,
                width,
                yerr=errs,
                capsize=2,
                color=COLORS[algo],
                label=DISPLAY[algo],
                alpha=0.85,
            )
        if metric == "hit_ratio":
            ax.set_ylim(0.0, 1.0)  # t-whiskers of 2-3 replicates can leave [0, 1]; clip them
        else:
            ax.set_ylim(bottom=0.0)
        labels = [_xfmt(x) for x in xs]
        long = max(map(len, labels), default=0) > 6  # the ablation's names
        ax.set_xticks(
            np.arange(len(xs)), labels, rotation=25 if long else 0, ha="right" if long else "center"
        )
        ax.set_xlabel(_x_label(experiment))
        ax.set_title(lab, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(algos), fontsize=8, frameon=False)
    n_train = max(
        (len(replicates(rows, a, xs[0], "utility")) for a in algos if a in LEARNED), default=0
    )
    n_eval = len({r["eval_seed"] for r in rows})
    fig.suptitle(
        f"{title}\nbars: mean; whiskers: 95% t-interval over {n_train} training seeds (learned) "
        f"or {n_eval} held-out evaluation seeds (others), clipped to the axes",
        fontsize=9,
    )
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return str(path)


def plot_table3(rows, path: Path, title: str) -> str:
    """Decision time per slot vs U on a log axis: mean line and every timing seed as a dot (a
    t band of a few seeds reaches below 0 and cannot be drawn on a log axis)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.6, 4.4))
    xs = _xs(rows)
    for algo in _algos(rows):
        means = [_mean(rows, algo, x, "decision_time_ms")[0] for x in xs]
        ax.plot(xs, means, "o-", color=COLORS[algo], label=DISPLAY[algo])
        for x in xs:
            vals = list(replicates(rows, algo, x, "decision_time_ms").values())
            ax.scatter([x] * len(vals), vals, s=8, color=COLORS[algo], alpha=0.4)
        if algo in TABLE3_PAPER:
            ax.plot(
                list(TABLE3_PAPER[algo]),
                list(TABLE3_PAPER[algo].values()),
                "x:",
                color=COLORS[algo],
                label=f"{DISPLAY[algo]} (paper, GPU box)",
            )
    ax.set_yscale("log")
    ax.set_xticks(xs)
    ax.set_xlabel("number of users U")
    ax.set_ylabel("decision time per slot [ms]")
    ax.set_title(f"{title}\nline: mean, dots: timing seeds; one CPU thread", fontsize=9)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return str(path)


# --------------------------------------------------------------------------- markdown


def results_table(experiment, rows, metrics) -> list[str]:
    xs = _xs(rows) or [None]
    lines = []
    for metric in metrics:
        head = (
            "| method | "
            + " | ".join(
                f"{_x_label(experiment).split(' [')[0]} = {_xfmt(x)}" if x is not None else "all"
                for x in xs
            )
            + " |"
        )
        lines += [
            f"**{metric}** (mean [95% interval], replicates)",
            "",
            head,
            "|---" * (len(xs) + 1) + "|",
        ]
        for algo in _algos(rows):
            cells = []
            for x in xs:
                m, lo, hi, n = summary(replicates(rows, algo, x, metric).values())
                cells.append(f"{ci_text(m, lo, hi)} (n={n})" if n else "")
            lines.append(f"| {DISPLAY[algo]} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def gap_table(experiment, rows) -> list[str]:
    xs = _xs(rows) or [None]
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

    lines += _per_method_table(
        "**utility gap in % of the oracle's utility** (mean [95% interval]; worst replicate)",
        rows,
        xs,
        percent,
    )
    for metric in ("utility", "hit_ratio", "frame_reward"):
        lines += _per_method_table(
            f"**gap in {metric}**",
            rows,
            xs,
            lambda algo, x, metric=metric: ci_text(
                *summary(oracle_gaps(rows, algo, x, metric))[:3]
            ),
        )
    return lines


def _per_method_table(title: str, rows, xs, cell) -> list[str]:
    """A markdown table: one row per method but the oracle, one column per x, `cell(algo, x)`."""
    lines = [
        title,
        "",
        "| method | " + " | ".join(_xfmt(x) if x is not None else "all" for x in xs) + " |",
        "|---" * (len(xs) + 1) + "|",
    ]
    for algo in _algos(rows):
        if algo != "oracle":
            lines.append(f"| {DISPLAY[algo]} | " + " | ".join(cell(algo, x) for x in xs) + " |")
    return [*lines, ""]


def claims_table(experiment, rows) -> list[str]:
    claims = [c for c in CLAIMS if c.experiment == experiment]
    if not claims:
        return []
    lines = [
        "| where | metric | x | T2DRL vs | paper | measured [95% bootstrap] | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in claims:
        t = list(replicates(rows, "t2drl", c.x, c.metric).values())
        o = list(replicates(rows, c.other, c.x, c.metric).values())
        if not t or not o:
            lines.append(
                f"| {c.where} | {c.metric} | {_xfmt(c.x)} | {DISPLAY[c.other]} | "
                f"{c.percent:.2f}% | not run | -- |"
            )
            continue
        p, lo, hi = bootstrap_improvement(c.metric, t, o)
        meas = f"{p:.2f}%" + ("" if math.isnan(lo) else f" [{lo:.2f}, {hi:.2f}]")
        lines.append(
            f"| {c.where} | {c.metric} | {_xfmt(c.x)} | {DISPLAY[c.other]} | "
            f"{c.percent:.2f}% | {meas} | {verdict(c.percent, p, lo, hi)} |"
        )
    n_min = min(
        (len(replicates(rows, a, c.x, c.metric)) for c in claims for a in ("t2drl", c.other)),
        default=0,
    )
    if 0 < n_min < 5:
        lines += [
            "",
            f"Some methods have only {n_min} replicates here: a bootstrap over so few values "
            "has few distinct resamples and under-covers, so read these verdicts as indicative.",
        ]
    return [*lines, ""]


def _mean(rows, algo, x, metric) -> tuple[float, float, float, int]:
    return summary(replicates(rows, algo, x, metric).values())


def trend_lines(experiment, rows, records) -> list[str]:
    """Our reading of each qualitative statement of 7.3, from the data."""
    out = []
    xs = _xs(rows)
    if experiment in ("fig7", "fig8") and len(xs) >= 2:
        lo_x, hi_x = xs[0], xs[-1]
        for metric, want in (
            ("hit_ratio", "up"),
            ("utility", "up" if experiment == "fig7" else "down"),
        ):
            parts = []
            for algo in _algos(rows):
                a, b = _mean(rows, algo, lo_x, metric), _mean(rows, algo, hi_x, metric)
                if not a[3] or not b[3]:
                    continue
                moved = "up" if b[0] > a[0] else "down"
                sig = not (math.isnan(a[1]) or math.isnan(b[1])) and (b[1] > a[2] or b[2] < a[1])
                parts.append(
                    f"{DISPLAY[algo]} {a[0]:.3g} -> {b[0]:.3g} ({moved}"
                    f"{'' if sig else ', intervals overlap'})"
                )
            agree = [p for p in parts if f"({want}" in p and "overlap" not in p]
            out.append(
                f"- {metric} from {_xfmt(lo_x)} to {_xfmt(hi_x)} (paper: {want}): "
                + "; ".join(parts)
                + f". Moves {want} clearly for {len(agree)} of {len(parts)} methods. "
                + (
                    "Agrees."
                    if len(agree) == len(parts)
                    else "**Does not reproduce** for "
                    f"{len(parts) - len(agree)} of {len(parts)} methods."
                )
            )
        for metric, pick in (("utility", min), ("hit_ratio", max)):
            best_lines, t2drl_best = [], 0
            for x in xs:
                means = {a: _mean(rows, a, x, metric)[0] for a in _algos(rows) if a != "oracle"}
                means = {a: m for a, m in means.items() if not math.isnan(m)}
                if means:
                    best = pick(means, key=means.get)
                    t2drl_best += best == "t2drl"
                    best_lines.append(f"{_xfmt(x)}: {DISPLAY[best]}")
            word = "lowest" if pick is min else "highest"
            verdict_text = (
                "Agrees."
                if t2drl_best == len(best_lines)
                else f"**Disagrees: T2DRL is best at {t2drl_best} of {len(best_lines)} values.**"
            )
            out.append(
                f"- {word} mean {metric} among non-oracle methods (paper: T2DRL everywhere): "
                + ", ".join(best_lines)
                + ". "
                + verdict_text
            )
    if experiment == "fig6a":
        parts = []
        for x in xs:
            m, lo, hi, n = _mean(rows, "t2drl", x, "episode_reward")
            parts.append(f"L = {x}: {ci_text(m, lo, hi)}")
        means = {x: _mean(rows, "t2drl", x, "episode_reward")[0] for x in xs}
        best = max(means, key=means.get) if means else None
        out.append("- greedy held-out episodic reward per L: " + "; ".join(parts) + ".")
        if best is not None:
            out.append("- " + _best_l_verdict(rows, best, xs))
        out += _last_tenth_lines(records, experiment)
    if experiment == "ablation":
        out += ablation_lines(rows)
    if experiment == "fig6b":
        out += _last_tenth_lines(records, experiment)
        t = list(replicates(rows, "t2drl", None, "episode_reward").values())
        d = list(replicates(rows, "ddpg-t2drl", None, "episode_reward").values())
        if t and d:
            out.append(
                f"- greedy held-out episodic reward: T2DRL {ci_text(*summary(t)[:3])}, "
                f"DDPG-based T2DRL {ci_text(*summary(d)[:3])} (paper: T2DRL higher). "
                + _higher_verdict(summary(t), summary(d), "T2DRL", "DDPG-based T2DRL")
            )
    return out


def ablation_lines(rows) -> list[str]:
    """Per reverted part: T2DRL's utility gap to the oracle and what reverting costs against
    the full design (difference of the mean gaps over training seeds, Welch 95 % interval)."""
    from scipy import stats

    xs = _xs(rows)
    if not xs or xs[0] != 0:
        return []
    ref = oracle_gaps(rows, "t2drl", xs[0], "utility")
    out = [f"- full design: utility gap to the oracle {ci_text(*summary(ref)[:3])}."]
    for x in xs[1:]:
        gaps = oracle_gaps(rows, "t2drl", x, "utility")
        if len(gaps) < 2 or len(ref) < 2:
            continue
        diff = float(np.mean(gaps) - np.mean(ref))
        ci = stats.ttest_ind(gaps, ref, equal_var=False).confidence_interval(CONFIDENCE)
        what = f"reverting the {x}"
        if str(x) == "beta-schedule":  # a change, not a revert (rl.presets)
            what = "changing the beta schedule (beta_max 10 -> 2)"
        out.append(
            f"- {what}: gap {ci_text(*summary(gaps)[:3])}; costs "
            f"{ci_text(diff, ci.low, ci.high)} utility units against the full design."
        )
    return out


def _overlap(a, b) -> bool:
    """Do two (mean, lo, hi, n) intervals overlap (or is one undefined)?"""
    if math.isnan(a[1]) or math.isnan(b[1]):
        return True
    return not (a[1] > b[2] or a[2] < b[1])


def _higher_verdict(a, b, name_a: str, name_b: str) -> str:
    if a[0] > b[0] and not _overlap(a, b):
        return f"Agrees: {name_a} is higher, intervals apart."
    if a[0] < b[0] and not _overlap(a, b):
        return f"**Disagrees: {name_a} is lower, intervals apart.**"
    lead = name_a if a[0] > b[0] else name_b
    return (
        f"**Not shown here**: {lead} has the higher mean but the intervals overlap "
        f"(no significant difference at this scale)."
    )


def _best_l_verdict(rows, best, xs) -> str:
    s5 = _mean(rows, "t2drl", 5, "episode_reward") if 5 in xs else None
    sb = _mean(rows, "t2drl", best, "episode_reward")
    if best == 5:
        return "Agrees: the best mean greedy reward is at L = 5."
    text = f"**Disagrees: the best mean greedy reward is at L = {best}, not L = 5**"
    if s5 is not None and _overlap(s5, sb):
        text += " (but its interval overlaps L = 5's: no L is significantly best here)"
    return text + "."


def _last_tenth_lines(records, experiment) -> list[str]:
    groups = defaultdict(list)
    for rec in records:
        if "curve" in rec:
            c = rec["curve"]["episode_reward"]
            k = max(1, len(c) // 10)
            groups[(rec["spec"]["algo"], x_of(rec["spec"], experiment))].append(
                float(np.mean(c[-k:]))
            )
    parts = []
    for (algo, x), v in sorted(
        groups.items(), key=lambda kv: (ALGOS.index(kv[0][0]), kv[0][1] or 0)
    ):
        label = f"L = {x}" if experiment == "fig6a" else DISPLAY[algo]
        parts.append(f"{label}: {ci_text(*summary(v)[:3])}")
    return (
        [
            "- training episodic reward over the last 10% of episodes (with exploration): "
            + "; ".join(parts)
            + "."
        ]
        if parts
        else []
    )


def table3_lines(rows) -> list[str]:
    xs = _xs(rows)
    lines = [
        "| method | " + " | ".join(f"U = {x}" for x in xs) + " |",
        "|---" * (len(xs) + 1) + "|",
    ]
    for algo in _algos(rows):
        cells = [ci_text(*_mean(rows, algo, x, "decision_time_ms")[:3]) for x in xs]
        lines.append(f"| {DISPLAY[algo]} (ours, ms) | " + " | ".join(cells) + " |")
        if algo in TABLE3_PAPER:
            lines.append(
                f"| {DISPLAY[algo]} (paper, ms) | "
                + " | ".join(f"{TABLE3_PAPER[algo].get(x, '')}" for x in xs)
                + " |"
            )
    lines.append("")
    m = {a: _mean(rows, a, xs[-1], "decision_time_ms")[0] for a in _algos(rows)} if xs else {}
    if m:
        slowest = max(m, key=m.get)
        lines.append(
            f"- slowest at U = {xs[-1]}: {DISPLAY[slowest]} (paper: SCHRS). "
            + ("Agrees." if slowest in ("schrs", "hcras") else "**Disagrees.**")
        )
    if "t2drl" in m and "ddpg-t2drl" in m:
        ratio = m["t2drl"] / m["ddpg-t2drl"]
        lines.append(
            f"- T2DRL / DDPG-based T2DRL at U = {xs[-1]}: {ratio:.2f}x (paper: "
            f"{TABLE3_PAPER['t2drl'][18] / TABLE3_PAPER['ddpg-t2drl'][18]:.2f}x at U = 18). "
            + ("Agrees: T2DRL is slower." if ratio > 1 else "**Disagrees: T2DRL is not slower.**")
        )
    return [*lines, ""]


def scale_lines(name: str, scale: Scale, n_learned: int, hparams: str) -> list[str]:
    if name == "table3":
        return [
            f"- scale: {scale.train_seeds} timing seeds x {scale.bench_slots} timed slots (after "
            "one warm-up slot) per method and U, `rl.bench.time_policy`; untrained networks "
            "(inference time does not depend on the weights); GA of SCHRS/HCRAS at its default "
            "40 chromosomes x 50 generations."
        ]
    episodes = scale.episodes or EPISODES[hparams]
    if episodes >= EPISODES[hparams]:
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
        f"learned agents use the `{hparams}` hyperparameters (`rl/presets.py`).",
        f"- {budget}",
    ]


def _load_text(records) -> str:
    loads = [r["load_average"] for r in records if r.get("load_average") is not None]
    if not loads:
        return ""
    return (
        f"; mean 1-minute load average at the end of the runs {np.mean(loads):.1f} on this "
        f"{os.cpu_count()}-core machine (shared: every time here is inflated by other jobs)"
    )


def _per_episode_text(per_ep: dict[str, list[float]]) -> str:
    parts = [f"{DISPLAY[a]} {np.mean(v):.2f}" for a, v in per_ep.items() if v]
    return ", ".join(parts) if parts else "n/a"


def cost_lines(name: str, records, scale: Scale, sweep_doc) -> list[str]:
    """Measured CPU time of this sweep and the full form extrapolated from it."""
    from rl.experiments.spec import plan

    train_s, eval_s, per_ep, per_eval, bench_s = 0.0, 0.0, defaultdict(list), defaultdict(list), 0.0
    for rec in records:
        spec = RunSpec.from_dict(rec["spec"])
        if "curve" in rec:
            w = rec["curve"].get("wall_s", [])
            train_s += sum(w)
            if w:
                per_ep[spec.algo].append(float(np.mean(w)))
        if "eval_wall_s" in rec:
            eval_s += rec["eval_wall_s"]
            ga_scale = spec.ga[1] if spec.ga else 1
            per_eval[spec.algo].append(
                rec["eval_wall_s"] / (len(spec.eval_seeds) * spec.eval_episodes) / ga_scale
            )
        if "bench" in rec:
            bench_s += rec["bench"]["decision_time_ms"] * (spec.bench_slots + 1) / 1e3
    total = train_s + eval_s + bench_s
    lines = [
        f"- summed wall time of the runs in this report (each on one core): "
        f"{total / 3600:.2f} core-hours (training {train_s / 3600:.2f}, evaluation "
        f"{eval_s / 3600:.2f}); training {_per_episode_text(per_ep)} s per episode"
        + _load_text(records)
        + "."
    ]
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
            est += total / max(1, len(records))
    if est > 0:
        lines.append(
            f"- full form ({FULL.train_seeds} training seeds, the preset's H, "
            f"{len(FULL.eval_seeds)} evaluation seeds, GA {FULL.ga_pop_size} x "
            f"{FULL.ga_generations}; {len(full)} runs), extrapolated from the measured per-episode "
            f"and per-evaluation times (GA time scaled by its generations): "
            f"**~{est / 3600:.1f} core-hours**, i.e. ~{est / 60 / 16:.0f} min on 16 cores."
        )
    return lines


TITLES = {
    "fig6a": "Fig. 6a: denoising steps L and T2DRL's episodic reward",
    "fig6b": "Fig. 6b: T2DRL vs DDPG-based T2DRL episodic reward",
    "fig7": "Fig. 7: effect of the number of users U",
    "fig8": "Fig. 8: effect of the cache capacity C",
    "table3": "Table 3: decision time per slot vs U",
    "ablation": "Ablation: the default design with one change reverted at a time",
}


def write_report(
    name: str, records, out: Path, scale: Scale, sweep_doc, complete: bool = True
) -> dict[str, Any]:
    """CSV(s), PNG(s) and report.md for `name` from its finished run records."""
    out = Path(out)
    rows = per_seed_rows(name, records)
    written = []
    csv_path = out / f"{name}.csv"
    write_csv(rows, csv_path)
    written.append(str(csv_path))
    crows = curve_rows(name, records)
    if crows:
        write_csv(crows, out / f"{name}-curves.csv")
        written.append(str(out / f"{name}-curves.csv"))
    a = sweep_doc["args"]
    title = f"{TITLES[name]} ({a['preset']} preset)"
    figs = []
    if name in ("fig6a", "fig6b"):
        figs.append(plot_curves(name, records, rows, out / f"{name}.png", title))
    elif name in ("fig7", "fig8", "ablation"):
        figs.append(plot_bars(name, rows, out / f"{name}.png", title))
    else:
        figs.append(plot_table3(rows, out / f"{name}.png", title))
    if name != "table3":
        greedy = plot_greedy_curves(name, records, rows, out / f"{name}-greedy.png", title)
        figs += [greedy] if greedy else []
    written += figs
    md = report_markdown(name, rows, records, scale, sweep_doc, figs, complete)
    (out / "report.md").write_text(md)
    written.append(str(out / "report.md"))
    return {"written": written, "rows": rows}


def report_markdown(name, rows, records, scale, sweep_doc, figs, complete) -> str:
    a = sweep_doc["args"]
    prov = sweep_doc["provenance"]
    n_learned = len({r["run_id"] for r in rows if r["algo"] in LEARNED})
    lines = [f"# {TITLES[name]} ({a['preset']} preset)", ""]
    if not complete:
        lines += [
            "**Incomplete sweep**: only the finished runs are summarised; rerun the "
            "command to finish it.",
            "",
        ]
    cmd = f"t2drl experiment {name} --preset {a['preset']} --hparams {a['hparams']}"
    if a.get("env_seed"):
        cmd += f" --env-seed {a['env_seed']}"
    if a["quick"]:
        cmd += " --quick"
    for opt, key in (("--seeds", "seeds"), ("--episodes", "episodes")):
        if a[key] is not None:
            cmd += f" {opt} {a[key]}"
    if a["eval_seeds"] is not None:
        cmd += " --eval-seeds " + ",".join(str(s) for s in a["eval_seeds"])
    if a.get("grid") is not None:
        cmd += " --grid " + ",".join(_xfmt(x) for x in a["grid"])
    for k, v in (a.get("env_overrides") or {}).items():
        cmd += f" --set {k}={v}"
    if a.get("algos"):
        cmd += "".join(f" --algo {x}" for x in a["algos"])
    lines += [
        "## Scale and cost",
        "",
        f"- command: `{cmd}`",
        *scale_lines(name, scale, n_learned, a["hparams"]),
        *cost_lines(name, records, scale, sweep_doc),
        f"- git {prov.get('git_commit')}, {prov['device']['cpu']}, "
        f"versions {prov['versions']}, started {prov['time_utc']}",
        "",
    ]
    planned = set(DEFAULT_ALGOS[name])
    present = {r["algo"] for r in rows}
    if planned - present:
        lines += [
            "**Not run in this sweep**: "
            + ", ".join(DISPLAY[x] for x in ALGOS if x in planned - present)
            + (" (see docs/experiments.md for why)." if "oracle" in planned - present else "."),
            "",
        ]
    lines += [f"![{name}]({Path(f).name})" for f in figs] + [""]
    lines += ["## The paper's statements and ours", ""]
    for t in TRENDS[name]:
        lines.append(f"- paper, {t}")
    lines.append("")
    lines += ["Measured:", ""] + trend_lines(name, rows, records) + [""]
    if name == "table3":
        lines += table3_lines(rows)
        lines += [
            "Our timings: one CPU thread per run, runs side by side on the available cores"
            f"{_load_text(records)}; "
            "the paper's are from an RTX A5000 machine. Compare orders of magnitude and "
            "ratios, not values.",
            "",
        ]
    else:
        claims = claims_table(name, rows)
        if claims:
            lines += [
                "### Claimed improvements of T2DRL",
                "",
                'Reading of "X% better": hit ratio (T2DRL - other) / other; utility '
                "(other - T2DRL) / other (lower utility is better).",
                "",
            ] + claims
        lines += ["## Results", ""] + results_table(
            name, rows, ("hit_ratio", "utility", "violation_share", "episode_reward")
        )
        lines += ["## Gap to the oracle", ""] + gap_table(name, rows)
    lines += [
        "## Method",
        "",
        "Intervals: 95% Student t over replicates: training seeds for learned methods "
        "(each the mean over the held-out evaluation seeds), evaluation seeds for the "
        "others; improvements: 95% percentile bootstrap (4 000 resamples) over the same "
        "replicates. Every method sees the same evaluation episodes (common random "
        "numbers, `rl.evaluate`). Per-seed numbers: "
        f"[`{name}.csv`]({name}.csv).",
        "",
    ]
    return "\n".join(lines)
