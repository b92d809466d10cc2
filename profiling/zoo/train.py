"""Train the zoo: one small DDPM noise-prediction UNet per domain (Ho et al. 2020, Alg. 1).

Reproducible from the seed: one `torch.Generator` per domain draws every batch index, flip,
timestep and noise; the CPU runs one thread. Resumable: a checkpoint (weights, EMA, optimiser,
generator state, losses) is written every `checkpoint_every` iterations under
``<out>/checkpoints/<domain>.pt`` and picked up by the next run with the same arguments; it is
read with `weights_only=True` only (`common.torch_files`), and one that is damaged or would run
code stops the run, in one sentence, before any domain trains.

Output layout (``--out DIR``; the shipped zoo is ``profiling/zoo``)::

    DIR/models/<domain>/config.json, diffusion_pytorch_model.safetensors   (EMA weights, fp16)
    DIR/heldout/<domain>.npz        uint8 (64, 32, 32, 3), never trained on
    DIR/manifest.json               sha256 and size of every shipped file, split, training record
    DIR/loss-<domain>.png, DIR/checkpoints/   (training artefacts, not shipped)
"""

from __future__ import annotations

import functools
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated

import numpy as np

from common.cli_types import CommaInts, CommaStrs, short
from common.io import atomic_write, write_json
from common.summary import Summary
from profiling.zoo.errors import ZooError

NUM_TRAIN_TIMESTEPS = 1000
"""T of the DDPM forward process (linear betas 1e-4..0.02, Ho et al. 2020, Sec. 4)."""
FLIP_DOMAINS = frozenset({"fashion", "faces", "textures"})
"""Domains trained with random horizontal flips (digits are not mirror-symmetric)."""


def zoo_unet_config(block_out_channels: tuple[int, ...] = (16, 32, 32)) -> dict:
    """The zoo's UNet2DModel config: 32x32, 3 channels in and out, one ResNet per level, no
    attention except in the 8x8 mid block (its training cost: docs/benchmarks.md)."""
    n = len(block_out_channels)
    return dict(
        sample_size=32,
        in_channels=3,
        out_channels=3,
        layers_per_block=1,
        block_out_channels=tuple(block_out_channels),
        down_block_types=("DownBlock2D",) * n,
        up_block_types=("UpBlock2D",) * n,
        norm_num_groups=8,
    )


@dataclass
class TrainZooArgs:
    """Arguments of `t2drl train-zoo` (also called in-process by the tests)."""

    domains: Annotated[CommaStrs, short("-d")] = ("digits", "fashion", "faces", "textures")
    """Domains to train, in order, e.g. `--domains faces,textures` (`profiling.zoo.data.LOADERS`)."""
    iterations: int = 1500
    """Optimiser steps per domain."""
    batch_size: int = 16
    """Images per step."""
    lr: float = 1e-3
    """Peak AdamW learning rate (linear warm-up over `warmup` steps, cosine decay to 10%)."""
    warmup: int = 50
    """Warm-up steps of the learning rate."""
    ema_decay: float = 0.995
    """Decay of the exponential moving average of the weights; the EMA weights are shipped."""
    seed: int = 0
    """Seeds the texture crops, the initial weights and every random draw of training."""
    out: str = "runs/zoo"
    """Output folder (``profiling/zoo`` rewrites the shipped zoo)."""
    device: str = "auto"
    """'auto' (CUDA if available, else CPU), 'cpu' or 'cuda[:i]'."""
    block_out_channels: CommaInts = (16, 32, 32)
    """Channels per UNet level (see `zoo_unet_config`)."""
    checkpoint_every: int = 100
    """Iterations between resumable checkpoints (0 = none)."""
    threads: int = 1
    """torch CPU threads (1 is reproducible and fastest on a shared 2-core machine)."""
    progress: bool = True
    """Show a tqdm progress bar."""


def _identity(args: dict) -> dict:
    """What a domain's checkpoint must match to be resumed (which other domains a run trains
    and whether it shows a progress bar do not change one domain's training)."""
    return {k: v for k, v in args.items() if k not in ("domains", "progress")}


CHECKPOINT_KEYS = ("args", "step", "unet", "ema", "opt", "gen", "losses", "wall_s")


def read_checkpoint(path: Path, device: str = "cpu") -> dict:
    """A domain's resume checkpoint (`weights_only` only), or `ZooError` in one sentence."""
    from common.torch_files import load_tensors

    state = load_tensors(path, ZooError, device)
    missing = [k for k in CHECKPOINT_KEYS if not isinstance(state, dict) or k not in state]
    if missing:
        raise ZooError(f"'{path}' is not a zoo training checkpoint (no '{missing[0]}' entry).")
    return state


