"""`profiling.args`: bad settings are one sentence naming the option; `both` runs both
protocols."""

import dataclasses

import pytest

from profiling.args import PROTOCOLS, ProfileArgs, protocols, validate
from profiling.errors import ProfilingError


@pytest.mark.parametrize(
    "change, option",
    [
        ({"protocol": "all"}, "protocol 'all'"),
        ({"respaced_steps": (10, 0)}, "--respaced-steps"),
        ({"batch": 0}, "--batch"),
        ({"eta": 1.5}, "--eta"),
        ({"seeds": ()}, "--seeds"),
    ],
)
def test_bad_settings_name_the_option(change, option):
    with pytest.raises(ProfilingError, match=option):
        validate(dataclasses.replace(ProfileArgs(), **change))


def test_both_means_every_protocol():
    validate(ProfileArgs())
    assert protocols(ProfileArgs(protocol="both")) == PROTOCOLS
    assert protocols(ProfileArgs()) == ("trajectory",)
