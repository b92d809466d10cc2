"""Real generation: load the model behind a request type and replay one request with
profiling's own code (`profiling.sweep.measure_request`: the RePaint loop, the stopwatch and
the metrics of `profile-models`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fitted_models.reader import FittedModel, FittedModels
from validation.args import ValidateArgs, ValidateError
from validation.fits import fit_context


@dataclass
class ReplayModel:
    """What replaying one request type needs: the loaded model and the fit's settings."""

    model_id: str
    spec: str
    info: Any  # profiling.models.ModelInfo
    denoiser: Any  # profiling.loop.UNetDenoiser
    jump_length: int
    jump_n_sample: int
    eta: float
    n_fit: int | None
    mask_family: str
    pool: list[tuple[str, np.ndarray]]
    """Held-out images: the model's own-domain source minus every image the fit measured."""


def held_out_images(spec: str, info):
    """(image_id, image) of the model's own-domain image source, in source order."""
    from profiling.images import image_source
    from profiling.sweep import images_for

    # Synthetic images of another seed than profiling's (0); a zoo domain's whole held-out set.
    source = image_source(images_for(spec, "auto"), count=64, seed=1)
    return source.images(info.sample_size, info.in_channels)


def load_replay_model(
    fits: FittedModels, model: FittedModel, args: ValidateArgs, table, workdir: Path
):
    import torch

    from common.device import resolve_device
    from profiling.errors import ProfilingError
    from profiling.hardware import resolve_dtype
    from profiling.loop import UNetDenoiser
    from profiling.masks import MASK_KINDS
    from profiling.models import load_unet
    from profiling.sweep import images_for

    ctx = fit_context(fits, model, args, table)
    if ctx["mask"] not in MASK_KINDS:
        raise ValidateError(f"--mask must be one of {', '.join(MASK_KINDS)}, got '{ctx['mask']}'.")
    settings = model.settings
    try:
        unet, info = load_unet(model.checkpoint, workdir=workdir)
        device = resolve_device(args.device)
        dtype = resolve_dtype(settings.get("dtype", "fp32"))
    except ProfilingError as exc:
        raise ValidateError(f"model '{model.id}': {exc}") from None
    pool = [(i, img) for i, img in held_out_images(model.checkpoint, info) if i not in ctx["seen"]]
    if not pool:
        source = images_for(model.checkpoint, "auto")
        raise ValidateError(
            f"model '{model.id}' has no held-out image left: the fit measured all of '{source}'."
        )
    denoiser = UNetDenoiser(unet, device=torch.device(device), dtype=dtype)
    return ReplayModel(
        model_id=model.id,
        spec=model.checkpoint,
        info=info,
        denoiser=denoiser,
        jump_length=int(settings.get("jump_length", 10)),
        jump_n_sample=int(settings.get("jump_n_sample", 1)),
        eta=float(settings.get("eta", 1.0)),
        n_fit=ctx["n_fit"],
        mask_family=ctx["mask"],
        pool=pool,
    )


def warm_up(model: ReplayModel) -> None:
    """One short untimed generation per model (profile-models does the same)."""
    from profiling.loop import RePaintSettings
    from profiling.masks import make_mask
    from profiling.sweep import measure_request

    image = model.pool[0][1]
    mask = make_mask(model.mask_family, model.info.sample_size, 0)
    measure_request(model.denoiser, image, mask, RePaintSettings(20, model.jump_length), 0)


def schedule_of(n: int, n_fit: int | None, protocol: str) -> tuple[int, int | None]:
    """(schedule length, reverse steps after which to stop; None = the whole schedule) of a
    request with n steps under the fit's step protocol (the module doc of closed_loop)."""
    if protocol == "trajectory":
        return max(n_fit or n, n, 1), n  # n > N: a full n-step run
    return max(n, 1), (0 if n == 0 else None)


def replay_request(model: ReplayModel, req: dict, protocol: str) -> tuple[dict, Any]:
    """Generate one request with its n steps; return (measured columns, delivered image)."""
    from profiling.images import stable_seed
    from profiling.loop import RePaintSettings
    from profiling.masks import make_mask
    from profiling.sweep import measure_request

    n = int(req["n"])
    key = req["key"]
    image_id, image = model.pool[stable_seed("image", key) % len(model.pool)]
    mask_seed = stable_seed("mask", key)
    noise_seed = stable_seed("noise", key)
    mask = make_mask(model.mask_family, model.info.sample_size, mask_seed)
    schedule, stop_after = schedule_of(n, model.n_fit, protocol)
    settings = RePaintSettings(schedule, model.jump_length, model.jump_n_sample, model.eta)
    m = measure_request(model.denoiser, image, mask, settings, noise_seed, stop_after=stop_after)
    cols = {
        "checkpoint": model.spec,
        "image_id": image_id,
        "mask_id": f"{model.mask_family}-s{mask_seed}",
        "noise_seed": noise_seed,
        "schedule_N": schedule,
        "unet_calls": m.unet_calls,
        "meas_delay_s": m.latency_s,
        "unet_time_s": m.unet_time_s,
        **{k: m.metrics[k] for k in ("tv_l1", "tv_l1_pred", "tv_l2", "tv_l2_pred")},
        **{k: m.metrics[k] for k in ("psnr_hole_db_pred", "ssim_hole_pred")},
    }
    return cols, m


def delivered_image(m, quality_column: str):
    """The image the request delivers: the predicted clean image or the sample x_t, whichever
    the fit's quality column measured."""
    return m.pred01 if quality_column.endswith("_pred") else m.sample01
