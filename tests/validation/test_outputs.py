"""`validation/outputs.py`: the CSV appended row by row, read back; resuming the run folder."""

from __future__ import annotations

import json

import pytest

from validation.args import ValidateError
from validation.outputs import CSV_NAME, append_row, checkpoint_file, load_rows, prepare_out


def test_rows_round_trip(tmp_path):
    for i in range(3):
        append_row(
            tmp_path / CSV_NAME, {"key": f"k{i}", "sim_violated": i == 1, "meas_violated": False}
        )
    df = load_rows(tmp_path)
    assert df.key.tolist() == ["k0", "k1", "k2"]
    assert df.sim_violated.tolist() == [False, True, False] and df.meas_violated.dtype == bool


def test_prepare_out_resumes_only_the_same_run(tmp_path):
    out = tmp_path / "v"
    assert prepare_out(out, {"seed": 1}, resume=True) == set()
    (out / "run.json").write_text(json.dumps({"identity": {"seed": 1}}))
    append_row(out / CSV_NAME, {"key": "k0"})
    assert prepare_out(out, {"seed": 1}, resume=True) == {"k0"}
    with pytest.raises(ValidateError, match="different validation run"):
        prepare_out(out, {"seed": 2}, resume=True)
    assert prepare_out(out, {"seed": 2}, resume=False) == set()
    assert not (out / CSV_NAME).exists()


def test_checkpoint_file(tmp_path):
    assert checkpoint_file(str(tmp_path)) == tmp_path / "policy.pt"
    assert checkpoint_file(str(tmp_path / "x.pt")) == tmp_path / "x.pt"
