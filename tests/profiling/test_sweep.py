"""`profiling.sweep`: profile-models' default, every zoo model on its own domain's held-out
images, timed on the wall clock and on CPU time."""

import pandas as pd

from profiling.args import ProfileArgs
from profiling.models import load_unet
from profiling.sweep import expand_models, images_for, run_profile
from profiling.zoo.api import zoo_domains


def test_zoo_specs_expand_and_pick_their_own_images():
    domains = zoo_domains()
    assert expand_models(["zoo", "builtin:tiny"]) == [f"zoo:{d}" for d in domains] + [
        "builtin:tiny"
    ]
    assert images_for("zoo:faces", "auto") == "zoo:faces"
    assert images_for("builtin:tiny", "auto") == "synthetic"
    assert images_for("zoo:faces", "digits") == "digits"
    _, info = load_unet("zoo:digits")
    assert info.model_id == "zoo-digits" and info.storage_size_bytes > 0


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
