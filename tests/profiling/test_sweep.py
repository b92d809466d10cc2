"""`profiling.sweep`: profile-models' default, every zoo model on its own domain's held-out
images; the start protocol's rows."""

import pandas as pd

from profiling.args import ProfileArgs
from profiling.loop import count_unet_calls
from profiling.sweep import run_profile


def test_profile_a_zoo_model_end_to_end(tmp_path):
    args = ProfileArgs(
        models=["zoo:digits"],
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
    assert set(df.image_hwc) == {"32x32x3"} and set(df.tv_norm) == {"l1,l2"}
    assert df.tv_l2_pred.notna().all() and df.tv_l2_reference.notna().all()


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
