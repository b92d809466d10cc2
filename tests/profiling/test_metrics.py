"""`profiling.metrics`: total variation, PSNR and SSIM over the hole."""

from __future__ import annotations

import torch

from profiling.metrics import psnr_hole_db, ssim_hole, total_variation


def test_metrics_conventions():
    x = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    manual = (x[..., 1:, :] - x[..., :-1, :]).abs().sum((1, 2, 3)) + (
        x[..., :, 1:] - x[..., :, :-1]
    ).abs().sum((1, 2, 3))
    assert torch.allclose(total_variation(x), manual, rtol=1e-5)
    ref = 0.8 * x
    mask = torch.ones(2, 1, 16, 16)
    mask[..., 4:8, 4:8] = 0
    y = ref.clone()
    y[..., 4:8, 4:8] += 0.1  # error only inside the hole: MSE over the hole = 0.01 -> 20 dB
    assert torch.allclose(psnr_hole_db(y, ref, mask), torch.full((2,), 20.0), atol=1e-3)
    assert torch.allclose(ssim_hole(ref, ref, mask), torch.ones(2))
