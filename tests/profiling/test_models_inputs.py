"""Model loading (local folder, hub cache, errors), masks, images, metrics."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from profiling.errors import ProfilingError
from profiling.images import SyntheticShapes, image_source
from profiling.masks import MASK_KINDS, make_mask, mask_set
from profiling.metrics import psnr_hole_db, ssim_hole, total_variation
from profiling.models import load_unet


def test_load_local_folder(tiny_unet_dir):
    unet, info = load_unet(str(tiny_unet_dir))
    assert info.sample_size == 16 and info.in_channels == 3
    assert (
        info.storage_size_bytes
        == (tiny_unet_dir / "diffusion_pytorch_model.safetensors").stat().st_size
    )
    assert len(info.checkpoint_sha256) == 64
    assert not unet.training


def test_hub_id_from_local_cache_only(tiny_unet_dir, tmp_path, monkeypatch):
    """A hub id resolves through a (hand-built) Hugging Face cache; nothing is downloaded."""
    snapshot = tmp_path / "hub" / "models--acme--tiny-ddpm" / "snapshots" / ("a" * 40)
    shutil.copytree(tiny_unet_dir, snapshot)
    (tmp_path / "hub" / "models--acme--tiny-ddpm" / "refs").mkdir()
    (tmp_path / "hub" / "models--acme--tiny-ddpm" / "refs" / "main").write_text("a" * 40)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    _, info = load_unet("acme/tiny-ddpm")
    assert info.model_id == "tiny-ddpm" and info.sample_size == 16
    with pytest.raises(ProfilingError, match="HF_HUB_OFFLINE"):
        load_unet("acme/not-cached")


def test_bad_checkpoints(tiny_unet_dir, tmp_path):
    with pytest.raises(ProfilingError, match="does not exist"):
        load_unet(str(tmp_path / "nope" / "model"))
    with pytest.raises(ProfilingError, match="does not exist"):
        load_unet("./missing-folder")
    other = tmp_path / "vae"
    shutil.copytree(tiny_unet_dir, other)
    cfg = json.loads((other / "config.json").read_text())
    (other / "config.json").write_text(json.dumps({**cfg, "_class_name": "AutoencoderKL"}))
    with pytest.raises(ProfilingError, match="not a diffusers UNet2DModel"):
        load_unet(str(other))
    corrupt = tmp_path / "corrupt"
    shutil.copytree(tiny_unet_dir, corrupt)
    (corrupt / "diffusion_pytorch_model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ProfilingError, match="could not be loaded"):
        load_unet(str(corrupt))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ProfilingError, match="no config.json"):
        load_unet(str(empty))


@pytest.mark.parametrize("kind", MASK_KINDS)
def test_masks_deterministic(kind):
    a, b = make_mask(kind, 32, seed=3), make_mask(kind, 32, seed=3)
    assert a.shape == (1, 32, 32) and np.array_equal(a, b)
    assert 0 < (a == 0).mean() < 1 and set(np.unique(a)) <= {0.0, 1.0}
    if kind in ("thick", "thin", "half"):
        assert any(not np.array_equal(a, make_mask(kind, 32, seed=s)) for s in range(4, 8))


def test_mask_and_image_errors(tmp_path):
    with pytest.raises(ProfilingError, match="unknown"):
        mask_set("thick,blob", 16, 0)
    from PIL import Image

    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "small.png")
    with pytest.raises(ProfilingError, match="small.png' is 8x8"):
        list(image_source(str(tmp_path), count=2).images(16, 3))
    masks = tmp_path / "masks"
    masks.mkdir()
    Image.fromarray(np.full((8, 8), 255, np.uint8)).save(masks / "m.png")
    with pytest.raises(ProfilingError, match="m.png' is 8x8"):
        mask_set(str(masks), 16, 0)


def test_images_deterministic_and_in_range():
    a = list(SyntheticShapes(count=3, seed=1).images(16, 3))
    b = list(SyntheticShapes(count=3, seed=1).images(16, 3))
    assert [i for i, _ in a] == [i for i, _ in b] and all(
        np.array_equal(x, y) for (_, x), (_, y) in zip(a, b, strict=True)
    )
    assert all(x.shape == (3, 16, 16) and x.min() >= 0 and x.max() <= 1 for _, x in a)
    digits = list(image_source("digits", count=2).images(16, 3))
    assert digits[0][1].shape == (3, 16, 16)


def test_metrics_conventions():
    x = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    manual = (x[..., 1:, :] - x[..., :-1, :]).abs().sum((1, 2, 3)) + (
        x[..., :, 1:] - x[..., :, :-1]
    ).abs().sum((1, 2, 3))
    assert torch.allclose(total_variation(x), manual, rtol=1e-5)
    ref = 0.8 * x
    mask = torch.ones(2, 1, 16, 16)
    mask[..., 4:8, 4:8] = 0
    y = ref.clone()
    y[..., 4:8, 4:8] += 0.1  # error only inside the hole: MSE over the hole = 0.01 -> 20 dB
    assert torch.allclose(psnr_hole_db(y, ref, mask), torch.full((2,), 20.0), atol=1e-3)
    assert torch.allclose(ssim_hole(ref, ref, mask), torch.ones(2))
