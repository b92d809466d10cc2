"""Shared fixtures: a tiny random UNet saved with save_pretrained stands in for a zoo model, and
a fitted-models file names it."""

from __future__ import annotations

import pytest
import torch

from fitted_models.schema import dump_fitted
from profiling.models import write_tiny_unet


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    return write_tiny_unet(tmp_path_factory.mktemp("unet") / "tiny16", sample_size=16)


@pytest.fixture(scope="module")
def fitted_file(tmp_path_factory, tiny_dir):
    """A fitted-models file naming the tiny UNet twice (two request types)."""

    def entry(mid: str, a1: float, a3: float) -> dict:
        return {
            "id": mid,
            "checkpoint": str(tiny_dir),
            "checkpoint_sha256": None,
            "storage_size_bytes": 1000,
            "output_size_bits": 16 * 16 * 3 * 8,
            "tv_model": {"A1_steps": a1, "A2_tv": 600.0, "A3_steps": a3, "A4_tv": 200.0},
            "delay_model": {"B1_s_per_step": 0.02, "B2_s": 0.001},
            "settings": {"jump_length": 10, "jump_n_sample": 1, "eta": 1.0, "dtype": "fp32"},
        }

    doc = {
        "schema": "t2drl.fitted-models",
        "schema_version": 1,
        "name": "tiny-test",
        "protocol": "trajectory",
        "quality_metric": {"name": "total_variation", "norm_type": "l1", "column": "tv_l1_pred"},
        "device": {"name": "cpu", "kind": "cpu"},
        "source": {"kind": "measurements", "measurements_path": "/no/such/table.parquet"},
        "models": [entry("tiny-a", 2.0, 6.0), entry("tiny-b", 3.0, 8.0)],
    }
    return dump_fitted(doc, tmp_path_factory.mktemp("fitted") / "tiny.json")
