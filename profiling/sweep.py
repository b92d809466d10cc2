"""The profiling sweep: cells (image x mask x seed x step count x protocol), measured, written.

`run_profile(ProfileArgs(...))` measures what `profile-models` / `t2drl profile` ask for
(`profiling.campaign.main`, which then fits the table). Under
`accelerate launch` or `torchrun`, cells are split between processes with
`PartialState().split_between_processes`; every process writes its own part files and the
main process gathers them into one `measurements.parquet`.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from common.device import resolve_device
from common.provenance import device_name, load_average, versions
from profiling import hardware, metrics, table
from profiling.args import ProfileArgs, check_steps, validate
from profiling.cells import build_cells, expand_models, images_for, shortened, unet_calls
from profiling.errors import ProfilingError
from profiling.images import image_source, stable_seed
from profiling.loop import (
    RePaintSettings,
    UNetCalls,
    UNetDenoiser,
    generators_for,
    inpaint,
    make_scheduler,
)
from profiling.masks import check_mask, mask_set
from profiling.models import load_unet


def _versions() -> dict:
    """The measurement table's ``<package>_version`` columns (torch's names its build)."""
    found = versions("torch", "diffusers", "piq", python=False, runtime=True)
    return {f"{name}_version": v for name, v in found.items()}


class Campaign:
    """Everything shared by the cells of one model in one process."""

    def __init__(self, args: ProfileArgs, device: torch.device, rank: int, run_id: str):
        self.args, self.device, self.rank, self.run_id = args, device, rank, run_id
        self.dtype = hardware.resolve_dtype(args.dtype)
        self.nvml = hardware.Nvml(device)
        self.common = {
            "campaign": args.campaign or args.out.resolve().name,
            "run_id": run_id,
            "rank": rank,
            "device": str(device),
            "device_name": device_name(device, self.nvml.gpu_name()),
            "driver_version": self.nvml.driver_version(),
            "dtype": args.dtype,
            "channels_last": args.channels_last,
            "compiled": args.compile,
            "cpu_threads": torch.get_num_threads(),
            "jump_length": args.jump_length,
            "jump_n_sample": args.jump_n_sample,
            "eta": args.eta,
            "tv_norm": ",".join(metrics.TV_NORMS),
            "image_source": args.images,
            **_versions(),
        }

    def load(self, spec: str):
        unet, info = load_unet(spec, workdir=self.args.out)
        check_steps(self.args, info)
        size, channels = info.sample_size, info.in_channels
        source = images_for(spec, self.args.images)
        images = list(image_source(source, count=self.args.num_images).images(size, channels))
        for image_id, img in images:
            if img.shape != (channels, size, size):
                raise ProfilingError(
                    f"image '{image_id}' has shape {img.shape}; model '{spec}' needs ({channels}, {size}, {size})."
                )
        masks = mask_set(self.args.masks, size, self.args.mask_seed)
        for mask_id, mask in masks:
            check_mask(mask, size, mask_id)
        denoiser = UNetDenoiser(
            unet,
            device=self.device,
            dtype=self.dtype,
            channels_last=self.args.channels_last,
            compile=self.args.compile,
        )
        model_cols = {
            "model_id": info.model_id,
            "checkpoint": info.checkpoint,
            "checkpoint_sha256": info.checkpoint_sha256,
            "storage_size_bytes": info.storage_size_bytes,
            "output_size_bits": channels * size * size * 8,
            "image_hwc": f"{size}x{size}x{channels}",
        }
        return denoiser, info, dict(images), dict(masks), model_cols


def _to_tensors(image: np.ndarray, mask: np.ndarray, batch: int, device: torch.device):
    img = torch.from_numpy(image)[None].repeat(batch, 1, 1, 1).to(device)
    msk = torch.from_numpy(mask)[None].repeat(batch, 1, 1, 1).to(device)
    return img, msk


def run_cell(
    camp: Campaign,
    denoiser: UNetDenoiser,
    cell: dict,
    images: dict,
    masks: dict,
    model_cols: dict,
    on_call=None,
    warmup: bool = False,
) -> list[dict]:
    """Generate one cell and return its rows (not yet written)."""
    args, device = camp.args, camp.device
    settings = RePaintSettings(
        cell["N"], args.jump_length, args.jump_n_sample, args.eta, start_at=cell.get("t_T")
    )
    image_ids = cell["image"].split("+")
    batch = cell["batch"]
    picked = [image_ids[i % len(image_ids)] for i in range(batch)]
    ref01 = torch.from_numpy(np.stack([images[i] for i in picked])).to(device)
    mask = torch.from_numpy(np.stack([masks[cell["mask"]]] * batch)).to(device)
    seeds = [stable_seed(cell["seed"], image_id) for image_id in picked]
    scheduler = make_scheduler()
    rows: list[dict] = []
    ref_tv = metrics.reference_tv(ref01)
    hole_fraction = float(1.0 - mask[0].mean())
    calls_per_run = unet_calls(cell, args)
    base = {
        **camp.common,
        **model_cols,
        "protocol": cell["protocol"],
        "record": cell["record"],
        "is_warmup": warmup,
        "cell_id": cell["id"],
        "image_id": cell["image"] if batch > 1 else picked[0],
        "mask_id": cell["mask"],
        "hole_fraction": hole_fraction,
        "seed": cell["seed"],
        "steps_N": cell["N"],
        "batch_size": batch,
        **{name: values[0] if batch == 1 else None for name, values in ref_tv.items()},
    }
    watch = hardware.Stopwatch(device)
    calls = UNetCalls()
    last = {}
    trajectory = cell["record"] == "step"

    def on_step(n: int, t: int, sample: torch.Tensor, pred: torch.Tensor) -> None:
        if on_call is not None:
            on_call(1)
        if not trajectory:
            last.update(t=t, sample=sample, pred=pred)
            return
        latency = watch.pause()
        calls.add(denoiser.drain())
        row = {
            **base,
            "step_n": n,
            "timestep_t": t,
            "unet_calls": n,
            "latency_s": latency,
            "latency_cpu_s": watch.elapsed_cpu_s,
            **calls.sums(),
        }
        row.update(metrics.image_metrics(sample, pred, ref01, mask)[0])
        rows.append(row)
        watch.resume()

    hardware.reset_peak_memory(device)
    energy0 = camp.nvml.energy_mj()
    denoiser.reset_timers()
    with torch.inference_mode():
        img, _ = ref01 * 2 - 1, None
        watch.start()
        final = inpaint(
            denoiser, scheduler, img, mask, settings, generators_for(seeds), on_step=on_step
        )
        final_host = metrics.to_unit_range(final).cpu()
        latency = watch.pause()
    calls.add(denoiser.drain())
    energy1 = camp.nvml.energy_mj()
    run_cols = {
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **calls.per_call(gpu_timed=denoiser.gpu_timed),
        "load_1min_after": load_average(),
        "peak_gpu_mem_bytes": hardware.peak_gpu_memory_bytes(device),
        "peak_rss_bytes": hardware.peak_rss_bytes(),
        "power_w": camp.nvml.power_w(),
        "run_energy_j": None
        if energy0 is None or energy1 is None
        else (energy1 - energy0) / 1000.0,
    }
    if trajectory:
        return [{**row, **run_cols} for row in rows]
    row = {
        **base,
        **run_cols,
        "step_n": settings.reverse_steps,
        "timestep_t": last.get("t"),
        "unet_calls": calls_per_run,
        "latency_s": latency,
        "latency_cpu_s": watch.elapsed_cpu_s,
        **calls.sums(),
    }
    if cell["record"] == "throughput":
        row["throughput_img_per_s"] = batch / latency
    else:
        row.update(
            metrics.image_metrics(final_host.to(device) * 2 - 1, last["pred"], ref01, mask)[0]
        )
    return [row]


@dataclass
class RequestMeasurement:
    """One request generated and measured at batch 1 (`measure_request`)."""

    latency_s: float
    """Wall time from the request (noise, schedule) to its sample, metrics excluded: a
    `latency_s` row of the table."""
    unet_time_s: float
    """Summed UNet forward time of the request."""
    unet_calls: int
    metrics: dict
    """`metrics.image_metrics` of the delivered sample and predicted clean image."""
    sample01: torch.Tensor
    """The sample x_t after the last step, (C, H, W) in [0, 1] (the finished image of a full run)."""
    pred01: torch.Tensor
    """The predicted clean image after the last step, (C, H, W) in [0, 1] (x_T when no step ran)."""
    latency_cpu_s: float | None = None
    """CPU time of the same span as `latency_s` (`profiling.hardware.cpu_clock`): a
    `latency_cpu_s` row of the table."""


def measure_request(
    denoiser: UNetDenoiser,
    image01: np.ndarray,
    mask: np.ndarray,
    settings: RePaintSettings,
    seed: int,
    *,
    stop_after: int | None = None,
) -> RequestMeasurement:
    """Generate one request at batch 1 and measure it as `run_cell` measures a latency row.

    `stop_after = n` times the trajectory protocol's request: the clock stops after the n-th
    reverse step, as it does for the row of step n (n = 0: no step, the initial noise is
    delivered); without it the clock stops when the finished sample is on the host (a
    respaced row). The noise comes from a generator seeded with `seed`."""
    device = denoiser.device
    ref01 = torch.from_numpy(np.asarray(image01, dtype=np.float32))[None].to(device)
    mask_t = torch.from_numpy(np.asarray(mask, dtype=np.float32))[None].to(device)
    watch = hardware.Stopwatch(device)
    last: dict = {"n": 0, "stopped": False}

    def on_step(n: int, t: int, sample: torch.Tensor, pred: torch.Tensor) -> None:
        last.update(n=n, pred=pred)
        if n == stop_after:
            watch.pause()
            last["stopped"] = True

    denoiser.reset_timers()
    with torch.inference_mode():
        watch.start()
        final = inpaint(
            denoiser,
            make_scheduler(),
            ref01 * 2 - 1,
            mask_t,
            settings,
            generators_for([seed]),
            on_step=on_step,
            stop_after=stop_after,
        )
        if not last["stopped"]:  # a complete run (or no step): timed to the sample on the host
            metrics.to_unit_range(final).cpu()
            watch.pause()
        pred = last.get("pred", final)
        row = metrics.image_metrics(final, pred, ref01, mask_t)[0]
    return RequestMeasurement(
        latency_s=watch.elapsed_s,
        unet_time_s=denoiser.drain_s(),
        unet_calls=int(last["n"]),
        metrics=row,
        sample01=metrics.to_unit_range(final)[0].cpu(),
        pred01=metrics.to_unit_range(pred)[0].cpu(),
        latency_cpu_s=watch.elapsed_cpu_s,
    )


def run_profile(args: ProfileArgs) -> dict:
    """Measure every missing cell; return {'table': path or None, 'done': n, 'skipped': n, 'rank': r}."""
    args.models = expand_models(list(args.models))
    validate(args)
    state = _process_state(args)
    device = (
        state.device
        if state is not None and resolve_device(args.device).type == "cuda"
        else resolve_device(args.device)
    )
    rank = state.process_index if state is not None else 0
    if device.type == "cpu" and args.cpu_threads > 0:
        torch.set_num_threads(args.cpu_threads)
    args.out = Path(args.out)
    table.prepare_output(args.out)
    warnings = table.set_aside_unreadable_parts(args.out) if rank == 0 else []
    if state is not None:
        state.wait_for_everyone()
    run_id = uuid.uuid4().hex[:12]
    camp = Campaign(args, device, rank, run_id)
    done_total = skipped_total = 0
    for spec in args.models:
        if state is not None:
            with state.main_process_first():
                loaded = camp.load(spec)
        else:
            loaded = camp.load(spec)
        denoiser, info, images, masks, model_cols = loaded
        cells = build_cells(args, info, list(images), list(masks))
        finished = table.done_cells(args.out)
        todo = [c for c in cells if c["id"] not in finished]
        skipped_total += len(cells) - len(todo)
        if state is not None:
            state.wait_for_everyone()  # everyone lists finished cells before anyone writes
            with state.split_between_processes(todo) as mine:
                todo = list(mine)
        camp.common["load_1min_before"] = load_average()
        if todo and args.warmup > 0:
            _warm_up(camp, denoiser, todo[0], images, masks, model_cols, spec)
        done_total += _run_cells(camp, denoiser, todo, images, masks, model_cols, info)
    if state is not None:
        state.wait_for_everyone()
    path = table.consolidate(args.out) if rank == 0 else None
    if state is not None:
        state.wait_for_everyone()
    return {
        "table": path,
        "done": done_total,
        "skipped": skipped_total,
        "warnings": warnings,
        "rank": rank,
        "run_id": run_id,
        "args": asdict(args),
    }


def _warm_up(camp, denoiser, first_cell, images, masks, model_cols, spec) -> None:
    cell = {
        **shortened(first_cell, 20),
        "record": "final",
        "batch": 1,
        "image": first_cell["image"].split("+")[0],
    }
    rows = []
    for i in range(camp.args.warmup):
        cell["id"] = table.cell_id({"warmup": spec, "run": camp.run_id, "rank": camp.rank, "i": i})
        rows += run_cell(camp, denoiser, cell, images, masks, model_cols, warmup=True)
    table.write_cell(camp.args.out, cell["id"], rows)


def _run_cells(camp, denoiser, todo, images, masks, model_cols, info) -> int:
    from common.progress import progress_bar

    args = camp.args
    total_calls = sum(unet_calls(c, args) for c in todo)
    bar = progress_bar(
        total=total_calls,
        unit="call",
        desc=f"{info.model_id} [rank {camp.rank}]",
        enabled=args.progress and bool(todo),
        dynamic_ncols=True,
    )
    try:
        for cell in todo:
            if cell["record"] == "throughput":
                warm = shortened(cell, 5)
                run_cell(
                    camp, denoiser, warm, images, masks, model_cols, warmup=True
                )  # batch-B kernels warm, not recorded
            rows = run_cell(camp, denoiser, cell, images, masks, model_cols, on_call=bar.update)
            table.write_cell(args.out, cell["id"], rows)
    finally:
        bar.close()
    return len(todo)


def _process_state(args: ProfileArgs):
    """PartialState when launched with several processes (accelerate launch / torchrun), else None."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    from accelerate import PartialState

    return PartialState(cpu=resolve_device(args.device).type == "cpu")
