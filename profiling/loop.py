"""The RePaint inpainting loop, owned here (diffusers' RePaintPipeline is frozen as deprecated).

It does exactly what `RePaintPipeline.__call__` does (a test checks equality), with four
differences that matter for profiling:
- the sample stays fp32; only the UNet input/output is cast when the UNet runs in fp16/bf16;
- the timestep is passed as a (B,) tensor on the device (no per-call tensor, no recompiles);
- a *list* of generators (one per image) drives every random draw per image, so an image's
  noise does not depend on which other images share its batch (the pipeline uses
  ``generator[0]`` for the whole batch after the initial noise); a single generator behaves
  exactly like the pipeline;
- `on_step(n, t, sample, pred_original_sample)` is called after every reverse (downward) step,
  n = 1, 2, ... = UNet calls so far, which is how the trajectory protocol measures;
- `stop_after=n` ends the run after n reverse steps (a trajectory request served with n steps:
  the same draws as the first n steps of the full run; closed-loop validation replays these);
- `RePaintSettings.start_at = t_T` starts the chain part-way down the N-step schedule, from pure
  noise at respaced index t_T - 1 (RePaint's `get_schedule_jump(t_T, ...)`, the start protocol;
  `start_timesteps`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from diffusers import RePaintScheduler
from diffusers.utils.torch_utils import randn_tensor

from profiling.hardware import cpu_clock

Generator = torch.Generator | list[torch.Generator]
StepCallback = Callable[[int, int, torch.Tensor, torch.Tensor], None]


@dataclass(frozen=True)
class RePaintSettings:
    """One RePaint schedule (RePaint paper, Alg. 1 with resampling)."""

    num_inference_steps: int
    """N: the number of downward steps of the schedule (timestep spacing 1000 // N)."""
    jump_length: int = 10
    """j: steps jumped back up before going down again."""
    jump_n_sample: int = 1
    """r: resampling repeats per jump point (1 = plain DDPM/DDIM, no resampling)."""
    eta: float = 1.0
    """Noise weight of a step: 1 = DDPM (RePaint's own code), 0 = DDIM."""
    start_at: int | None = None
    """t_T: start from pure noise at respaced index t_T - 1 of the N-step schedule and run down
    to 0 (RePaint's t_T; 1 <= t_T <= N); None = N, the whole schedule."""

    def __post_init__(self) -> None:
        if self.start_at is not None and not 1 <= self.start_at <= self.num_inference_steps:
            raise ValueError(
                f"start_at = {self.start_at} is outside 1..N = {self.num_inference_steps}."
            )

    @property
    def reverse_steps(self) -> int:
        """Downward steps of one run (t_T, else N): what `count_unet_calls` counts."""
        return self.num_inference_steps if self.start_at is None else self.start_at


def start_timesteps(
    t_start: int,
    num_inference_steps: int,
    jump_length: int = 10,
    jump_n_sample: int = 1,
    num_train_timesteps: int = 1000,
) -> list[int]:
    """The RePaint jump schedule that starts at respaced index `t_start` - 1, in training
    timesteps (respaced index times num_train_timesteps // N).

    RePaint's `get_schedule_jump(t_T, ...)` (jump points j in range(0, t_T - j_len, j_len),
    each revisited jump_n_sample - 1 times) on diffusers' spacing: with t_start = N it is
    exactly what `RePaintScheduler.set_timesteps(N, jump_length, jump_n_sample)` builds."""
    jumps = {j: jump_n_sample - 1 for j in range(0, t_start - jump_length, jump_length)}
    t, out = t_start, []
    while t >= 1:
        t -= 1
        out.append(t)
        if jumps.get(t, 0) > 0:
            jumps[t] -= 1
            for _ in range(jump_length):
                t += 1
                out.append(t)
    stride = num_train_timesteps // min(num_inference_steps, num_train_timesteps)
    return [v * stride for v in out]


def count_unet_calls(
    n_steps: int, jump_length: int, jump_n_sample: int, num_train_timesteps: int = 1000
) -> int:
    """UNet calls of one RePaint run (only downward steps call the UNet)."""
    n = min(n_steps, num_train_timesteps)
    return n + (jump_n_sample - 1) * jump_length * len(range(0, n - jump_length, jump_length))


@dataclass(frozen=True)
class UNetTimes:
    """The UNet calls timed since the last drain (`UNetDenoiser.drain`), one entry per call."""

    call_s: tuple[float, ...]
    """Per-call UNet time in s: CUDA events on a GPU, wall clock (`perf_counter`) on CPU."""
    cpu_s: tuple[float, ...]
    """Per-call CPU time in s (`profiling.hardware.cpu_clock`: the thread's with one torch
    thread); on a GPU the host's share (launches), not the GPU's work."""

    @property
    def total_s(self) -> float:
        return sum(self.call_s)

    @property
    def total_cpu_s(self) -> float:
        return sum(self.cpu_s)


class UNetCalls:
    """The UNet calls of one run so far (`UNetDenoiser.drain` after drain) and their columns."""

    def __init__(self):
        self.call_s: list[float] = []
        self.cpu_s: list[float] = []

    def add(self, times: UNetTimes) -> None:
        self.call_s += times.call_s
        self.cpu_s += times.cpu_s

    def sums(self) -> dict:
        """`unet_time_s`, `unet_cpu_s`: summed over the calls so far."""
        return {"unet_time_s": sum(self.call_s), "unet_cpu_s": sum(self.cpu_s)}

    def per_call(self, *, gpu_timed: bool) -> dict:
        """The run's per-call statistics: lower envelope (minimum), median, CUDA-event mean."""
        c = self.call_s
        return {
            "unet_call_min_s": min(c) if c else None,
            "unet_call_median_s": float(np.median(c)) if c else None,
            "unet_gpu_ms_per_call": 1000.0 * float(np.mean(c)) if c and gpu_timed else None,
        }


class UNetDenoiser:
    """Calls a UNet2DModel on an fp32 sample: casts to the UNet dtype and back, optional
    channels_last and torch.compile, and times every call (CUDA events on a GPU, wall clock on
    CPU; CPU time beside it on both)."""

    def __init__(
        self,
        unet,
        *,
        device: torch.device,
        dtype: torch.dtype = torch.float32,
        channels_last: bool = False,
        compile: bool = False,
    ):
        self.device, self.dtype, self.channels_last = torch.device(device), dtype, channels_last
        unet = (
            unet.to(self.device)
            if dtype == torch.float32
            else unet.to(device=self.device, dtype=dtype)
        )
        if channels_last:
            unet = unet.to(memory_format=torch.channels_last)
        self.unet = unet
        self.forward = torch.compile(unet) if compile else unet
        self.config = unet.config
        self._events: list[tuple] = []
        self._wall_s: list[float] = []
        self._cpu_s: list[float] = []
        self._cpu = cpu_clock()

    def reset_timers(self) -> None:
        self._events.clear()
        self._wall_s.clear()
        self._cpu_s.clear()
        self._cpu = cpu_clock()  # torch's thread count may have changed since construction

    def __call__(self, sample: torch.Tensor, t_batch: torch.Tensor) -> torch.Tensor:
        x = sample.to(self.dtype)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        c0 = self._cpu()
        if self.device.type == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            out = self.forward(x, t_batch).sample
            end.record()
            self._events.append((start, end))
        else:
            t0 = time.perf_counter()
            out = self.forward(x, t_batch).sample
            self._wall_s.append(time.perf_counter() - t0)
        self._cpu_s.append(self._cpu() - c0)
        return out.float()

    def drain(self) -> UNetTimes:
        """The calls since the last drain or reset (synchronises on a GPU), then a reset."""
        times = UNetTimes(tuple(self.unet_times_s()), tuple(self._cpu_s))
        self.reset_timers()
        return times

    def drain_s(self) -> float:
        """Summed UNet time (s) of the calls since the last drain; synchronises on a GPU."""
        return self.drain().total_s

    def unet_times_s(self) -> list[float]:
        """Per-call UNet time in seconds since the last reset (synchronises on a GPU)."""
        if self._events:
            torch.cuda.synchronize(self.device)
            return [s.elapsed_time(e) / 1000.0 for s, e in self._events]
        return list(self._wall_s)

    @property
    def gpu_timed(self) -> bool:
        return self.device.type == "cuda"


def make_scheduler(num_train_timesteps: int = 1000) -> RePaintScheduler:
    """RePaint's scheduler with DDPM's linear betas (what the google/ddpm-* checkpoints were trained with)."""
    return RePaintScheduler(num_train_timesteps=num_train_timesteps)


def generators_for(seeds: list[int], device: torch.device | str = "cpu") -> list[torch.Generator]:
    """One generator per image; CPU generators give the same numbers on every device."""
    return [torch.Generator(device="cpu").manual_seed(int(s)) for s in seeds]


def inpaint(
    denoiser: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    scheduler: RePaintScheduler,
    original_image: torch.Tensor,
    mask: torch.Tensor,
    settings: RePaintSettings,
    generator: Generator,
    *,
    on_step: StepCallback | None = None,
    stop_after: int | None = None,
) -> torch.Tensor:
    """Inpaint `original_image` ((B,C,H,W) in [-1, 1]) where `mask` ((B,1,H,W)) is 0.

    Returns the final fp32 sample in [-1, 1] (not clamped), or with `stop_after = n` the sample
    after n reverse steps (n = 0: the initial noise). Every random draw comes from `generator`
    (one per image when a list)."""
    device = original_image.device
    original_image = original_image.float()
    mask = mask.to(device=device, dtype=torch.float32)
    batch = original_image.shape[0]
    if isinstance(generator, list) and len(generator) != batch:
        raise ValueError(f"got {len(generator)} generators for a batch of {batch} images.")
    # Noise is drawn on the generator's device (CPU) and moved: identical numbers on every device.
    sample = randn_tensor(original_image.shape, generator=generator, dtype=torch.float32).to(device)
    scheduler.set_timesteps(
        settings.num_inference_steps, settings.jump_length, settings.jump_n_sample, device
    )
    if settings.start_at is not None:  # same spacing (step, undo_step), later start
        scheduler.timesteps = torch.tensor(
            start_timesteps(
                settings.start_at,
                scheduler.num_inference_steps,
                settings.jump_length,
                settings.jump_n_sample,
                scheduler.config.num_train_timesteps,
            ),
            dtype=torch.long,
            device=device,
        )
    scheduler.eta = settings.eta
    t_last = int(scheduler.timesteps[0]) + 1
    t_batch = torch.empty(batch, dtype=torch.long, device=device)
    n = 0
    if stop_after == 0:
        return sample
    for t in scheduler.timesteps.tolist():
        if t < t_last:
            model_output = denoiser(sample, t_batch.fill_(t))
            out = scheduler.step(model_output, t, sample, original_image, mask, generator)
            sample = out.prev_sample
            n += 1
            if on_step is not None:
                on_step(n, t, sample, out.pred_original_sample)
            if n == stop_after:
                return sample
        else:
            sample = scheduler.undo_step(sample, t_last, generator)
        t_last = t
    return sample
