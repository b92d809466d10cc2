"""Fit round trips on synthetic data, clear refusals, the written file read back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fitted_models.curves import tv_of_steps
from fitted_models.reader import read_fitted
from profiling.fitrun import FitArgs, run_fit
from profiling.fitting import FitError, fit_delay, fit_tv

TRUE = dict(A1_steps=60.0, A2_tv=110.0, A3_steps=170.0, A4_tv=28.0)


def _synthetic(n_curves=8, steps=None, seed=0):
    steps = np.arange(1, 251) if steps is None else steps
    rng = np.random.default_rng(seed)
    x = np.tile(steps, n_curves).astype(float)
    groups = np.repeat(np.arange(n_curves), len(steps))
    tv = (
        tv_of_steps(x, *TRUE.values())
        + rng.normal(0, 2, len(x))
        + np.repeat(rng.normal(0, 1, n_curves), len(steps))
    )
    delay = 0.18 * x + 5.74 + rng.normal(0, 0.05, len(x))
    return x, tv, delay, groups


def test_tv_round_trip_recovers_parameters():
    x, tv, _, groups = _synthetic()
    res = fit_tv(x, tv, groups, n_boot=40)
    for key, true in TRUE.items():
        assert abs(res.params[key] - true) < 2.0, key
        lo, hi = res.ci95[key]
        assert lo <= res.params[key] <= hi
    assert res.r2 > 0.95 and res.bootstrap == "curves"


def test_delay_round_trip():
    x, _, delay, groups = _synthetic()
    res = fit_delay(x, delay, groups, n_boot=40)
    assert abs(res.params["B1_s_per_step"] - 0.18) < 1e-3 and abs(res.params["B2_s"] - 5.74) < 0.02
    assert res.ci95["B1_s_per_step"][0] < 0.18 < res.ci95["B1_s_per_step"][1] + 1e-4


def test_refuses_unsupported_shapes():
    x, tv, _, groups = _synthetic()
    with pytest.raises(FitError, match="no final plateau"):
        fit_tv(x, np.where(x < 60, 110.0, 110.0 - 0.3 * (x - 60)), groups, n_boot=10)
    with pytest.raises(FitError, match="no initial plateau"):
        fit_tv(x, np.maximum(110.0 - 0.5 * x, 28.0), groups, n_boot=10)
    flat = 50 + np.random.default_rng(1).normal(0, 1, len(x))
    with pytest.raises(FitError, match="(does not fall|not distinguishable|plateau)"):
        fit_tv(x, flat, groups, n_boot=40)
    with pytest.raises(FitError, match="at least 5 distinct"):
        fit_tv([1, 2, 3], [3, 2, 1])


def _table(tmp_path, protocol="trajectory"):
    x, tv, delay, groups = _synthetic(n_curves=6)
    df = pd.DataFrame(
        {
            "campaign": "synthetic-test",
            "protocol": protocol,
            "record": "step",
            "is_warmup": False,
            "model_id": "fake",
            "checkpoint": "fake/ckpt",
            "checkpoint_sha256": "0" * 64,
            "storage_size_bytes": 1234,
            "output_size_bits": 3 * 16 * 16 * 8,
            "image_id": [f"img{g}" for g in groups],
            "mask_id": "thick-s0",
            "seed": 0,
            "step_n": x.astype(int),
            "steps_N": 250,
            "tv_l1": tv,
            "tv_l1_pred": tv,
            "latency_s": delay,
            "device": "cpu",
            "device_name": "test-cpu",
            "dtype": "fp32",
            "torch_version": "x",
            "diffusers_version": "y",
            "piq_version": "z",
            "jump_length": 10,
            "jump_n_sample": 1,
            "eta": 1.0,
            "batch_size": 1,
            "image_source": "synthetic",
        }
    )
    path = tmp_path / "m.parquet"
    df.to_parquet(path)
    return path


def test_fit_models_writes_valid_json_and_png(tmp_path):
    path = _table(tmp_path)
    [result] = run_fit(FitArgs(measurements=[path], out=tmp_path / "fits", n_boot=20))
    fitted = result["fitted"]
    assert fitted == read_fitted(result["path"])
    assert fitted.protocol == "trajectory" and fitted.source.measurements_sha256
    [model] = fitted.models
    assert abs(model.A1_steps - 60) < 3 and model.tv_fit.steps_axis == "step_n"
    assert set(model.tv_fit.ci95) == set(TRUE)
    tv, _, _ = result["fits"]["fake"]
    assert model.A1_steps == tv.params["A1_steps"] and model.tv_fit.r2 == tv.r2
    assert result["png"].stat().st_size > 10_000
