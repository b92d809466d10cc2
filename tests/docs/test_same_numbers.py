"""docs/examples/same_numbers.py: a rerun equal but for its clocks is adopted, a changed
result is reported and left alone."""

from __future__ import annotations

import json
import math

from .conftest import load_example


def _record(utility: float, wall: float) -> dict:
    return {
        "spec": {"algo": "t2drl"},
        "config": {"n_users": 10},
        "curve": {"episode": [1], "greedy_utility": [math.nan], "wall_s": [wall], "cpu_s": [wall]},
        "eval": [{"eval_seed": 1000, "utility": utility, "decision_time_ms": wall}],
        "train_wall_s": wall,
    }


def test_equal_but_for_clocks_is_adopted_and_a_changed_result_is_not(tmp_path, capsys):
    example = load_example("same_numbers")
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir(), new.mkdir()
    (old / "a.json").write_text(json.dumps(_record(40.0, 1.0)))
    (new / "a.json").write_text(json.dumps(_record(40.0, 2.0)))
    (old / "b.json").write_text(json.dumps(_record(40.0, 1.0)))
    (new / "b.json").write_text(json.dumps(_record(40.5, 1.0)))
    example.main(example.Args(old, new, adopt=True))
    out = capsys.readouterr().out
    assert "differs: b.json (eval)" in out and "1 equal, 1 differ" in out
    assert json.loads((old / "a.json").read_text())["train_wall_s"] == 2.0
    assert json.loads((old / "b.json").read_text())["eval"][0]["utility"] == 40.0
