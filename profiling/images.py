"""Input images: a pluggable source yielding (image_id, tensor (C, H, W) in [0, 1]).

Sources:
- ``synthetic``: procedurally drawn shapes (ellipses, rectangles, stripes) on a smooth
  gradient, fully determined by (seed, index); no files, no downloads.
- ``digits``: scikit-learn's bundled 8x8 handwritten digits, upscaled (bilinear) and tinted.
- a folder of PNG/JPEG files, which must already have the model's size and channel count.

A later issue adds a held-out real-image source; it only needs to implement `ImageSource`.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from profiling.errors import ProfilingError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


class ImageSource(Protocol):
    name: str

    def images(self, size: int, channels: int) -> Iterator[tuple[str, np.ndarray]]:
        """Yield (image_id, float32 array of shape (channels, size, size) in [0, 1])."""
        ...


def stable_seed(*parts: object) -> int:
    """A 31-bit seed from any parts, identical across processes and Python versions."""
    return zlib.crc32("|".join(map(str, parts)).encode()) & 0x7FFFFFFF


@dataclass
class SyntheticShapes:
    count: int = 8
    seed: int = 0
    name: str = "synthetic"

    def images(self, size: int, channels: int) -> Iterator[tuple[str, np.ndarray]]:
        for i in range(self.count):
            yield (
                f"shapes-{self.seed}-{i}",
                draw_shapes(
                    np.random.default_rng(stable_seed("shapes", self.seed, i)), size, channels
                ),
            )


def draw_shapes(rng: np.random.Generator, size: int, channels: int) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size] / max(size - 1, 1)
    base = rng.uniform(0.2, 0.8, channels)[:, None, None]
    slope = rng.uniform(-0.3, 0.3, (channels, 2))
    img = base + slope[:, :1, None] * xx + slope[:, 1:, None] * yy
    for _ in range(rng.integers(2, 5)):
        color = rng.uniform(0, 1, channels)[:, None, None]
        cx, cy = rng.uniform(0.15, 0.85, 2)
        rx, ry = rng.uniform(0.08, 0.3, 2)
        if rng.random() < 0.5:
            inside = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1
        else:
            inside = (abs(xx - cx) <= rx) & (abs(yy - cy) <= ry)
        img = np.where(inside[None], color, img)
    return np.clip(img, 0, 1).astype(np.float32)


@dataclass
class Digits:
    count: int = 8
    seed: int = 0
    name: str = "digits"

    def images(self, size: int, channels: int) -> Iterator[tuple[str, np.ndarray]]:
        import torch
        from sklearn.datasets import load_digits

        data = load_digits().images / 16.0
        picks = np.random.default_rng(stable_seed("digits", self.seed)).choice(
            len(data), self.count, replace=False
        )
        for i in picks:
            small = torch.from_numpy(data[i]).float()[None, None]
            big = torch.nn.functional.interpolate(
                small, size=(size, size), mode="bilinear", align_corners=False
            )[0, 0].numpy()
            tint = np.random.default_rng(stable_seed("tint", self.seed, int(i))).uniform(
                0.4, 1.0, channels
            )
            yield (
                f"digits-{int(i)}",
                np.clip(tint[:, None, None] * big[None], 0, 1).astype(np.float32),
            )


@dataclass
class ImageFolder:
    folder: Path
    count: int | None = None
    name: str = "folder"

    def images(self, size: int, channels: int) -> Iterator[tuple[str, np.ndarray]]:
        from PIL import Image

        files = sorted(p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise ProfilingError(f"image folder '{self.folder}' holds no PNG/JPEG files.")
        for path in files[: self.count]:
            try:
                with Image.open(path) as im:
                    arr = np.asarray(im)
            except Exception as exc:
                raise ProfilingError(
                    f"image '{path}' cannot be read ({type(exc).__name__})."
                ) from None
            arr = arr[:, :, None] if arr.ndim == 2 else arr
            h, w, c = arr.shape
            if (h, w) != (size, size) or c != channels:
                raise ProfilingError(
                    f"image '{path}' is {w}x{h} with {c} channels; the model needs {size}x{size} with {channels}."
                )
            yield path.stem, (arr.transpose(2, 0, 1).astype(np.float32) / 255.0)


def image_source(spec: str, *, count: int, seed: int = 0) -> ImageSource:
    """`synthetic`, `digits`, `zoo:<domain>` (a zoo domain's held-out set), or a folder path."""
    if spec.startswith("zoo:"):
        from profiling.zoo.api import ZooHeldout, check_domain

        check_domain(spec[4:])
        return ZooHeldout(spec[4:], count=count)
    if spec == "synthetic":
        return SyntheticShapes(count=count, seed=seed)
    if spec == "digits":
        return Digits(count=count, seed=seed)
    folder = Path(spec).expanduser()
    if not folder.is_dir():
        raise ProfilingError(
            f"image source '{spec}' is neither 'synthetic', 'digits', 'zoo:<domain>' nor an existing folder."
        )
    return ImageFolder(folder=folder, count=count)
