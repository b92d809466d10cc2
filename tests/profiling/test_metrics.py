"""`profiling.metrics`: total variation in both norms, PSNR and SSIM over the hole."""

from __future__ import annotations

import torch

from profiling.metrics import (
    TV_NORMS,
    image_metrics,
    psnr_hole_db,
    reference_tv,
    ssim_hole,
    total_variation,
)


def test_metrics_conventions():
    x = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    dy, dx = x[..., 1:, :] - x[..., :-1, :], x[..., :, 1:] - x[..., :, :-1]
    manual_l1 = dy.abs().sum((1, 2, 3)) + dx.abs().sum((1, 2, 3))
    manual_l2 = (dy.square().sum((1, 2, 3)) + dx.square().sum((1, 2, 3))).sqrt()  # piq's default
    assert torch.allclose(total_variation(x), manual_l1, rtol=1e-5)
    assert torch.allclose(total_variation(x, "l2"), manual_l2, rtol=1e-5)
    ref = 0.8 * x
    mask = torch.ones(2, 1, 16, 16)
    mask[..., 4:8, 4:8] = 0
    y = ref.clone()
    y[..., 4:8, 4:8] += 0.1  # error only inside the hole: MSE over the hole = 0.01 -> 20 dB
    assert torch.allclose(psnr_hole_db(y, ref, mask), torch.full((2,), 20.0), atol=1e-3)
    assert torch.allclose(ssim_hole(ref, ref, mask), torch.ones(2))


def test_every_norm_for_the_sample_the_prediction_and_the_reference():
    x = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    mask = torch.ones(1, 1, 16, 16)
    mask[..., 4:8, 4:8] = 0
    [row] = image_metrics(x * 2 - 1, x * 2 - 1, x, mask)
    ref = reference_tv(x)
    for norm in TV_NORMS:
        assert row[f"tv_{norm}"] == row[f"tv_{norm}_pred"] == ref[f"tv_{norm}_reference"][0]
    assert row["tv_l2"] < row["tv_l1"]  # the l2 norm of many small differences is much smaller
