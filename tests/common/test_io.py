"""`common.io`: atomic writes keep the old file on failure; the file hash is sha256 of the bytes."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from common.io import atomic_write, atomic_write_text, file_digest, sha256_file, write_json


def test_atomic_write_keeps_the_old_file_when_the_writer_raises(tmp_path):
    path = tmp_path / "doc.json"
    path.write_text("old")

    def half_then_fail(tmp: Path) -> None:
        tmp.write_text("half a fi")
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError, match="killed"):
        atomic_write(path, half_then_fail)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["doc.json"]  # no temp file left behind


@pytest.mark.parametrize("durable", [False, True])
def test_atomic_write_replaces_the_file(tmp_path, durable):
    path = tmp_path / "a.txt"
    path.write_text("old")
    atomic_write_text(path, "new", durable=durable)
    assert path.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_torch_save_through_atomic_write_names_the_archive_after_the_file(tmp_path):
    """The bytes of a checkpoint do not depend on the temporary folder it was written in."""
    import functools
    import zipfile

    import torch

    path = tmp_path / "policy.pt"
    atomic_write(path, functools.partial(torch.save, {"w": torch.arange(3)}))
    assert zipfile.ZipFile(path).namelist()[0] == "policy.pt/data.pkl"
    assert torch.load(path, weights_only=True)["w"].tolist() == [0, 1, 2]


def test_file_hash_is_sha256_of_the_bytes(tmp_path):
    data = bytes(range(256)) * 5000  # > 1 MiB: several chunks
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(data)
    b.write_bytes(b"tail")
    assert sha256_file(a) == hashlib.sha256(data).hexdigest()
    running = hashlib.sha256(b"name")
    assert file_digest(a, running) is running
    file_digest(b, running)
    assert running.hexdigest() == hashlib.sha256(b"name" + data + b"tail").hexdigest()


def test_write_json_handles_numpy_and_paths(tmp_path):
    doc = {"x": np.float32(0.5), "n": np.int64(3), "v": np.arange(2), "p": Path("a/b")}
    path = write_json(tmp_path / "d.json", doc, indent=1)
    text = path.read_text()
    assert text.endswith("}\n") and json.loads(text) == {"x": 0.5, "n": 3, "v": [0, 1], "p": "a/b"}
    with pytest.raises(TypeError, match="not JSON serialisable: set"):
        write_json(tmp_path / "e.json", {"s": {1}})
    assert not (tmp_path / "e.json").exists()
