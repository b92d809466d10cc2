"""`profiling.sweep`: profile-models' default, every zoo model on its own domain's held-out
images, timed on the wall clock and on CPU time; the start protocol's rows."""

import pandas as pd

from profiling.args import ProfileArgs
from profiling.loop import count_unet_calls
from profiling.sweep import run_profile


def test_profile_a_zoo_model_end_to_end(tmp_path):
    args = ProfileArgs(
        models=["zoo:digits"],
        protocol="trajectory",
        trajectory_steps=10,
        num_images=1,
        throughput=False,
        warmup=0,
        out=tmp_path / "run",
        progress=False,
    )
    result = run_profile(args)
    df = pd.read_parquet(result["table"])
    assert set(df.model_id) == {"zoo-digits"}
    assert set(df.image_id) == {"digits-000"}
    assert df.step_n.max() == 10
    # The clocks beside wall time: positive, CPU time never above wall time over one span.
    for col in ("latency_cpu_s", "unet_cpu_s", "unet_call_min_s", "unet_call_median_s"):
        assert (df[col] > 0).all(), col
    assert (df.latency_cpu_s <= df.latency_s + 1e-3).all()
    assert (df.unet_cpu_s <= df.unet_time_s + 1e-3).all()
    assert (df.unet_call_min_s <= df.unet_call_median_s).all()
    assert (df.unet_call_min_s * df.unet_calls <= df.unet_time_s + 1e-9).all()
    assert (df.load_1min_before >= 0).all() and (df.load_1min_after >= 0).all()
    step = df[df.record == "step"].sort_values("step_n")
    assert step.latency_cpu_s.is_monotonic_increasing and step.unet_cpu_s.is_monotonic_increasing
    assert set(df.image_hwc) == {"32x32x3"} and set(df.tv_norm) == {"l1,l2"}
    assert df.tv_l2_pred.notna().all() and df.tv_l2_reference.notna().all()


def test_a_single_request_carries_its_cpu_time(tiny_unet_dir):
    import numpy as np
    import torch
    from diffusers import UNet2DModel

    from profiling.loop import RePaintSettings, UNetDenoiser
    from profiling.sweep import measure_request

    denoiser = UNetDenoiser(UNet2DModel.from_pretrained(tiny_unet_dir), device=torch.device("cpu"))
    image, mask = np.full((3, 16, 16), 0.5, np.float32), np.ones((1, 16, 16), np.float32)
    mask[:, 4:12, 4:12] = 0
    m = measure_request(denoiser, image, mask, RePaintSettings(4), seed=0, stop_after=3)
    assert m.unet_calls == 3 and 0 < m.latency_cpu_s <= m.latency_s + 1e-3


def test_start_rows_one_per_t_T(tiny_unet_dir, tmp_path):
    args = ProfileArgs(
        models=[str(tiny_unet_dir)], protocol="start", start_steps=10, start_grid=(3, 10),
        jump_length=2, jump_n_sample=2, num_images=1, out=tmp_path / "run", progress=False,
    )  # fmt: skip
    df = pd.read_parquet(run_profile(args)["table"])
    df = df[~df.is_warmup]
    runs = df[df.record == "final"].sort_values("step_n")
    assert list(runs.step_n) == [3, 10] and set(runs.steps_N) == {10}
    assert list(runs.unet_calls) == [count_unet_calls(3, 2, 2), count_unet_calls(10, 2, 2)]
    assert list(runs.timestep_t) == [0, 0] and (runs.protocol == "start").all()
    [thr] = df[df.record == "throughput"].itertuples()
    assert (thr.step_n, thr.steps_N, thr.unet_calls) == (10, 10, count_unet_calls(10, 2, 2))
