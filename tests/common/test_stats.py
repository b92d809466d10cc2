"""`common.stats`: the Student-t interval of every report."""

import math

import numpy as np
import pytest

from common.stats import t_half_width, t_interval


def test_t_interval_matches_the_textbook_value():
    mean, lo, hi = t_interval([1.0, 2.0, 3.0])
    assert mean == 2.0
    assert hi - mean == pytest.approx(4.302652729911275 / math.sqrt(3))  # t_{0.975, 2} s / sqrt(n)
    assert mean - lo == pytest.approx(hi - mean)
    m1, lo1, hi1 = t_interval([5.0])
    assert m1 == 5.0 and math.isnan(lo1) and math.isnan(hi1)


def test_half_width_along_an_axis_is_the_interval_of_each_column():
    x = np.array([[1.0, 10.0], [2.0, 30.0], [3.0, 20.0]])
    half = t_half_width(x, axis=0)
    for j in range(2):
        mean, lo, hi = t_interval(x[:, j])
        assert half[j] == pytest.approx(hi - mean, rel=1e-12)
