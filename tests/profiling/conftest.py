"""Shared fixtures: tiny random UNets saved with save_pretrained (the real loading path)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from profiling.models import tiny_unet_config

ROOT = Path(__file__).resolve().parents[2]


def tiny_config(sample_size: int = 16) -> dict:
    return tiny_unet_config(sample_size)


@pytest.fixture(scope="session", autouse=True)
def _one_thread():
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_unet_dir(tmp_path_factory) -> Path:
    import torch
    from diffusers import UNet2DModel

    folder = tmp_path_factory.mktemp("models") / "tiny16"
    torch.manual_seed(0)
    UNet2DModel(**tiny_config(16)).save_pretrained(folder)
    return folder


def subprocess_env() -> dict:
    """Environment for child processes: this checkout first on the path, no hub access."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["HF_HUB_OFFLINE"] = "1"
    env["OMP_NUM_THREADS"] = "1"
    return env


PY = sys.executable
