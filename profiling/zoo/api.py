"""The zoo's small API: which domains ship, where their models are, their held-out images, and
a check of every shipped file against the manifest (size and sha256).

The zoo needs nothing beyond the repository and the core dependencies: models are diffusers
``save_pretrained`` folders (fp16 safetensors), held-out sets are uint8 ``.npz`` files.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common.io import sha256_file, writable_dir
from common.summary import Summary
from profiling.zoo.errors import ZooError

ZOO_DIR = Path(__file__).resolve().parent
"""The shipped zoo (``profiling/zoo``)."""
MANIFEST = "manifest.json"


def file_record(path: Path) -> dict:
    """{'bytes': size, 'sha256': hex digest} of one file."""
    return {"bytes": path.stat().st_size, "sha256": sha256_file(path)}


def _root(root: str | os.PathLike | None) -> Path:
    return ZOO_DIR if root is None else Path(root)


def load_manifest(root: str | os.PathLike | None = None) -> dict:
    path = _root(root) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
        manifest["domains"].items()  # noqa: B018 (shape check)
    except FileNotFoundError:
        raise ZooError(f"The zoo manifest {path} is missing; run `t2drl train-zoo`.") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise ZooError(
            f"The zoo manifest {path} is damaged (not the JSON train-zoo writes)."
        ) from None
    return manifest


def zoo_domains(root: str | os.PathLike | None = None) -> list[str]:
    """The shipped domains, in training order (e.g. ['digits', 'fashion', 'faces', 'textures'])."""
    return list(load_manifest(root)["domains"])


def _domain_entry(domain: str, root: str | os.PathLike | None) -> dict:
    domains = load_manifest(root)["domains"]
    if domain not in domains:
        raise ZooError(f"Unknown zoo domain '{domain}' (the zoo has {', '.join(domains)}).")
    return domains[domain]


def check_domain(domain: str, root: str | os.PathLike | None = None) -> None:
    """Raise ZooError naming the first missing or damaged file of `domain`."""
    base = _root(root)
    for rel, rec in _domain_entry(domain, root)["files"].items():
        path = base / rel
        if not path.is_file():
            raise ZooError(
                f"The zoo file {path} is missing; restore it from git or rerun `t2drl train-zoo`."
            )
        if file_record(path) != rec:
            raise ZooError(
                f"The zoo file {path} is damaged (its size or sha256 differs from {base / MANIFEST}); "
                "restore it from git or rerun `t2drl train-zoo`."
            )


def check_zoo(root: str | os.PathLike | None = None) -> list[str]:
    """Check every shipped file; return the domains (raise ZooError on the first bad file)."""
    domains = zoo_domains(root)
    for domain in domains:
        check_domain(domain, root)
    return domains


def zoo_model_path(domain: str, root: str | os.PathLike | None = None) -> Path:
    """The checked ``save_pretrained`` folder of `domain`'s UNet (load with
    ``UNet2DModel.from_pretrained(path, local_files_only=True)``)."""
    check_domain(domain, root)
    return _root(root) / "models" / domain


def load_zoo_unet(domain: str, root: str | os.PathLike | None = None):
    """The domain's UNet2DModel in fp32, eval mode, on CPU."""
    import torch
    from diffusers import UNet2DModel

    unet = UNet2DModel.from_pretrained(
        zoo_model_path(domain, root), local_files_only=True, torch_dtype=torch.float32
    )
    return unet.eval().requires_grad_(False)


def heldout_uint8(domain: str, root: str | os.PathLike | None = None) -> np.ndarray:
    """The held-out set as uint8 (N, 32, 32, 3)."""
    check_domain(domain, root)
    path = _root(root) / "heldout" / f"{domain}.npz"
    with np.load(path) as data:
        images = data["images"]
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != (32, 32, 3):
        raise ZooError(f"The zoo file {path} does not hold uint8 (N, 32, 32, 3) images.")
    return images


def heldout_images(domain: str, root: str | os.PathLike | None = None):
    """The held-out set as a float32 tensor in [-1, 1] of shape (N, 3, 32, 32)."""
    import torch

    images = torch.from_numpy(heldout_uint8(domain, root)).permute(0, 3, 1, 2).float()
    return (images / 127.5 - 1.0).contiguous()


def export_heldout_pngs(
    out: str | os.PathLike, root: str | os.PathLike | None = None
) -> list[Path]:
    """Write every domain's held-out set as ``<out>/<domain>/<i:03d>.png`` (32x32 RGB), the
    image-folder form `profile-models --images` reads; return the folders."""
    from PIL import Image

    folders = []
    for domain in zoo_domains(root):
        folder = Path(out) / domain
        folder.mkdir(parents=True, exist_ok=True)
        for i, img in enumerate(heldout_uint8(domain, root)):
            Image.fromarray(img).save(folder / f"{i:03d}.png")
        folders.append(folder)
    return folders


@dataclass
class ZooExportArgs:
    """Arguments of `t2drl zoo-export`."""

    out: str = "runs/zoo-heldout"
    """Folder; one subfolder of PNGs per domain."""
    root: str | None = None
    """Zoo folder (default: the shipped `profiling/zoo`)."""


def export_main(args: ZooExportArgs) -> list[Path]:
    """`t2drl zoo-export`: `export_heldout_pngs`; the folders written."""
    writable_dir(args.out)
    return export_heldout_pngs(args.out, args.root)


def export_summary(folders: list[Path]) -> Summary:
    """One row per domain folder with its number of images."""
    rows = [{"folder": str(f), "images": str(len(list(f.glob("*.png"))))} for f in folders]
    return Summary().table("zoo held-out sets as PNG folders", rows)


class ZooHeldout:
    """`profiling.images.ImageSource` over one domain's held-out set (for `profile-models`):
    yields ``(f"{domain}-{i:03d}", float32 (3, 32, 32) in [0, 1])``."""

    def __init__(
        self, domain: str, count: int | None = None, root: str | os.PathLike | None = None
    ):
        self.domain, self.count, self.root = domain, count, root
        self.name = f"zoo:{domain}"

    def images(self, size: int, channels: int):
        if (size, channels) != (32, 3):
            raise ZooError(
                f"The zoo's {self.domain} images are 32x32 with 3 channels; the model needs "
                f"{size}x{size} with {channels}."
            )
        for i, img in enumerate(heldout_uint8(self.domain, self.root)[: self.count]):
            yield f"{self.domain}-{i:03d}", img.transpose(2, 0, 1).astype(np.float32) / 255.0
