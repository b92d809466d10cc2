"""Loop overhead benchmark: wall time of a generation / summed UNet forward time (batch 1), and
images per second per step count at a batch size. Goal: overhead <= 1.05 on a GPU."""

from __future__ import annotations

import time

import torch

from profiling import hardware
from profiling.loop import (
    RePaintSettings,
    UNetDenoiser,
    count_unet_calls,
    generators_for,
    inpaint,
    make_scheduler,
)


def bench_loop(
    denoiser: UNetDenoiser,
    size: int,
    channels: int,
    steps: list[int],
    *,
    batch: int,
    repeats: int,
    jump_length: int = 10,
    jump_n_sample: int = 1,
    eta: float = 1.0,
) -> list[dict]:
    device = denoiser.device
    rows = []
    for n in steps:
        settings = RePaintSettings(n, jump_length, jump_n_sample, eta)
        for b in sorted({1, batch}):
            image = torch.zeros(b, channels, size, size, device=device)
            mask = torch.ones(b, 1, size, size, device=device)
            mask[..., size // 4 : 3 * size // 4, size // 4 : 3 * size // 4] = 0
            with torch.inference_mode():
                inpaint(
                    denoiser,
                    make_scheduler(),
                    image,
                    mask,
                    RePaintSettings(min(n, 5)),
                    generators_for(list(range(b))),
                )  # warm-up
                walls, unets = [], []
                for r in range(repeats):
                    denoiser.reset_timers()
                    hardware.synchronize(device)
                    t0 = time.perf_counter()
                    inpaint(
                        denoiser,
                        make_scheduler(),
                        image,
                        mask,
                        settings,
                        generators_for([r * 1000 + i for i in range(b)]),
                    )
                    hardware.synchronize(device)
                    walls.append(time.perf_counter() - t0)
                    unets.append(denoiser.drain_s())
            wall, unet = min(walls), unets[walls.index(min(walls))]
            rows.append(
                {
                    "steps_N": n,
                    "batch_size": b,
                    "unet_calls": count_unet_calls(n, jump_length, jump_n_sample),
                    "wall_s": wall,
                    "unet_s": unet,
                    "overhead": wall / unet if unet > 0 else float("nan"),
                    "img_per_s": b / wall,
                }
            )
    return rows
