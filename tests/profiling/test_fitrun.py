"""`profiling.fitrun`: a measurement table fitted, the written file read back, the figure drawn;
the start protocol on its t_T axis; the device block's provenance; the quality column checked."""

from __future__ import annotations

import pandas as pd
import pytest

from fitted_models.reader import read_fitted
from profiling.errors import ProfilingError
from profiling.fitrun import FitArgs, run_fit
from tests.profiling.synthetic import TRUE, synthetic


def _frame(protocol="trajectory", **extra) -> pd.DataFrame:
    x, tv, delay, groups = synthetic(n_curves=6)
    record = "step" if protocol == "trajectory" else "final"
    return pd.DataFrame(
        {
            "campaign": "synthetic-test",
            "protocol": protocol,
            "record": record,
            "is_warmup": False,
            "model_id": "fake",
            "checkpoint": "fake/ckpt",
            "checkpoint_sha256": "0" * 64,
            "storage_size_bytes": 1234,
            "output_size_bits": 3 * 16 * 16 * 8,
            "image_hwc": "16x16x3",
            "image_id": [f"img{g}" for g in groups],
            "mask_id": "thick-s0",
            "seed": 0,
            "step_n": x.astype(int),
            "steps_N": 250,
            "tv_l1": 30 * tv,
            "tv_l1_pred": 30 * tv,
            "tv_l2": tv,
            "tv_l2_pred": tv,
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
            **extra,
        }
    )


def _table(tmp_path, protocol="trajectory", name="m", **extra):
    path = tmp_path / f"{name}.parquet"
    _frame(protocol, **extra).to_parquet(path)
    return path


def test_fit_models_writes_valid_json_and_png(tmp_path):
    path = _table(tmp_path)
    [result] = run_fit(FitArgs(measurements=[path], out=tmp_path / "fits", n_boot=20))
    fitted = result["fitted"]
    assert fitted == read_fitted(result["path"])
    assert fitted.protocol == "trajectory" and fitted.source.measurements_sha256
    [model] = fitted.models
    assert abs(model.A1_steps - 60) < 3 and model.tv_fit.steps_axis == "step_n"
    assert model.tv_fit.column == "tv_l2_pred" and abs(model.A2_tv - 110) < 3  # the l2 default
    assert set(model.tv_fit.ci95) == set(TRUE)
    tv, _, _ = result["fits"]["fake"]
    assert model.A1_steps == tv.params["A1_steps"] and model.tv_fit.r2 == tv.r2
    assert result["png"].stat().st_size > 10_000 and result["comparison_png"] is None
    assert fitted.quality_metric == {
        "name": "total_variation", "norm_type": "l2", "image_range": "[0, 1]",
        "column": "tv_l2_pred", "image": "the predicted clean image", "image_size_hwc": [16, 16, 3],
    }  # fmt: skip


def test_device_block_names_the_dtype_and_the_cpu(tmp_path):
    path = _table(tmp_path, dtype="fp16", device_name="AMD EPYC 7B13 64-Core Processor")
    [result] = run_fit(FitArgs(measurements=[path], out=tmp_path / "f", n_boot=5, plot=False))
    device = result["fitted"].device
    assert device == {"name": "AMD EPYC 7B13 64-Core Processor", "kind": "cpu", "dtype": "fp16"}
    assert result["fitted"].models[0].settings["dtype"] == "fp16"


def test_start_protocol_fits_on_t_T_and_protocols_side_by_side(tmp_path):
    both = pd.concat([_frame("trajectory"), _frame("start")])
    both.to_parquet(tmp_path / "both.parquet")
    args = FitArgs(measurements=[tmp_path / "both.parquet"], out=tmp_path / "f", n_boot=5)
    trajectory, start = run_fit(args)
    assert start["protocol"] == "start" and start["path"].name == "synthetic-test-start.json"
    fitted = read_fitted(start["path"])
    [model] = fitted.models
    assert fitted.protocol == "start" and model.tv_fit.steps_axis == "step_n"
    assert abs(model.A3_steps - 170) < 3 and model.settings["steps_N"] == 250
    png = start["comparison_png"]
    assert png == trajectory["comparison_png"] and png.name == "synthetic-test-protocols.png"
    assert png.stat().st_size > 10_000


