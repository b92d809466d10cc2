"""`validation/plots.py`: which requests the grid shows (the figures themselves are drawn by
the whole-path test in test_closed_loop.py)."""

from __future__ import annotations

import pandas as pd

from validation.plots import pick_grid_rows


def test_grid_rows_spread_over_steps():
    df = pd.DataFrame({"n": [5, 0, 9, 3, 7, 1], "key": list("abcdef")})
    # evenly spaced positions 0, 2.5, 5 of the sorted rows (2.5 rounds to even: 2)
    assert pick_grid_rows(df, 3).n.tolist() == [0, 3, 9]
    assert pick_grid_rows(df, 10).n.tolist() == [0, 1, 3, 5, 7, 9]
    assert pick_grid_rows(df, 0).empty and pick_grid_rows(df.iloc[:0], 3).empty
