"""RePaint's mask families, generated deterministically from a seed.

Convention (as in diffusers' RePaintScheduler): 1 = keep the known pixel, 0 = inpaint.
Masks are float32 arrays of shape (1, H, W).

Families (names follow the RePaint paper's evaluation masks):
- ``thick``: a few wide random brush strokes (LaMa-style "thick"), about 30-50 % inpainted;
- ``thin``: many thin random strokes;
- ``half``: one half of the image (left, right, top or bottom, chosen by the seed);
- ``ev2li``: every other line (rows 1, 3, 5, ... inpainted);
- ``sr2``: super-resolution x2 (keep one pixel of every 2x2 block);
- ``box``: a centred square covering half the side.
A folder of mask PNGs (white = keep) is also accepted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from profiling.errors import ProfilingError
from profiling.images import IMAGE_SUFFIXES, stable_seed

MASK_KINDS = ("thick", "thin", "half", "ev2li", "sr2", "box")


def _strokes(
    rng: np.random.Generator, size: int, n_strokes: int, width_frac: tuple[float, float]
) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    hole = np.zeros((size, size), bool)
    for _ in range(n_strokes):
        x, y = rng.uniform(0, size, 2)
        radius = max(0.5, rng.uniform(*width_frac) * size / 2)
        for _ in range(rng.integers(3, 7)):
            angle, length = rng.uniform(0, 2 * np.pi), rng.uniform(0.1, 0.35) * size
            nx, ny = (
                np.clip(x + length * np.cos(angle), 0, size - 1),
                np.clip(y + length * np.sin(angle), 0, size - 1),
            )
            for s in np.linspace(0, 1, 12):
                px, py = x + s * (nx - x), y + s * (ny - y)
                hole |= (xx - px) ** 2 + (yy - py) ** 2 <= radius**2
            x, y = nx, ny
    return hole


def make_mask(kind: str, size: int, seed: int) -> np.ndarray:
    """Mask of family `kind` for an image of side `size`, fully determined by `seed`."""
    rng = np.random.default_rng(stable_seed("mask", kind, size, seed))
    hole = np.zeros((size, size), bool)
    if kind == "thick":
        hole = _strokes(rng, size, 3, (0.12, 0.2))
    elif kind == "thin":
        hole = _strokes(rng, size, 6, (0.03, 0.06))
    elif kind == "half":
        side = int(rng.integers(4))
        half = size // 2
        [hole[:, :half], hole[:, half:], hole[:half, :], hole[half:, :]][side][...] = True
    elif kind == "ev2li":
        hole[1::2, :] = True
    elif kind == "sr2":
        hole[:] = True
        hole[::2, ::2] = False
    elif kind == "box":
        q = size // 4
        hole[q : size - q, q : size - q] = True
    else:
        raise ProfilingError(
            f"mask kind '{kind}' is unknown; choose from {', '.join(MASK_KINDS)} or a folder."
        )
    if hole.all() or not hole.any():
        hole[size // 2, size // 2] = (
            True  # never an empty/full mask (PSNR of the hole needs pixels)
        )
    return (~hole).astype(np.float32)[None]


def load_mask_folder(folder: Path, size: int) -> list[tuple[str, np.ndarray]]:
    from PIL import Image

    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ProfilingError(f"mask folder '{folder}' holds no PNG files.")
    out = []
    for path in files:
        try:
            with Image.open(path) as im:
                arr = np.asarray(im.convert("L"), dtype=np.float32) / 255.0
        except (OSError, ValueError) as exc:  # PIL's UnidentifiedImageError is an OSError
            raise ProfilingError(f"mask '{path}' cannot be read ({type(exc).__name__}).") from None
        if arr.shape != (size, size):
            raise ProfilingError(
                f"mask '{path}' is {arr.shape[1]}x{arr.shape[0]}; the images are {size}x{size}."
            )
        out.append((f"file-{path.stem}", (arr >= 0.5).astype(np.float32)[None]))
    return out


def mask_set(spec: str, size: int, seed: int) -> list[tuple[str, np.ndarray]]:
    """Comma-separated kinds (``thick,half``) or a folder of mask PNGs -> [(mask_id, mask)]."""
    folder = Path(spec).expanduser()
    if folder.is_dir():
        return load_mask_folder(folder, size)
    return [
        (f"{kind}-s{seed}", make_mask(kind, size, seed))
        for kind in (k.strip() for k in spec.split(","))
        if kind
    ]


def check_mask(mask: np.ndarray, size: int, name: str) -> None:
    """A mask of the images' size with a hole to inpaint (0 = hole, 1 = kept)."""
    if mask.shape != (1, size, size):
        raise ProfilingError(
            f"mask '{name}' has shape {tuple(mask.shape)}; expected (1, {size}, {size})."
        )
    if not (mask < 0.5).any():
        raise ProfilingError(
            f"mask '{name}' has no hole (no pixel below 0.5, i.e. nothing to inpaint)."
        )