@pytest.mark.parametrize(
    ("column", "drop", "needle"),
    [
        ("psnr_hole_db", None, "--tv-column 'psnr_hole_db' is not one of"),
        ("tv_l2_pred", "tv_l2_pred", "no values of column 'tv_l2_pred' (--tv-column)"),
    ],
)
def test_a_quality_column_it_cannot_fit_is_one_sentence(tmp_path, column, drop, needle):
    df = _frame()
    df.drop(columns=[drop] if drop else []).to_parquet(tmp_path / "old.parquet")
    args = FitArgs(measurements=[tmp_path / "old.parquet"], out=tmp_path / "f", tv_column=column)
    with pytest.raises(ProfilingError) as info:
        run_fit(args)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_main_and_summary(tmp_path):
    from profiling.fitrun import main, summary

    results = main(FitArgs(measurements=[_table(tmp_path)], out=tmp_path / "fits", n_boot=5))
    ((title, table),) = summary(results).tables
    table = pd.DataFrame(table)
    assert title.startswith("trajectory: ") and title.endswith(" + synthetic-test-trajectory.png")
    assert list(table["parameter"]) == [*TRUE, "B1_s_per_step", "B2_s"]
    # No model fittable (the curve cut before its slope ends): main refuses in one sentence.
    cut = pd.read_parquet(_table(tmp_path))
    cut[cut.step_n <= 40].to_parquet(tmp_path / "cut.parquet")
    args = FitArgs(measurements=[tmp_path / "cut.parquet"], out=tmp_path / "cut", n_boot=5)
    with pytest.raises(ProfilingError, match="no model could be fitted: ") as info:
        main(args)
    assert "\n" not in str(info.value)
    assert summary(run_fit(args)).lines[0].startswith("warning: cannot fit: ")


def test_the_fit_uses_the_chosen_clock_and_records_it(tmp_path):
    import pytest

    from profiling.errors import ProfilingError

    df = pd.read_parquet(_table(tmp_path))
    n = len(df)
    df = df.assign(
        latency_cpu_s=df.latency_s / 2,  # half the wall time: a neighbour held the core
        cpu_threads=1,
        unet_calls=df.step_n,
        unet_time_s=df.latency_s - 5.74,
        unet_cpu_s=df.latency_s / 2 - 2.87,
        unet_call_min_s=0.05,
        created_utc=[f"2026-12-01T10:00:{i % 60:02d}" for i in range(n)],
        load_1min_before=0.5,
        load_1min_after=[1.0] * (n - 1) + [1.5],
    )
    df.to_parquet(tmp_path / "clocks.parquet")

    def fit(clock):
        args = FitArgs(
            measurements=[tmp_path / "clocks.parquet"],
            out=tmp_path / clock,
            n_boot=5,
            plot=False,
            delay_clock=clock,
        )
        [result] = run_fit(args)
        return result["fitted"]

    auto, wall, envelope = fit("auto"), fit("wall"), fit("envelope")
    assert auto.delay_clock == "cpu" and auto.models[0].delay_fit.column == "latency_cpu_s"
    assert auto.models[0].B1_s_per_step == pytest.approx(0.09, rel=0.01)
    assert wall.delay_clock == "wall" and wall.models[0].delay_fit.column == "latency_s"
    assert wall.models[0].B1_s_per_step == pytest.approx(0.18, rel=0.01)
    assert envelope.models[0].B1_s_per_step == pytest.approx(0.05, abs=1e-6)  # 2.87 s CPU left
    assert envelope.models[0].B2_s == pytest.approx(2.87, abs=1e-6)
    assert "delay clock cpu: eq. (8) fitted to latency_cpu_s." in auto.models[0].notes
    assert auto.device["load_1min_before"] == 0.5 and auto.device["load_1min_after"] == 1.5
    assert auto.models[0].settings["load_1min_after"] == 1.5
    with pytest.raises(ProfilingError, match="^--delay-clock 'sundial' is not one of auto, "):
        fit("sundial")
    # An old table (no CPU-time columns): auto falls back to wall time and says so.
    old = run_fit(FitArgs(measurements=[_table(tmp_path)], out=tmp_path / "old", n_boot=5))
    fit_old = old[0]["fitted"]
    assert fit_old.delay_clock == "wall" and "fell back to wall time" in fit_old.models[0].notes
    with pytest.raises(ProfilingError, match="^--delay-clock cpu needs the column"):
        run_fit(FitArgs(measurements=[_table(tmp_path)], out=tmp_path / "o", delay_clock="cpu"))
