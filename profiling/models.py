"""Loading diffusers DDPM UNets (`UNet2DModel`) from a local folder or a Hugging Face hub id.

Rules (see docs/profiling.md):
- a spec that exists on disk is a local folder; a spec that *looks* like a path (starts with
  ``/``, ``.``, ``~``, or has more than one ``/``) but does not exist is an error, never a hub id;
- ``builtin:tiny`` is a small random UNet written with ``save_pretrained`` and then loaded
  through the same path as any other folder (for CPU smoke runs; its images are not faces);
- anything else is a hub id ``owner/name``; with no network, or with ``HF_HUB_OFFLINE=1`` and
  no cached copy, the error says how to run offline.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from common.io import file_digest
from profiling.errors import ProfilingError

WEIGHT_SUFFIXES = (".safetensors", ".bin")
BUILTIN_TINY = "builtin:tiny"
ZOO_PREFIX = "zoo:"
"""``zoo:<domain>`` names a model of the bundled zoo (`profiling.zoo`)."""


@dataclass(frozen=True)
class ModelInfo:
    """Provenance of a loaded checkpoint."""

    model_id: str
    """Short id used in tables and fitted-models files (folder or repo name)."""
    checkpoint: str
    """The spec as given: a folder path or a hub id."""
    folder: str
    """The folder the weights were read from (a hub cache snapshot for hub ids)."""
    checkpoint_sha256: str
    """sha256 over the weight files (name + bytes, in name order)."""
    storage_size_bytes: int
    """Bytes of the weight files: c_m of the paper's eq. (11d)."""
    sample_size: int
    in_channels: int
    num_train_timesteps: int


def looks_like_path(spec: str) -> bool:
    """True for specs that can only be meant as a path (never sent to the hub)."""
    return (
        spec.startswith(("/", ".", "~")) or spec.count("/") > 1 or os.sep in spec.replace("/", "")
    )


def tiny_unet_config(sample_size: int = 32) -> dict:
    """A ~1.1 M-parameter UNet that runs at tens of ms per call on a laptop CPU."""
    return dict(
        sample_size=sample_size,
        in_channels=3,
        out_channels=3,
        layers_per_block=1,
        block_out_channels=(32, 64),
        down_block_types=("DownBlock2D", "AttnDownBlock2D"),
        up_block_types=("AttnUpBlock2D", "UpBlock2D"),
        norm_num_groups=8,
    )


def write_tiny_unet(folder: str | os.PathLike, *, seed: int = 0, sample_size: int = 32) -> Path:
    """Write a seeded random tiny UNet with `save_pretrained` (idempotent) and return the folder."""
    import torch
    from diffusers import UNet2DModel

    folder = Path(folder)
    if (folder / "config.json").exists():
        return folder
    torch.manual_seed(seed)
    UNet2DModel(**tiny_unet_config(sample_size)).save_pretrained(folder)
    return folder


def weight_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in WEIGHT_SUFFIXES)


def checkpoint_digest(files: list[Path]) -> tuple[str, int]:
    """(sha256 hex, total bytes) over `files`, in the given order."""
    digest, total = hashlib.sha256(), 0
    for path in files:
        digest.update(path.name.encode())
        file_digest(path, digest)
        total += path.stat().st_size
    return digest.hexdigest(), total


def _unet_folder(folder: Path, spec: str) -> Path:
    """The folder holding the UNet's config.json (the folder itself or its `unet/` subfolder)."""
    for candidate in (folder, folder / "unet"):
        if (candidate / "config.json").is_file():
            return candidate
    raise ProfilingError(
        f"checkpoint '{spec}' has no config.json (expected a diffusers UNet2DModel folder)."
    )


