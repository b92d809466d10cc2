"""A toy zoo for the zoo's tests: two flat-colour domains, a tiny UNet, two iterations."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from profiling.zoo.train import TrainZooArgs


def toy_loader(level: int):
    def load(seed: int):
        rng = np.random.default_rng(level)
        base = np.full((40, 32, 32, 3), level, dtype=np.uint8)
        imgs = np.clip(base + rng.integers(0, 40, base.shape), 0, 255).astype(np.uint8)
        return imgs[:32], imgs[32:], {"heldout_indices": list(range(32, 40))}

    return load


TOY = {"dark": toy_loader(20), "bright": toy_loader(200)}


def tiny_zoo_args(out: Path, **kw) -> TrainZooArgs:
    base = dict(
        domains=["dark", "bright"],
        iterations=2,
        batch_size=4,
        warmup=1,
        block_out_channels=(8, 16),
        out=str(out),
        progress=False,
        checkpoint_every=1,
    )
    return TrainZooArgs(**(base | kw))
