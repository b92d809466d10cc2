"""`profiling.sweep`: profile-models' default, every zoo model on its own domain's held-out
images."""

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
