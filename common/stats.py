"""Confidence intervals over independent runs (seeds, episodes), shared by every report."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

CONFIDENCE = 0.95


def t_half_width(x: np.ndarray, confidence: float = CONFIDENCE, axis: int | None = None):
    """Half-width of the Student-t interval for the mean of `x` (along `axis`; all of a 1-D
    `x` by default): t_{(1 + confidence) / 2, n - 1} * s / sqrt(n), sample std s (ddof 1).
    Needs n >= 2."""
    from scipy import stats

    n = x.size if axis is None else x.shape[axis]
    return stats.t.ppf(0.5 + confidence / 2.0, n - 1) * x.std(axis=axis, ddof=1) / math.sqrt(n)


def t_interval(
    values: Sequence[float], confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """(mean, low, high) of the Student-t interval for the mean; NaN bounds for one value."""
    x = np.asarray(values, dtype=np.float64)
    mean = float(x.mean())
    if x.size < 2:
        return mean, math.nan, math.nan
    half = float(t_half_width(x, confidence))
    return mean, mean - half, mean + half
