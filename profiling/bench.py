"""Loop overhead benchmark: wall time of a generation / summed UNet forward time (batch 1), and
images per second per step count at a batch size. Goal: overhead <= 1.05 on a GPU."""

from __future__ import annotations

import time

import torch

from common.device import resolve_device
from common.io import writable_dir
from common.summary import Summary
from profiling import hardware
from profiling.args import BenchLoopArgs
from profiling.errors import ProfilingError
from profiling.loop import (
    RePaintSettings,
    UNetDenoiser,
    count_unet_calls,
    generators_for,
    inpaint,
    make_scheduler,
)
from profiling.models import load_unet


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


def main(args: BenchLoopArgs) -> dict:
    """`t2drl bench loop`: load the model, run `bench_loop`; {'rows', 'model_id', 'device',
    'dtype', 'gpu_timed'}."""
    for name, values in (
        ("steps", args.steps),
        ("batch", [args.batch]),
        ("repeats", [args.repeats]),
    ):
        if not values or any(v < 1 for v in values):
            raise ProfilingError(f"--{name} must be positive, got {list(values)}.")
    dev = resolve_device(args.device)
    if dev.type == "cpu" and args.cpu_threads > 0:
        torch.set_num_threads(args.cpu_threads)
    workdir = writable_dir(args.workdir, "--workdir")
    unet, info = load_unet(args.model, workdir=workdir)
    denoiser = UNetDenoiser(unet, device=dev, dtype=hardware.resolve_dtype(args.dtype))
    rows = bench_loop(
        denoiser,
        info.sample_size,
        info.in_channels,
        list(args.steps),
        batch=args.batch,
        repeats=args.repeats,
    )
    return {
        "rows": rows,
        "model_id": info.model_id,
        "device": str(dev),
        "dtype": args.dtype,
        "gpu_timed": denoiser.gpu_timed,
    }


def summary(result: dict) -> Summary:
    """One row per (N, batch); the overhead is shown at batch 1, where its goal applies."""
    timer = "CUDA events" if result["gpu_timed"] else "wall clock around each forward"
    title = (
        f"loop overhead: {result['model_id']} on {result['device']} ({result['dtype']}); "
        f"UNet time = {timer}"
    )
    rows = [
        {
            "N": str(r["steps_N"]),
            "batch": str(r["batch_size"]),
            "UNet calls": str(r["unet_calls"]),
            "wall s": f"{r['wall_s']:.3f}",
            "UNet s": f"{r['unet_s']:.3f}",
            "overhead (goal <= 1.05)": f"{r['overhead']:.3f}" if r["batch_size"] == 1 else "",
            "img/s": f"{r['img_per_s']:.3g}",
        }
        for r in result["rows"]
    ]
    return Summary().table(title, rows)
