"""`validation/comparison.py`: percentage errors, the measured utility and the goal verdicts."""

from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace

import numpy as np
import pytest

from fitted_models.reader import read_fitted
from validation.comparison import (
    GOAL_DELAY_MAPE,
    GOAL_TV_MAPE,
    error_stats,
    goal_verdicts,
    measured_row,
)


def test_error_stats_known_values():
    e = error_stats([110.0, 90.0, 100.0], [100.0, 100.0, 100.0])
    assert e == {"n": 3, "mape": pytest.approx(20 / 3), "bias": pytest.approx(0.0)}
    with np.errstate(divide="ignore"):
        over = error_stats([2.0, 3.0], [1.0, 0.0])  # the 0 measurement gives inf: left out
    assert over == {"n": 1, "mape": 100.0, "bias": 100.0}
    empty = error_stats([], [])
    assert empty["n"] == 0 and math.isnan(empty["mape"]) and math.isnan(empty["bias"])


def test_measured_row_recomputes_utility_and_violation():
    cfg = SimpleNamespace(alpha=0.25, delay_cap_s=5.0, slot_duration_s=4.0)
    fits = dataclasses.replace(read_fitted("zoo-cpu"), quality_metric={"column": "tv_l1_pred"})
    req = {"key": "k", "D_up_s": 1.0, "D_dw_s": 0.5}
    row = measured_row(req, {"meas_delay_s": 3.0, "tv_l1_pred": 100.0}, cfg, fits)
    assert row["meas_tv"] == 100.0 and row["meas_D_tl_s"] == 4.5
    assert row["meas_utility"] == pytest.approx(0.25 * 4.5 + 0.75 * 100.0)
    assert row["meas_violated"] is True
    capped = measured_row(req, {"meas_delay_s": 9.0, "tv_l1_pred": 0.0}, cfg, fits)
    assert capped["meas_utility"] == pytest.approx(0.25 * 5.0)  # D_tl capped at delay_cap_s


def _model(mid, tv, delay):
    return {
        "model_id": mid,
        "served": "all",
        "tv_mape": tv,
        "delay_mape": delay,
        "delay_cpu_mape": 1.0,
        "delay_cpu_bias": -1.0,
    }


def _regime(mid, regime, tv, bias):
    return {
        "model_id": mid,
        "regime": regime,
        "requests": 2,
        "n_range": "1-2",
        "tv_mape": tv,
        "tv_bias": bias,
        "delay_mape": 1.0,
        "delay_bias": 1.0,
    }


def test_goal_verdicts_name_the_worst_regime():
    per_model = [_model("a", GOAL_TV_MAPE + 5, GOAL_DELAY_MAPE - 1), _model("b", math.nan, 1.0)]
    per_regime = [
        _regime("a", "n = 0", 10.0, 10.0),
        _regime("a", "n >= A3", 30.0, -30.0),
        _regime("a", "1 <= n < A1", math.nan, math.nan),
    ]
    a, b = goal_verdicts(per_model, per_regime)
    assert (a["delay_ok"], a["tv_ok"]) == (True, False)
    (miss,) = a["misses"]
    assert miss["quantity"] == "tv" and miss["worst_regime"] == "n >= A3"
    assert miss["worst_regime_bias"] == -30.0 and miss["cpu_mape"] is None
    assert (b["delay_ok"], b["tv_ok"], b["misses"]) == (True, None, [])
