"""`rl.agents.checkpoint`: what training wrote is read back; anything else is one sentence
naming the file, and a file that needs code to load is refused without running it."""

import json
import os

import pytest
import torch

from rl.agents.checkpoint import CheckpointError, load_into, load_state, read_run_record


class _Code:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_state_dicts_round_trip_and_the_required_key_is_checked(tmp_path):
    torch.save(
        {"trainer": {"w": torch.ones(2)}, "torch_rng": torch.get_rng_state()}, tmp_path / "c.pt"
    )
    state = load_state(tmp_path / "c.pt", required="trainer")
    assert torch.equal(state["trainer"]["w"], torch.ones(2))
    torch.save({"x": 1}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="no 'trainer' entry"):
        load_state(tmp_path / "other.pt", required="trainer")


def test_hostile_truncated_and_missing_files(tmp_path):
    marker = tmp_path / "MARKER"
    torch.save({"trainer": _Code(marker)}, tmp_path / "hostile.pt")
    with pytest.raises(CheckpointError, match="refused for safety") as info:
        load_state(tmp_path / "hostile.pt")
    assert "weights_only" not in str(info.value) and not marker.exists()
    (tmp_path / "half.pt").write_bytes((tmp_path / "hostile.pt").read_bytes()[:40])
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_state(tmp_path / "half.pt")
    with pytest.raises(CheckpointError, match="does not exist"):
        load_state(tmp_path / "none.pt")


def test_run_records_and_mismatched_states(tmp_path):
    meta = tmp_path / "run.json"
    with pytest.raises(CheckpointError, match="has no run.json beside it"):
        read_run_record(meta, "the/given/policy.pt")
    meta.write_text(json.dumps({"algo": "t2drl"}))
    with pytest.raises(CheckpointError, match="no 'config' field"):
        read_run_record(meta)
    net = torch.nn.Linear(2, 2)
    with pytest.raises(CheckpointError, match="does not match the run"):
        load_into(net, {"weight": torch.zeros(3, 3)}, tmp_path / "p.pt")