def _check_class(folder: Path, spec: str) -> None:
    try:
        config = json.loads((folder / "config.json").read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ProfilingError(
            f"checkpoint '{spec}': config.json is not readable JSON ({exc})."
        ) from None
    name = config.get("_class_name") if isinstance(config, dict) else None
    if name != "UNet2DModel":
        raise ProfilingError(
            f"checkpoint '{spec}' is a {name or 'unknown model'}, not a diffusers UNet2DModel."
        )
    if not weight_files(folder):
        raise ProfilingError(
            f"checkpoint '{spec}' has no weight file (*.safetensors or *.bin) in {folder}."
        )


def _hub_snapshot(repo_id: str) -> Path:
    """The local snapshot folder of a hub repo (downloads config+weights unless offline)."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    offline = os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False")
    patterns = [
        "config.json",
        "diffusion_pytorch_model.safetensors",
        "unet/config.json",
        "unet/diffusion_pytorch_model.safetensors",
    ]
    hint = (
        "run offline with HF_HUB_OFFLINE=1 and a cached copy "
        "(huggingface-cli download on a connected machine), or pass a local folder written by save_pretrained"
    )
    try:
        return Path(snapshot_download(repo_id, allow_patterns=patterns, local_files_only=offline))
    except LocalEntryNotFoundError:
        raise ProfilingError(
            f"model '{repo_id}' is not in the local Hugging Face cache and the hub cannot be reached; {hint}."
        ) from None
    except Exception as exc:  # network errors, missing repos, auth
        raise ProfilingError(
            f"model '{repo_id}' could not be fetched from the hub ({type(exc).__name__}); {hint}."
        ) from None


def resolve_checkpoint(spec: str, *, workdir: str | os.PathLike = ".") -> Path:
    """Map a model spec to a local folder holding a UNet2DModel, or raise ProfilingError."""
    if spec == BUILTIN_TINY:
        return write_tiny_unet(Path(workdir) / "builtin-tiny-unet")
    if spec.startswith(ZOO_PREFIX):
        from profiling.zoo.api import check_domain, zoo_model_path

        domain = spec[len(ZOO_PREFIX) :]
        check_domain(domain)  # unknown, missing or damaged zoo files: one sentence, exit 2
        return zoo_model_path(domain)
    path = Path(os.path.expanduser(spec))
    if path.exists():
        if not path.is_dir():
            raise ProfilingError(
                f"checkpoint '{spec}' is a file; pass the folder written by save_pretrained."
            )
        return _unet_folder(path, spec)
    if looks_like_path(spec):
        raise ProfilingError(f"checkpoint folder '{spec}' does not exist.")
    return _unet_folder(_hub_snapshot(spec), spec)


def load_unet(spec: str, *, workdir: str | os.PathLike = "."):
    """Load a UNet2DModel (fp32, eval mode, on CPU) and its provenance; raise ProfilingError on bad input."""
    from diffusers import UNet2DModel

    folder = _unet_folder(resolve_checkpoint(spec, workdir=workdir), spec)
    _check_class(folder, spec)
    try:
        unet = UNet2DModel.from_pretrained(folder, local_files_only=True)
    except Exception as exc:  # corrupt weights, shape mismatches
        raise ProfilingError(
            f"checkpoint '{spec}' could not be loaded as a UNet2DModel ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})."
        ) from None
    sha, size = checkpoint_digest(weight_files(folder))
    if spec == BUILTIN_TINY:
        model_id = "tiny"
    elif spec.startswith(ZOO_PREFIX):
        model_id = f"zoo-{spec[len(ZOO_PREFIX) :]}"
    else:
        model_id = spec.rstrip("/").split("/")[-1] or spec
    info = ModelInfo(
        model_id=model_id,
        checkpoint=spec,
        folder=str(folder),
        checkpoint_sha256=sha,
        storage_size_bytes=size,
        sample_size=_as_int(unet.config.sample_size),
        in_channels=int(unet.config.in_channels),
        num_train_timesteps=1000,
    )
    return unet.eval().requires_grad_(False), info


def _as_int(sample_size) -> int:
    if isinstance(sample_size, list | tuple):
        if len(set(sample_size)) != 1:
            raise ProfilingError(f"non-square sample_size {sample_size} is not supported.")
        return int(sample_size[0])
    return int(sample_size)
