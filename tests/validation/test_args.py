"""`validation/args.py`: --quick and the boundary checks (one sentence each)."""

from __future__ import annotations

import pytest

from validation.args import QUICK, ValidateArgs, ValidateError, check_args


def test_quick_overrides_frames_and_slots():
    args = check_args(ValidateArgs(algo="rcars", frames=9, slots=9, quick=True))
    assert (args.frames, args.slots) == (QUICK["frames"], QUICK["slots"])


@pytest.mark.parametrize(
    "kw, message",
    [
        ({}, "exactly one of"),
        ({"algo": "rcars", "checkpoint": "x"}, "exactly one of"),
        ({"checkpoint": "x", "set": ("n_users=3",)}, "--set applies"),
        ({"algo": "rcars", "frames": 0}, "--frames"),
        ({"algo": "rcars", "slots": True}, "--slots"),
        ({"algo": "rcars", "threads": 1.5}, "--threads"),
        ({"algo": "rcars", "grid": -1}, "--grid"),
        ({"algo": "rcars", "seed": -1}, "--seed"),
        ({"algo": "rcars", "trajectory_steps": 1001}, "--trajectory-steps"),
    ],
)
def test_bad_arguments_are_one_sentence(kw, message):
    with pytest.raises(ValidateError, match=message) as info:
        check_args(ValidateArgs(**kw))
    assert "\n" not in str(info.value)
