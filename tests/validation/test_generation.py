"""Real generation (`validation/generation.py`): the profiling hook it rests on, the step
protocols, and one replayed request with a tiny random UNet."""

from __future__ import annotations

import math

import pytest
import torch

from fitted_models.reader import read_fitted
from profiling.loop import RePaintSettings, UNetDenoiser, generators_for, inpaint, make_scheduler
from profiling.models import load_unet
from profiling.sweep import measure_request
from validation.args import ValidateArgs, ValidateError
from validation.generation import load_replay_model, replay_request, schedule_of


def test_stop_after_is_the_prefix_of_the_full_trajectory(tiny_dir):
    unet, _ = load_unet(str(tiny_dir))
    den = UNetDenoiser(unet, device=torch.device("cpu"))
    img = torch.rand(1, 3, 16, 16) * 2 - 1
    mask = torch.ones(1, 1, 16, 16)
    mask[..., 4:12, 4:12] = 0
    seen = {}
    with torch.inference_mode():
        inpaint(
            den,
            make_scheduler(),
            img,
            mask,
            RePaintSettings(8),
            generators_for([3]),
            on_step=lambda n, t, x, p: seen.setdefault(n, x.clone()),
        )
        early = inpaint(
            den, make_scheduler(), img, mask, RePaintSettings(8), generators_for([3]), stop_after=3
        )
    assert torch.equal(early, seen[3])
    m = measure_request(
        den, (img[0].numpy() + 1) / 2, mask[0].numpy(), RePaintSettings(8), 3, stop_after=3
    )
    assert m.unet_calls == 3 and m.latency_s > 0 and m.unet_time_s <= m.latency_s
    assert torch.allclose(m.sample01, ((seen[3][0] + 1) / 2).clamp(0, 1))
    none = measure_request(
        den, (img[0].numpy() + 1) / 2, mask[0].numpy(), RePaintSettings(8), 3, stop_after=0
    )
    assert none.unet_calls == 0 and math.isfinite(none.metrics["tv_l1_pred"])


def test_schedule_of_each_protocol():
    # trajectory: the fit's N-step schedule stopped after n; n > N runs a full n-step schedule
    assert schedule_of(3, 10, "trajectory") == (10, 3)
    assert schedule_of(12, 10, "trajectory") == (12, 12)
    assert schedule_of(0, 10, "trajectory") == (10, 0)
    assert schedule_of(0, None, "trajectory") == (1, 0)
    # respaced: one complete n-step run; n = 0 delivers the initial noise
    assert schedule_of(7, None, "respaced") == (7, None)
    assert schedule_of(0, None, "respaced") == (1, 0)


def test_replay_request_is_seeded_by_its_key(fitted_file, tmp_path):
    fits = read_fitted(fitted_file)
    args = ValidateArgs(algo="rcars", trajectory_steps=6)
    model = load_replay_model(fits, fits.model("tiny-a"), args, None, tmp_path)
    assert model.n_fit == 6 and model.mask_family == "thick" and model.pool
    req = {"key": "s0-f0-k0-u1", "n": 4}
    cols, m = replay_request(model, req, "trajectory")
    again, _ = replay_request(model, req, "trajectory")
    assert cols["unet_calls"] == 4 and cols["schedule_N"] == 6
    for k in ("image_id", "mask_id", "noise_seed", "tv_l1", "tv_l1_pred"):
        assert cols[k] == again[k], k
    other, _ = replay_request(model, {"key": "s0-f0-k0-u2", "n": 4}, "trajectory")
    assert other["noise_seed"] != cols["noise_seed"]


def test_unknown_mask_is_refused(fitted_file, tmp_path):
    fits = read_fitted(fitted_file)
    args = ValidateArgs(algo="rcars", mask="nope")
    with pytest.raises(ValidateError, match="--mask must be one of"):
        load_replay_model(fits, fits.models[0], args, None, tmp_path)
