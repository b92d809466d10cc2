"""`common.torch_files.load_tensors`: tensors load; a hostile, truncated or foreign file is one
sentence naming it, and no code runs."""

import pickle
import warnings

import pytest
import torch

from common.errors import UserError
from common.torch_files import load_tensors


class Oops(UserError):
    pass


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_tensors_load(tmp_path):
    torch.save({"w": torch.arange(3.0), "step": 2}, tmp_path / "a.pt")
    state = load_tensors(tmp_path / "a.pt", Oops)
    assert state["step"] == 2 and state["w"].tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("form", ["zip", "raw"])
def test_a_file_that_would_run_code_is_refused_and_runs_none(tmp_path, form):
    marker, path = tmp_path / "MARKER", tmp_path / "bad.pt"
    if form == "zip":
        torch.save({"x": _Payload(marker)}, path)
    else:
        path.write_bytes(pickle.dumps(_Payload(marker)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the refusal is the only word on it
        with pytest.raises(Oops, match="bad.pt"):
            load_tensors(path, Oops)
    assert not marker.exists()


def test_a_truncated_file_is_one_sentence(tmp_path):
    torch.save({"w": torch.zeros(100)}, tmp_path / "a.pt")
    (tmp_path / "b.pt").write_bytes((tmp_path / "a.pt").read_bytes()[:50])
    with pytest.raises(Oops, match="not a readable checkpoint"):
        load_tensors(tmp_path / "b.pt", Oops)
