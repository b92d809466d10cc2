"""`validation/plots.py`: which requests the grid shows and the steps markers (the figures
themselves are drawn by the whole-path test in test_closed_loop.py)."""

from __future__ import annotations

import pandas as pd

from testbed.config import build_config
from validation.plots import contexts_of, pick_grid_rows


def test_grid_rows_spread_over_steps():
    df = pd.DataFrame({"n": [5, 0, 9, 3, 7, 1], "key": list("abcdef")})
    # evenly spaced positions 0, 2.5, 5 of the sorted rows (2.5 rounds to even: 2)
    assert pick_grid_rows(df, 3).n.tolist() == [0, 3, 9]
    assert pick_grid_rows(df, 10).n.tolist() == [0, 1, 3, 5, 7, 9]
    assert pick_grid_rows(df, 0).empty and pick_grid_rows(df.iloc[:0], 3).empty


def test_steps_markers_are_the_fits():
    cfg = build_config("fitted", fitted_file="zoo-cpu")
    first, *rest = cfg.model_ids
    df = pd.DataFrame({"model_id": [first], "n": [300], "schedule_N": [300]})  # beyond N
    ctx = contexts_of(df, cfg, {mid: 250 for mid in cfg.model_ids})
    assert list(ctx) == list(cfg.model_ids)
    assert ctx[first] == {"A1": cfg.A1_steps[0], "A3": cfg.A3_steps[0], "n_fit": 250}
    assert all(ctx[mid]["n_fit"] is None for mid in rest)  # no request: no N marker
