"""The bad-input battery's world: a folder of good and bad files, built once per session.

Hostile pickles would create `MARKER` if anything ever loaded them with code execution."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import pytest
import torch

from tests.profiling.conftest import tiny_unet_dir  # noqa: F401, F811 (fixture)

TINY = ["--set", "n_users=3", "--set", "n_frames=2", "--set", "n_slots=3"]
TRAIN = ["--hparams", "tuned", "--greedy-every", "0", "--no-progress", "--no-tensorboard"]


class _Code:
    """Unpickling this runs `touch MARKER` (a stand-in for a hostile payload)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _run_copy(world: Path, name: str, replace: dict[str, bytes | None]) -> Path:
    run = world / name
    shutil.copytree(world / "good-run", run)
    for file, data in replace.items():
        if data is None:
            (run / file).unlink()
        else:
            (run / file).write_bytes(data)
    return run


def _profiling_inputs(w: Path, unet: Path) -> None:
    """Masks, images and measurement tables, good and bad, for the tiny 16x16 UNet."""
    import numpy as np
    import pandas as pd
    from PIL import Image

    shutil.copytree(unet, w / "tiny-unet")
    for name, fill in (("masks-empty", None), ("masks-full", 255)):
        (w / name).mkdir()
        path = w / name / "m.png"
        if fill is None:
            path.write_bytes(b"")
        else:
            Image.fromarray(np.full((16, 16), fill, np.uint8)).save(path)
    (w / "images-broken").mkdir()
    (w / "images-broken" / "a.png").write_bytes(b"\x89PNG not really")
    committed = Path(__file__).resolve().parents[2] / "fitted_models" / "measurements"
    df = pd.read_parquet(committed / "zoo-cpu.parquet")
    df.to_parquet(w / "zoo.parquet")
    df.drop(columns=["latency_s"]).to_parquet(w / "no-latency.parquet")
    df.assign(tv_l1_pred=float("nan")).to_parquet(w / "nan-tv.parquet")
    (w / "truncated.parquet").write_bytes((w / "zoo.parquet").read_bytes()[:200])
    (w / "fits").mkdir()
    shutil.copy(committed.parent / "zoo-cpu.json", w / "fits" / "zoo.json")


@pytest.fixture(scope="session")
def world(tmp_path_factory, tiny_unet_dir) -> Path:  # noqa: F811
    from t2drl_cli.main import cli

    w = tmp_path_factory.mktemp("world")
    _profiling_inputs(w, tiny_unet_dir)
    marker = w / "MARKER"
    try:
        cli(["train", *TRAIN, "--episodes", "1", "--out", str(w / "good-run"), *TINY])
    except SystemExit as exc:
        assert exc.code in (0, None)
    policy = (w / "good-run" / "policy.pt").read_bytes()
    raw_hostile = pickle.dumps(_Code(marker))
    torch.save({"trainer": _Code(marker)}, w / "zip-hostile.pt")
    zip_hostile = (w / "zip-hostile.pt").read_bytes()
    torch.save({"x": torch.zeros(2)}, w / "foreign.pt")
    torch.save([1, 2, 3], w / "list.pt")
    run_json = (w / "good-run" / "run.json").read_bytes()
    copies = {
        "run-truncated-policy": {"policy.pt": policy[: len(policy) // 2]},
        "run-empty-policy": {"policy.pt": b""},
        "run-raw-hostile-policy": {"policy.pt": raw_hostile},
        "run-zip-hostile-policy": {"policy.pt": zip_hostile},
        "run-foreign-policy": {"policy.pt": (w / "foreign.pt").read_bytes()},
        "run-list-policy": {"policy.pt": (w / "list.pt").read_bytes()},
        "run-truncated-runjson": {"run.json": run_json[: len(run_json) // 2]},
        "run-no-runjson": {"run.json": None},
        "run-array-runjson": {"run.json": b"[1, 2]"},
        "run-truncated-ckpt": {"checkpoint.pt": policy[: len(policy) // 3]},
        "run-zip-hostile-ckpt": {"checkpoint.pt": zip_hostile},
        "run-foreign-ckpt": {"checkpoint.pt": (w / "foreign.pt").read_bytes()},
        "run-binary-runjson": {"run.json": bytes(range(256))},
    }
    for name, replace in copies.items():
        _run_copy(w, name, replace)
    for name, data in (
        ("zoo-hostile", zip_hostile),
        ("zoo-raw-hostile", raw_hostile),
        ("zoo-truncated", policy[: len(policy) // 3]),
        ("zoo-foreign", (w / "foreign.pt").read_bytes()),
    ):
        (w / name / "checkpoints").mkdir(parents=True)
        (w / name / "checkpoints" / "digits.pt").write_bytes(data)
    (w / "binary.toml").write_bytes(bytes(range(256)) * 2)
    (w / "bad.toml").write_text("x = [")
    (w / "list.toml").write_text("[[x]]\ny = 1\n")
    (w / "notes.txt").write_text("not a checkpoint")
    (w / "file").write_text("a regular file")
    (w / "fitted-bad.json").write_text(json.dumps({"schema": "t2drl-fitted-models"}))
    (w / "fitted-binary.json").write_bytes(bytes(range(256)))
    return w
