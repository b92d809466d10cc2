"""The statistics of a report: replicates, 95% intervals, paired gaps to the oracle, improvements.

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

Differences of two independent sets of replicates (the ablation's cost of reverting a part):
Welch's t interval (`scipy.stats.ttest_ind(equal_var=False)`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from common.stats import CONFIDENCE, t_half_width, t_interval
from rl.experiments.claims import improvement
from rl.experiments.rows import x_of
from rl.experiments.spec import ALGOS, LEARNED

GAP_SIGN = {"utility": 1.0, "hit_ratio": -1.0, "frame_reward": -1.0}  # method - oracle, signed
N_BOOT = 4000

Interval = tuple[float, float, float, int]
"""(mean, low, high, replicates); NaN bounds below two replicates, all NaN for none."""


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


def summary(values) -> Interval:
    """Mean and 95% Student t interval of `values`, with their count."""
    values = list(values)
    if not values:
        return math.nan, math.nan, math.nan, 0
    m, lo, hi = t_interval(values)
    return m, lo, hi, len(values)


def mean_interval(rows, algo, x, metric) -> Interval:
    """`summary` of one method's replicates at one swept value."""
    return summary(replicates(rows, algo, x, metric).values())


def intervals_overlap(a: Interval, b: Interval) -> bool:
    """Do two intervals overlap (or is one undefined)?"""
    if math.isnan(a[1]) or math.isnan(b[1]):
        return True
    return not (a[1] > b[2] or a[2] < b[1])


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
    with np.errstate(divide="ignore", invalid="ignore"):  # a resample whose mean is 0: +-inf
        boot = improvement(metric, tb, ob)
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return point, float(lo), float(hi)


def welch_difference(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    """mean(a) - mean(b) with its 95% Welch t interval (unequal variances); needs two values
    in each."""
    from scipy import stats

    diff = float(np.mean(a) - np.mean(b))
    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(CONFIDENCE)
    return diff, ci.low, ci.high


def smooth(y: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average over `window` values, the first value repeated before the start
    (so the output has the input's length)."""
    if window <= 1:
        return y
    kernel = np.ones(window) / window
    pad = np.concatenate([np.full(window - 1, y[0]), y])
    return np.convolve(pad, kernel, mode="valid")


def curve_band(curves: list[list[float]], window: int):
    """Per episode, the mean over curves (cut to the shortest, each smoothed over `window`)
    and its 95% t band; a band of zero width for one curve."""
    n = min(len(c) for c in curves)
    arr = np.array([smooth(np.asarray(c[:n], float), window) for c in curves])
    mean = arr.mean(0)
    if arr.shape[0] < 2:
        return mean, mean, mean
    half = t_half_width(arr, axis=0)
    return mean, mean - half, mean + half


def final_rewards(records, experiment: str) -> dict[tuple[str, Any], list[float]]:
    """{(algo, x): per training seed, the mean training episodic reward over the last 10% of
    episodes}, sorted by method and swept value."""
    groups = defaultdict(list)
    for rec in records:
        if "curve" in rec:
            c = rec["curve"]["episode_reward"]
            k = max(1, len(c) // 10)
            groups[(rec["spec"]["algo"], x_of(rec["spec"], experiment))].append(
                float(np.mean(c[-k:]))
            )
    return dict(sorted(groups.items(), key=lambda kv: (ALGOS.index(kv[0][0]), kv[0][1] or 0)))
