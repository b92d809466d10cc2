"""`rl.experiments.stats`: intervals and Welch differences against scipy, paired gaps, the
bootstrap of an improvement."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from rl.experiments.rows import per_seed_rows
from rl.experiments.stats import (
    bootstrap_improvement,
    curve_band,
    final_rewards,
    intervals_overlap,
    mean_interval,
    oracle_gaps,
    relative_gaps,
    replicates,
    smooth,
    summary,
    welch_difference,
)


def test_summary_is_scipys_t_interval():
    values = [2.0, 4.0, 9.0, 5.0]
    m, lo, hi, n = summary(values)
    ref = sps.t.interval(0.95, df=3, loc=np.mean(values), scale=sps.sem(values))
    assert (m, n) == (5.0, 4)
    assert (lo, hi) == pytest.approx(ref, rel=1e-12)
    assert summary([])[3] == 0 and math.isnan(summary([])[0])
    assert math.isnan(summary([1.0])[1])


def test_welch_difference_is_the_welch_satterthwaite_interval():
    a, b = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0]
    diff, lo, hi = welch_difference(a, b)
    va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = sps.t.ppf(0.975, dof) * math.sqrt(va + vb)
    assert diff == pytest.approx(-1.5)
    assert (lo, hi) == pytest.approx((diff - half, diff + half), rel=1e-10)


def test_gaps_pair_seeds_and_point_the_same_way(fig7_records):
    rows = per_seed_rows("fig7", fig7_records)
    # T2DRL's utility is 70 + seed + eval index at U = 10, the oracle's 60 + eval index
    assert oracle_gaps(rows, "t2drl", 10, "utility") == [10.0, 11.0]
    assert oracle_gaps(rows, "rcars", 10, "utility") == [30.0, 30.0, 30.0]
    hit = oracle_gaps(rows, "t2drl", 10, "hit_ratio")  # oracle - method: positive = worse
    assert hit == pytest.approx([0.01, 0.011])
    assert oracle_gaps(rows, "oracle", 10, "utility") == []
    assert relative_gaps(rows, "rcars", 10) == pytest.approx([100 * 30 / 61] * 3)
    assert replicates(rows, "t2drl", 10, "utility") == {0: 71.0, 1: 72.0}  # per training seed
    assert replicates(rows, "rcars", 10, "utility") == {1000: 90.0, 1001: 91.0, 1002: 92.0}
    assert mean_interval(rows, "rcars", 18, "utility")[0] == 99.0


def test_bootstrap_improvement_is_seeded_and_needs_two_replicates():
    t, o = [50.0, 52.0, 51.0], [60.0, 63.0, 61.0]
    point, lo, hi = bootstrap_improvement("utility", t, o)
    assert point == pytest.approx(100 * (184 / 3 - 51) / (184 / 3))
    assert lo < point < hi
    assert bootstrap_improvement("utility", t, o) == (point, lo, hi)
    one = bootstrap_improvement("hit_ratio", [0.6], o)
    assert math.isnan(one[1]) and one[0] == pytest.approx(100 * (0.6 - 184 / 3) / (184 / 3))


def test_overlap_and_smoothing():
    assert intervals_overlap((1, 0, 2, 3), (3, 1.5, 4, 3))
    assert not intervals_overlap((1, 0, 2, 3), (5, 3, 7, 3))
    assert intervals_overlap((1, math.nan, math.nan, 1), (5, 3, 7, 3))  # undefined: no claim
    np.testing.assert_allclose(smooth(np.array([2.0, 4.0, 6.0]), 2), [2.0, 3.0, 5.0])
    mean, lo, hi = curve_band([[1.0, 2.0], [3.0, 4.0]], 1)
    np.testing.assert_allclose(mean, [2.0, 3.0])
    half = sps.t.ppf(0.975, 1) * math.sqrt(2) / math.sqrt(2)
    np.testing.assert_allclose(hi - mean, [half, half])


def test_final_rewards_average_the_last_tenth(fig7_records):
    finals = final_rewards(fig7_records, "fig7")
    assert list(finals) == [("t2drl", 10), ("t2drl", 18)]
    assert finals[("t2drl", 10)] == [-4 * 70.0, -4 * 71.0]  # 4 episodes: the last one