def _lr_factor(step: int, args: TrainZooArgs) -> float:
    if step < args.warmup:
        return (step + 1) / args.warmup
    progress = (step - args.warmup) / max(1, args.iterations - args.warmup)
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def train_domain(
    domain: str,
    train_images: np.ndarray,
    args: TrainZooArgs,
    *,
    checkpoint: Path | None = None,
):
    """Train one UNet on uint8 (N, 32, 32, 3) images; return (ema_unet, losses, wall_s)."""
    import torch
    import torch.nn.functional as F
    from diffusers import DDPMScheduler, UNet2DModel

    from common.progress import progress_bar

    torch.set_num_threads(args.threads)
    from common.device import resolve_device

    device = resolve_device(args.device)
    torch.manual_seed(args.seed)
    unet = UNet2DModel(**zoo_unet_config(args.block_out_channels)).to(device)
    ema = UNet2DModel(**zoo_unet_config(args.block_out_channels)).to(device)
    ema.load_state_dict(unet.state_dict())
    ema.requires_grad_(False)
    scheduler = DDPMScheduler(num_train_timesteps=NUM_TRAIN_TIMESTEPS)
    alphas_cumprod = scheduler.alphas_cumprod.to(device)
    opt = torch.optim.AdamW(unet.parameters(), lr=args.lr, weight_decay=0.0)
    gen = torch.Generator(device="cpu").manual_seed(args.seed)
    data = torch.from_numpy(np.ascontiguousarray(train_images)).permute(0, 3, 1, 2)
    data = (data.float() / 127.5 - 1.0).to(device)
    losses: list[float] = []
    start, wall_before = 0, 0.0

    if checkpoint is not None and checkpoint.is_file():
        state = read_checkpoint(checkpoint, device)
        if _identity(state["args"]) == _identity(asdict(args)) and state["step"] <= args.iterations:
            unet.load_state_dict(state["unet"])
            ema.load_state_dict(state["ema"])
            opt.load_state_dict(state["opt"])
            gen.set_state(state["gen"])
            losses, start, wall_before = state["losses"], state["step"], state["wall_s"]

    flip = domain in FLIP_DOMAINS
    t0 = time.perf_counter()
    bar = progress_bar(
        range(start, args.iterations),
        desc=f"train {domain}",
        initial=start,
        total=args.iterations,
        enabled=args.progress,
        dynamic_ncols=True,
    )
    unet.train()
    for step in bar:
        idx = torch.randint(0, len(data), (args.batch_size,), generator=gen)
        x0 = data[idx.to(device)]
        if flip:
            mirror = torch.rand(args.batch_size, generator=gen) < 0.5
            x0 = torch.where(mirror.to(device)[:, None, None, None], x0.flip(-1), x0)
        t = torch.randint(0, NUM_TRAIN_TIMESTEPS, (args.batch_size,), generator=gen).to(device)
        noise = torch.randn(x0.shape, generator=gen).to(device)
        a = alphas_cumprod[t].view(-1, 1, 1, 1)
        noisy = a.sqrt() * x0 + (1 - a).sqrt() * noise
        loss = F.mse_loss(unet(noisy, t).sample, noise)
        for group in opt.param_groups:
            group["lr"] = args.lr * _lr_factor(step, args)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        opt.step()
        decay = min(args.ema_decay, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), unet.parameters(), strict=True):
                pe.lerp_(p, 1 - decay)
        losses.append(loss.item())
        if step % 20 == 0:
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}")
        done = step + 1
        if checkpoint is not None and args.checkpoint_every and done % args.checkpoint_every == 0:
            checkpoint.parent.mkdir(parents=True, exist_ok=True)
            state = {
                "args": asdict(args) | {"progress": None},
                "step": done,
                "unet": unet.state_dict(),
                "ema": ema.state_dict(),
                "opt": opt.state_dict(),
                "gen": gen.get_state(),
                "losses": losses,
                "wall_s": wall_before + time.perf_counter() - t0,
            }
            atomic_write(checkpoint, functools.partial(torch.save, state))
    bar.close()
    return ema.eval(), losses, wall_before + time.perf_counter() - t0


