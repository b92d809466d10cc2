"""`profiling.fitting`: fit round trips on synthetic data and clear refusals."""

from __future__ import annotations

import numpy as np
import pytest

from profiling.fitting import FitError, fit_delay, fit_tv
from tests.profiling.synthetic import TRUE, synthetic


def test_tv_round_trip_recovers_parameters():
    x, tv, _, groups = synthetic()
    res = fit_tv(x, tv, groups, n_boot=40)
    for key, true in TRUE.items():
        assert abs(res.params[key] - true) < 2.0, key
        lo, hi = res.ci95[key]
        assert lo <= res.params[key] <= hi
    assert res.r2 > 0.95 and res.bootstrap == "curves"


def test_delay_round_trip():
    x, _, delay, groups = synthetic()
    res = fit_delay(x, delay, groups, n_boot=40)
    assert abs(res.params["B1_s_per_step"] - 0.18) < 1e-3 and abs(res.params["B2_s"] - 5.74) < 0.02
    assert res.ci95["B1_s_per_step"][0] < 0.18 < res.ci95["B1_s_per_step"][1] + 1e-4


def test_refuses_unsupported_shapes():
    x, tv, _, groups = synthetic()
    with pytest.raises(FitError, match="no final plateau"):
        fit_tv(x, np.where(x < 60, 110.0, 110.0 - 0.3 * (x - 60)), groups, n_boot=10)
    with pytest.raises(FitError, match="no initial plateau"):
        fit_tv(x, np.maximum(110.0 - 0.5 * x, 28.0), groups, n_boot=10)
    flat = 50 + np.random.default_rng(1).normal(0, 1, len(x))
    with pytest.raises(FitError, match="(does not fall|not distinguishable|plateau)"):
        fit_tv(x, flat, groups, n_boot=40)
    with pytest.raises(FitError, match="at least 5 distinct"):
        fit_tv([1, 2, 3], [3, 2, 1])


def test_signal_level_predicts_the_papers_breakpoints():
    from profiling.fitting import predicted_breakpoints, signal_level

    assert predicted_breakpoints(250) == (60, 170)  # the paper's A1 and A3
    assert signal_level(59) > 0.75 > signal_level(60) and signal_level(169) > 0.10 > signal_level(
        170
    )
    from profiling.loop import make_scheduler

    t = np.arange(1, 251)  # diffusers' own schedule (float32) at the same training timesteps
    expected = make_scheduler().alphas_cumprod[(t - 1) * 4].sqrt().numpy()
    assert np.allclose(signal_level(t), expected, atol=1e-5)
    assert predicted_breakpoints(25) == (7, 18)  # the same noise levels on a coarser schedule
    assert predicted_breakpoints(250, levels=(0.0,)) == (None,)
