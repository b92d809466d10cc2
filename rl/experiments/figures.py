"""The paper's figures as PNGs: training curves (Fig. 6), grouped bars (Figs. 7, 8, the
ablation), decision times (Table 3) and the greedy policy's utility during training.

Every figure shows a mean with its 95% interval (`rl.experiments.stats`); each function writes
one PNG and returns its path.
"""

from __future__ import annotations

import math
import textwrap
from collections import defaultdict
from pathlib import Path

import numpy as np

from rl.experiments.claims import TABLE3_PAPER
from rl.experiments.rows import algos_of, x_label, x_of, x_text, xs_of
from rl.experiments.spec import ALGOS, DISPLAY, LEARNED
from rl.experiments.stats import curve_band, mean_interval, replicates, summary

COLORS = {
    "t2drl": "tab:red",
    "ddpg-t2drl": "tab:blue",
    "ddpg": "tab:cyan",
    "rcars": "tab:gray",
    "schrs": "tab:green",
    "hcras": "tab:olive",
    "oracle": "black",
}


def _plt():
    # Agg: the sweeps run headless, and the backend must be chosen before pyplot is imported.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path, dpi: int) -> str:
    fig.savefig(path, dpi=dpi)
    _plt().close(fig)
    return str(path)


def _greedy_groups(experiment, records) -> dict[tuple, list]:
    """{(algo, x): per run, the (episode, greedy utility) points it scored}."""
    groups: dict[tuple, list] = defaultdict(list)
    for rec in records:
        c = rec.get("curve", {})
        if "greedy_utility" in c:
            pts = [(e, u) for e, u in zip(c["episode"], c["greedy_utility"], strict=True)]
            pts = [(e, u) for e, u in pts if u == u]  # NaN between scorings
            if pts:
                groups[(rec["spec"]["algo"], x_of(rec["spec"], experiment))].append(pts)
    return groups


def _greedy_panel(ax, experiment, groups, rows, x) -> None:
    for algo in (a for a in ALGOS if (a, x) in groups):
        curves = groups[(algo, x)]
        n = min(len(c) for c in curves)
        eps = [e for e, _ in curves[0][:n]]
        mean, lo, hi = curve_band([[u for _, u in c[:n]] for c in curves], 1)
        ax.plot(eps, mean, color=COLORS[algo], label=f"{DISPLAY[algo]} ({len(curves)} seeds)")
        ax.fill_between(eps, lo, hi, color=COLORS[algo], alpha=0.2, linewidth=0)
    m = mean_interval(rows, "oracle", x, "utility")[0]
    if not math.isnan(m):
        ax.axhline(m, color=COLORS["oracle"], ls="--", lw=1, label=f"Oracle ({m:.3g})")
    if x is not None:
        ax.set_title(f"{x_label(experiment).split(' [')[0]} = {x_text(x)}", fontsize=9)
    ax.set_xlabel("training episode")
    ax.set_ylabel("greedy utility (11), lower is better")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)


def plot_greedy_curves(experiment, records, rows, path: Path, title: str) -> str | None:
    """The greedy policy's utility (11) every few episodes (`rl.harness.train.greedy_score`, held-out
    seeds 900, 901) against episodes, mean over training seeds with a 95% t band, one panel per
    swept value, the oracle's utility there (evaluation seeds) as a dashed reference line.
    None when the runs logged no greedy curve."""
    groups = _greedy_groups(experiment, records)
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
        _greedy_panel(ax, experiment, groups, rows, x)
    oracle = (
        "; the oracle on the evaluation seeds" if any(r["algo"] == "oracle" for r in rows) else ""
    )
    text = f"{title}: greedy policy during training (held-out seeds 900, 901{oracle})"
    fig.suptitle(textwrap.fill(text, 60 * ncols), fontsize=9)  # one panel is narrower than it
    fig.tight_layout()
    return _save(fig, path, 120)


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
    if experiment == "fig6b":
        _untrained_lines(ax, rows)
    ax.set_xlabel("training episode")
    ax.set_ylabel("episodic reward (sum of (32) over T frames)")
    note = f"; moving average over {window} episodes" if window > 1 else ""
    ax.set_title(f"{title}\nmean and 95% band over training seeds{note}", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path, 130)


def _untrained_lines(ax, rows) -> None:
    """Fig. 6b: the greedy held-out scores of the untrained methods as horizontal lines."""
    for algo in algos_of(rows):
        if algo in LEARNED:
            continue
        m, lo, hi, _ = summary(replicates(rows, algo, None, "episode_reward").values())
        ax.axhline(
            m, color=COLORS[algo], ls="--", lw=1, label=f"{DISPLAY[algo]} (greedy, held-out)"
        )


def _bar_panel(ax, experiment, rows, xs, algos, metric, lab) -> None:
    width = 0.8 / max(1, len(algos))
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
    labels = [x_text(x) for x in xs]
    long = max(map(len, labels), default=0) > 6  # the ablation's names
    ax.set_xticks(
        np.arange(len(xs)), labels, rotation=25 if long else 0, ha="right" if long else "center"
    )
    ax.set_xlabel(x_label(experiment))
    ax.set_title(lab, fontsize=10)
    ax.grid(axis="y", alpha=0.3)


def plot_bars(experiment, rows, path: Path, title: str) -> str:
    """(a) hit ratio and (b) utility (11) vs the swept variable, grouped bars with 95% CIs."""
    plt = _plt()
    xs, algos = xs_of(rows), algos_of(rows)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, metric, lab in zip(
        axes,
        ("hit_ratio", "utility"),
        ("(a) model hit ratio", "(b) total utility (11), lower is better"),
        strict=True,
    ):
        _bar_panel(ax, experiment, rows, xs, algos, metric, lab)
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
    return _save(fig, path, 130)


def plot_table3(rows, path: Path, title: str) -> str:
    """Decision time per slot vs U on a log axis: mean line and every timing seed as a dot (a
    t band of a few seeds reaches below 0 and cannot be drawn on a log axis)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.6, 4.4))
    xs = xs_of(rows)
    for algo in algos_of(rows):
        means = [mean_interval(rows, algo, x, "decision_time_ms")[0] for x in xs]
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
    return _save(fig, path, 130)
