"""`validation/decisions.py`: the sampled slots, the regimes of steps, the requests' keys and
the check that a checkpoint's environment is the fitted file's."""

from __future__ import annotations

import dataclasses

from testbed.config import build_config
from validation.decisions import (
    REGIMES,
    request_key,
    same_models,
    sampled_keys,
    sampled_slots,
    steps_regime,
)
from validation.fits import read_fits


def _cfg(**overrides):
    return build_config("fitted", fitted_file="zoo-cpu", overrides=overrides)


def test_sampled_slots_are_seeded_spread_and_sorted():
    cfg = _cfg(n_frames=10, n_slots=8)
    picks = sampled_slots(cfg, frames=4, slots=3, seed=5)
    assert list(picks) == [0, 3, 6, 9]
    assert all(
        len(s) == 3 and s == sorted(set(s)) and min(s) >= 0 and max(s) < 8 for s in picks.values()
    )
    assert picks == sampled_slots(cfg, frames=4, slots=3, seed=5)
    assert picks != sampled_slots(cfg, frames=4, slots=3, seed=6)
    # more than there are: every frame, every slot
    whole = sampled_slots(_cfg(n_frames=2, n_slots=2), frames=5, slots=5, seed=0)
    assert whole == {0: [0, 1], 1: [0, 1]}


def test_keys_of_the_sampled_slots():
    assert request_key(1, 2, 3, 4) == "s1-f2-k3-u4"
    assert sampled_keys(1, {0: [2], 5: [0, 1]}, 2) == {
        "s1-f0-k2-u0",
        "s1-f0-k2-u1",
        "s1-f5-k0-u0",
        "s1-f5-k0-u1",
        "s1-f5-k1-u0",
        "s1-f5-k1-u1",
    }


def test_steps_regime_bins():
    a1, a3 = 4.5, 9.5
    assert [steps_regime(n, a1, a3, 12) for n in (0, 4, 5, 10, 12, 13)] == [
        "n = 0",
        "1 <= n < A1",
        "A1 <= n < A3",
        "n >= A3",
        "n >= A3",
        "n > N (beyond the fitted schedule)",
    ]
    assert steps_regime(500, a1, a3, None) == "n >= A3"  # respaced: no schedule bound
    assert {steps_regime(n, a1, a3, 12) for n in range(20)} <= set(REGIMES)


def test_same_models_names_the_first_difference():
    fits = read_fits("zoo-cpu")
    cfg = _cfg()
    assert same_models(cfg, fits) is None
    b1 = list(cfg.B1_s_per_step)
    b1[1] *= 1.01
    assert same_models(dataclasses.replace(cfg, B1_s_per_step=tuple(b1)), fits) == "B1_s_per_step"
    assert same_models(
        dataclasses.replace(cfg, model_ids=tuple(reversed(cfg.model_ids))), fits
    ) == ("model_ids")
