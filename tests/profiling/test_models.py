"""`profiling.models`: loading from a local folder or the hub cache, and clear refusals."""

from __future__ import annotations

import json
import shutil

import pytest

from profiling.errors import ProfilingError
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


def test_unknown_zoo_domain_is_one_sentence():
    with pytest.raises(ProfilingError) as err:
        load_unet("zoo:cats")
    assert err.value.exit_code == 2 and "cats" in str(err.value)
