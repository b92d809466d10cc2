"""The owned RePaint loop: equal to diffusers' RePaintPipeline, deterministic, batch-invariant."""

from __future__ import annotations

import warnings

import pytest
import torch
from diffusers import UNet2DModel

from profiling.loop import (
    RePaintSettings,
    UNetCalls,
    UNetDenoiser,
    count_unet_calls,
    generators_for,
    inpaint,
    make_scheduler,
    start_timesteps,
)


def _inputs(batch: int, size: int = 16):
    g = torch.Generator().manual_seed(123)
    image = torch.rand(batch, 3, size, size, generator=g) * 2 - 1
    mask = torch.ones(batch, 1, size, size)
    mask[..., 4:12, 2:10] = 0
    return image, mask


class ZeroNoise(torch.nn.Module):
    """Analytic dummy denoiser: predicts zero noise (so pred_original = clip(x_t / sqrt(alpha_bar_t)))."""

    def __call__(self, sample, t_batch):
        return torch.zeros_like(sample)


@pytest.mark.parametrize(
    ("steps", "jump_length", "jump_n_sample", "eta", "batch"),
    [(10, 3, 2, 1.0, 1), (8, 2, 1, 0.0, 2)],
)
def test_loop_equals_repaint_pipeline(tiny_unet_dir, steps, jump_length, jump_n_sample, eta, batch):
    from diffusers.pipelines.deprecated.repaint.pipeline_repaint import RePaintPipeline

    unet = UNet2DModel.from_pretrained(tiny_unet_dir)
    image, mask = _inputs(batch)
    pipe = RePaintPipeline(unet=unet, scheduler=make_scheduler())
    pipe.set_progress_bar_config(disable=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = pipe(
            image,
            mask,
            num_inference_steps=steps,
            eta=eta,
            jump_length=jump_length,
            jump_n_sample=jump_n_sample,
            generator=torch.Generator().manual_seed(7),
            output_type="np",
        ).images
    with torch.inference_mode():
        ours = inpaint(
            UNetDenoiser(unet, device=torch.device("cpu")),
            make_scheduler(),
            image,
            mask,
            RePaintSettings(steps, jump_length, jump_n_sample, eta),
            torch.Generator().manual_seed(7),
        )
    ours = (ours / 2 + 0.5).clamp(0, 1).permute(0, 2, 3, 1).numpy()
    assert ours.shape == expected.shape
    assert abs(ours - expected).max() < 1e-5


def test_same_seed_same_numbers_and_batch_invariance():
    image, mask = _inputs(3)
    settings = RePaintSettings(12, 3, 2, 1.0)

    def run(imgs, masks, seeds):
        return inpaint(
            lambda x, t: 0.1 * x, make_scheduler(), imgs, masks, settings, generators_for(seeds)
        )

    a, b = run(image, mask, [1, 2, 3]), run(image, mask, [1, 2, 3])
    assert torch.equal(a, b)
    alone = run(image[1:2], mask[1:2], [2])  # an image's result does not depend on its batch mates
    assert torch.allclose(alone[0], a[1], atol=1e-6)
    assert not torch.allclose(run(image, mask, [9, 2, 3])[0], a[0])


def test_unet_calls_and_callbacks_match_schedule():
    image, mask = _inputs(1)
    calls, seen = [], []
    denoiser = ZeroNoise()

    def counting(x, t):
        calls.append(int(t[0]))
        return denoiser(x, t)

    settings = RePaintSettings(30, 10, 3, 1.0)
    final = inpaint(
        counting,
        make_scheduler(),
        image,
        mask,
        settings,
        generators_for([0]),
        on_step=lambda n, t, s, p: seen.append((n, t)),
    )
    assert len(calls) == count_unet_calls(30, 10, 3) == 30 + 2 * 10 * 2
    assert [n for n, _ in seen] == list(range(1, len(calls) + 1))
    assert (
        count_unet_calls(250, 10, 10) == 2410
        and count_unet_calls(100, 10, 10) == 910
        and count_unet_calls(77, 10, 1) == 77
    )
    # the known pixels come back exactly at t = 0 (alpha_bar_prev = 1 at the last step)
    assert torch.allclose(final * mask, image * mask, atol=1e-5)


def test_dummy_denoiser_prediction_is_analytic():
    image, mask = _inputs(1)
    scheduler = make_scheduler()
    got = {}

    def grab(n, t, sample, pred):
        if n == 1:
            got["t"], got["pred"] = t, pred

    x0 = inpaint(
        ZeroNoise(),
        scheduler,
        image,
        mask,
        RePaintSettings(5, 10, 1, 1.0),
        generators_for([4]),
        on_step=grab,
    )
    noise = torch.randn(image.shape, generator=torch.Generator().manual_seed(4))
    expected = (noise / scheduler.alphas_cumprod[got["t"]].sqrt()).clamp(-1, 1)  # clip_sample=True
    assert torch.allclose(got["pred"], expected, atol=1e-4)
    assert torch.isfinite(x0).all()


def test_denoiser_times_every_call_on_both_clocks(tiny_unet_dir):
    denoiser = UNetDenoiser(UNet2DModel.from_pretrained(tiny_unet_dir), device=torch.device("cpu"))
    image, mask = _inputs(1)
    with torch.inference_mode():
        inpaint(denoiser, make_scheduler(), image, mask, RePaintSettings(4), generators_for([0]))
    times = denoiser.drain()
    assert len(times.call_s) == len(times.cpu_s) == 4
    assert all(
        c > 0 and 0 < cpu <= c + 1e-3 for c, cpu in zip(times.call_s, times.cpu_s, strict=True)
    )
    assert denoiser.drain().call_s == ()  # drained
    calls = UNetCalls()
    calls.add(times)
    assert calls.sums() == {"unet_time_s": times.total_s, "unet_cpu_s": times.total_cpu_s}
    stats = calls.per_call(gpu_timed=False)
    assert stats["unet_call_min_s"] == min(times.call_s) <= stats["unet_call_median_s"]
    assert stats["unet_gpu_ms_per_call"] is None


@pytest.mark.parametrize(
    ("n", "jump_length", "jump_n_sample"), [(250, 10, 1), (30, 10, 3), (7, 2, 2)]
)
def test_start_schedule_at_n_is_set_timesteps(n, jump_length, jump_n_sample):
    scheduler = make_scheduler()
    scheduler.set_timesteps(n, jump_length, jump_n_sample)
    assert start_timesteps(n, n, jump_length, jump_n_sample) == scheduler.timesteps.tolist()


@pytest.mark.parametrize("t_start", [1, 10, 60, 250])
def test_start_schedule_begins_at_t_start_minus_one_and_counts_its_calls(t_start):
    steps = start_timesteps(t_start, 250, 10, 3)
    assert steps[0] == (t_start - 1) * (1000 // 250) and steps[-1] == 0
    downward = sum(b < a for a, b in zip([10**9, *steps], steps, strict=False))
    assert downward == count_unet_calls(t_start, 10, 3)
    assert set(range(0, t_start * 4, 4)) == set(steps)  # the spacing of N = 250, nothing else


def test_chain_started_part_way_calls_the_unet_t_start_times():
    image, mask = _inputs(1)
    calls = []

    def counting(x, t):
        calls.append(int(t[0]))
        return torch.zeros_like(x)

    settings = RePaintSettings(20, 3, 2, 1.0, start_at=8)
    assert settings.reverse_steps == 8
    final = inpaint(counting, make_scheduler(), image, mask, settings, generators_for([0]))
    assert len(calls) == count_unet_calls(8, 3, 2) and calls[0] == 7 * 50 and calls[-1] == 0
    assert torch.allclose(final * mask, image * mask, atol=1e-5)
    full = RePaintSettings(20, 3, 2, 1.0, start_at=20)
    a = inpaint(ZeroNoise(), make_scheduler(), image, mask, full, generators_for([0]))
    b = inpaint(
        ZeroNoise(),
        make_scheduler(),
        image,
        mask,
        RePaintSettings(20, 3, 2, 1.0),
        generators_for([0]),
    )
    assert torch.equal(a, b)  # t_T = N is the whole schedule
    with pytest.raises(ValueError, match="outside 1..N"):
        RePaintSettings(20, start_at=21)