def plot_losses(losses: list[float], domain: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3), dpi=120)
    y = np.asarray(losses)
    ax.plot(y, lw=0.5, alpha=0.35, color="tab:blue", label="per step")
    if len(y) >= 50:
        ax.plot(
            np.arange(49, len(y)),
            np.convolve(y, np.ones(50) / 50, "valid"),
            color="tab:blue",
            label="mean of 50",
        )
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("noise-prediction MSE")
    ax.set_title(f"zoo: {domain}")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def save_domain(domain: str, unet, heldout: np.ndarray, out: Path) -> list[Path]:
    """Write the fp16 EMA UNet and the held-out set; return the shipped files."""
    import torch

    model_dir = out / "models" / domain
    model_dir.mkdir(parents=True, exist_ok=True)
    from diffusers import UNet2DModel

    half = UNet2DModel.from_config(unet.config).to(torch.float16)
    half.load_state_dict({k: v.to(torch.float16) for k, v in unet.state_dict().items()})
    half.save_pretrained(model_dir, safe_serialization=True)
    held_dir = out / "heldout"
    held_dir.mkdir(parents=True, exist_ok=True)
    held_path = held_dir / f"{domain}.npz"
    np.savez_compressed(held_path, images=heldout)
    return [model_dir / "config.json", model_dir / "diffusion_pytorch_model.safetensors", held_path]


def image_hashes(images: np.ndarray) -> np.ndarray:
    """One uint64 per uint8 image (the first 8 bytes of its sha256): lets a test prove that no
    held-out image is a training image without shipping the training data."""
    import hashlib

    return np.array(
        [int.from_bytes(hashlib.sha256(img.tobytes()).digest()[:8], "little") for img in images],
        dtype=np.uint64,
    )


def save_train_hashes(domain: str, train_images: np.ndarray, out: Path) -> Path:
    path = out / "heldout" / f"{domain}-train-hashes.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, hashes=np.unique(image_hashes(train_images)))
    return path


def train_zoo(args: TrainZooArgs, loaders: dict | None = None) -> dict:
    """Train every domain of `args.domains` and write the zoo to `args.out`; return the manifest.

    `loaders` maps a domain to loader(seed) -> (train, heldout, split) (default: the real data).
    """
    from profiling.zoo.api import MANIFEST, file_record
    from profiling.zoo.data import DATA_PACKAGES, LOADERS

    loaders = LOADERS if loaders is None else loaders
    unknown = [d for d in args.domains if d not in loaders]
    if unknown:
        raise ZooError(f"unknown zoo domain '{unknown[0]}' (choose from {', '.join(loaders)}).")
    if args.iterations < 1 or args.batch_size < 1:
        raise ZooError("--iterations and the batch size must be at least 1.")
    out = Path(args.out)
    for domain in args.domains:  # a damaged or hostile checkpoint stops the run before any work
        if (out / "checkpoints" / f"{domain}.pt").is_file():
            read_checkpoint(out / "checkpoints" / f"{domain}.pt")
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / MANIFEST
    manifest: dict = {}
    for domain in args.domains:
        train_images, heldout, split = loaders[domain](args.seed)
        unet, losses, wall_s = train_domain(
            domain, train_images, args, checkpoint=out / "checkpoints" / f"{domain}.pt"
        )
        files = save_domain(domain, unet, heldout, out)
        files.append(save_train_hashes(domain, train_images, out))
        plot_losses(losses, domain, out / f"loss-{domain}.png")
        manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
        manifest.setdefault("domains", {})
        manifest["domains"][domain] = {
            "data_package": DATA_PACKAGES.get(domain, "in-memory"),
            "n_train_images": int(len(train_images)),
            "n_heldout_images": int(len(heldout)),
            "split": split,
            "training": {
                **{
                    k: v for k, v in asdict(args).items() if k not in ("domains", "out", "progress")
                },
                "parameters": int(sum(p.numel() for p in unet.parameters())),
                "final_loss_mean_last_100": float(np.mean(losses[-100:])),
                "wall_s": round(wall_s, 1),
            },
            "files": {str(f.relative_to(out)): file_record(f) for f in files},
        }
        order = list(loaders) + sorted(set(manifest["domains"]) - set(loaders))
        manifest["domains"] = {d: manifest["domains"][d] for d in order if d in manifest["domains"]}
        write_json(manifest_path, manifest, indent=1)
    return manifest


def summary(args: TrainZooArgs, manifest: dict) -> Summary:
    """Per trained domain: parameters, final loss and wall time; then where the zoo went."""
    rows = []
    for d in args.domains:
        rec = manifest["domains"][d]["training"]
        rows.append(
            {
                "domain": d,
                "parameters": str(rec["parameters"]),
                "final loss (mean of last 100)": f"{rec['final_loss_mean_last_100']:.4f}",
                "wall s": f"{rec['wall_s']:.0f}",
            }
        )
    return (
        Summary()
        .table("zoo training", rows)
        .line(f"zoo written to {args.out} (manifest.json, models/, heldout/, loss-*.png)")
    )
