"""`profiling.zoo.api`: shipped models load offline and denoise, held-out sets are disjoint
from training, damaged files are named in one sentence, the held-out image source."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from profiling.zoo.api import (
    ZOO_DIR,
    check_zoo,
    heldout_images,
    heldout_uint8,
    load_manifest,
    zoo_domains,
    zoo_model_path,
)
from profiling.zoo.errors import ZooError
from profiling.zoo.train import image_hashes

SHIPPED = ["digits", "fashion", "faces", "textures"]


def test_shipped_domains_and_size_budget():
    assert zoo_domains() == SHIPPED
    check_zoo()
    model_bytes = sum(p.stat().st_size for p in (ZOO_DIR / "models").rglob("*") if p.is_file())
    assert model_bytes <= 40e6


@pytest.mark.parametrize("domain", SHIPPED)
def test_shipped_model_loads_offline_and_denoises(domain, monkeypatch):
    from diffusers import UNet2DModel

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    unet = UNet2DModel.from_pretrained(
        zoo_model_path(domain), local_files_only=True, torch_dtype=torch.float32
    ).eval()
    assert unet.config.in_channels == unet.config.out_channels == 3
    assert unet.config.sample_size == 32
    # A trained noise predictor: on its own held-out images at t = 500 its MSE is far below
    # the ~1.0 of an untrained one.
    x0 = heldout_images(domain)[:16]
    gen = torch.Generator().manual_seed(0)
    noise = torch.randn(x0.shape, generator=gen)
    t = torch.full((16,), 500)
    a = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    abar = torch.cumprod(1 - a, 0)[500].float()
    noisy = abar.sqrt() * x0 + (1 - abar).sqrt() * noise
    with torch.no_grad():
        pred = unet(noisy, t).sample
    assert pred.shape == (16, 3, 32, 32) and torch.isfinite(pred).all()
    assert float(((pred - noise) ** 2).mean()) < 0.3


@pytest.mark.parametrize("domain", SHIPPED)
def test_heldout_shape_range_and_disjoint_from_training(domain):
    x = heldout_images(domain)
    assert x.shape == (64, 3, 32, 32) and x.dtype == torch.float32
    assert float(x.min()) >= -1.0 and float(x.max()) <= 1.0
    held = heldout_uint8(domain)
    with np.load(ZOO_DIR / "heldout" / f"{domain}-train-hashes.npz") as f:
        train_hashes = f["hashes"]
    assert not np.isin(image_hashes(held), train_hashes).any()
    entry = load_manifest()["domains"][domain]
    assert entry["n_heldout_images"] == 64 and entry["n_train_images"] > 64
    assert entry["split"]  # which source items form the held-out set


def _copy_zoo(tmp_path: Path) -> Path:
    root = tmp_path / "zoo"
    root.mkdir()
    shutil.copy(ZOO_DIR / "manifest.json", root)
    for sub in ("models", "heldout"):
        shutil.copytree(ZOO_DIR / sub, root / sub)
    return root


@pytest.mark.parametrize(
    "rel", ["models/faces/diffusion_pytorch_model.safetensors", "heldout/textures.npz"]
)
def test_damaged_zoo_file_is_named_in_one_sentence(tmp_path, rel):
    root = _copy_zoo(tmp_path)
    check_zoo(root)
    path = root / rel
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    domain = rel.split("/")[1].split(".")[0]
    with pytest.raises(ZooError) as info:
        zoo_model_path(domain, root) if rel.startswith("models") else heldout_images(domain, root)
    msg = str(info.value)
    assert str(path) in msg and "damaged" in msg and "\n" not in msg and msg.endswith(".")
    assert info.value.exit_code == 2
    path.unlink()
    with pytest.raises(ZooError, match="missing"):
        check_zoo(root)


def test_damaged_manifest_and_unknown_domain(tmp_path):
    root = _copy_zoo(tmp_path)
    with pytest.raises(ZooError, match="Unknown zoo domain 'cats'"):
        zoo_model_path("cats", root)
    (root / "manifest.json").write_text("{not json")
    with pytest.raises(ZooError, match="manifest .* is damaged"):
        zoo_domains(root)


def test_heldout_image_source_for_profiling():
    from profiling.zoo.api import ZooHeldout

    items = list(ZooHeldout("faces", count=3).images(32, 3))
    assert [i for i, _ in items] == ["faces-000", "faces-001", "faces-002"]
    assert items[0][1].shape == (3, 32, 32) and 0.0 <= items[0][1].min() <= items[0][1].max() <= 1.0
    with pytest.raises(ZooError, match="32x32 with 3 channels"):
        list(ZooHeldout("faces").images(256, 3))


def test_zoo_export_writes_every_heldout_set(tmp_path):
    from profiling.zoo.api import ZooExportArgs, export_main, export_summary

    folders = export_main(ZooExportArgs(out=str(tmp_path)))
    assert [f.name for f in folders] == zoo_domains()
    ((_, table),) = export_summary(folders).tables
    table = pd.DataFrame(table)
    assert list(table["images"]) == [str(len(heldout_uint8(d))) for d in zoo_domains()]
