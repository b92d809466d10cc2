"""Shared fixtures: a tiny random UNet saved with save_pretrained stands in for a zoo model."""

from __future__ import annotations

import pytest
import torch

from profiling.models import write_tiny_unet


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    return write_tiny_unet(tmp_path_factory.mktemp("unet") / "tiny16", sample_size=16)
