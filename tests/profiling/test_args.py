"""`profiling.args`: bad settings are one sentence naming the option; `both` runs trajectory
and respaced, `all` the three protocols."""

import dataclasses

import pytest

from profiling.args import PROTOCOLS, ProfileArgs, check_steps, protocols, validate
from profiling.errors import ProfilingError
from profiling.fitrun import FitAfterArgs
from profiling.models import ModelInfo


@pytest.mark.parametrize(
    "change, option",
    [
        ({"protocol": "every"}, "protocol 'every'"),
        ({"respaced_steps": (10, 0)}, "--respaced-steps"),
        ({"batch": 0}, "--batch"),
        ({"eta": 1.5}, "--eta"),
        ({"seeds": ()}, "--seeds"),
        ({"protocol": "start", "start_grid": (0, 10)}, r"--start-grid .* 1\.\.250"),
        ({"protocol": "all", "start_steps": 100}, r"--start-grid .*got \[110, 120"),
        ({"protocol": "start", "start_grid": ()}, "--start-grid"),
        ({"protocol": "start", "start_steps": 0}, "--start-steps"),
        ({"fitting": FitAfterArgs(tv_column="psnr_hole_db")}, "--tv-column 'psnr_hole_db'"),
    ],
)
def test_bad_settings_name_the_option(change, option):
    with pytest.raises(ProfilingError, match=option) as info:
        validate(dataclasses.replace(ProfileArgs(), **change))
    assert "\n" not in str(info.value)


def test_both_and_all_name_several_protocols():
    validate(ProfileArgs())
    validate(ProfileArgs(protocol="trajectory", start_steps=100))  # start grid: checked for start
    assert protocols(ProfileArgs(protocol="both")) == ("trajectory", "respaced")
    assert (
        protocols(ProfileArgs(protocol="all")) == PROTOCOLS == ("trajectory", "respaced", "start")
    )
    assert protocols(ProfileArgs(protocol="trajectory")) == ("trajectory",)
    assert protocols(ProfileArgs()) == PROTOCOLS  # the default job runs all three
    assert (
        ProfileArgs().start_grid == tuple(range(10, 251, 10)) and ProfileArgs().start_steps == 250
    )


def test_start_steps_beyond_the_training_timesteps_name_the_option():
    info = ModelInfo(
        model_id="m", checkpoint="ckpt", folder=".", checkpoint_sha256="0", storage_size_bytes=1,
        sample_size=16, in_channels=3, num_train_timesteps=100,
    )  # fmt: skip
    check_steps(ProfileArgs(protocol="start", start_steps=50, trajectory_steps=500), info)
    with pytest.raises(ProfilingError, match=r"--start-steps\) exceeds the model's 100"):
        check_steps(ProfileArgs(protocol="start", start_steps=250), info)
