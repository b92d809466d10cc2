"""`profiling.plotting`: one row of panels (TV, delay) per model (`draw_fig3`); the protocols
side by side, one column each, one row per model (`draw_protocols`)."""

import pandas as pd
from matplotlib.image import imread

from profiling.fitrun import FitArgs, run_fit
from profiling.plotting import draw_fig3, draw_protocols
from tests.profiling.test_fitrun import _frame, _table


def test_fig3_png_has_a_row_per_model(tmp_path):
    [result] = run_fit(
        FitArgs(measurements=[_table(tmp_path)], out=tmp_path / "f", n_boot=5, plot=False)
    )
    png = draw_fig3(result["fits"], "trajectory", "tv_l2_pred", tmp_path / "fig3.png", title="t")
    height, width = imread(png).shape[:2]
    assert width > height > 100


def test_protocols_side_by_side_a_column_each(tmp_path):
    frames = [_frame(p) for p in ("trajectory", "respaced", "start")]
    frames[1] = frames[1].assign(steps_N=frames[1].step_n)  # respaced: N is the axis
    other = _frame("start").assign(model_id="other", tv_l2_pred=1.0)  # flat: measured, not fitted
    pd.concat([*frames, other]).to_parquet(tmp_path / "all.parquet")
    args = FitArgs(measurements=[tmp_path / "all.parquet"], out=tmp_path / "f", n_boot=5)
    results = run_fit(args)
    assert [r["protocol"] for r in results] == ["trajectory", "respaced", "start"]
    assert set(results[2]["rows"]) == {"fake", "other"} and set(results[2]["fits"]) == {"fake"}
    png = draw_protocols(results, "tv_l2_pred", tmp_path / "side.png", title="t")
    height, width = imread(png).shape[:2]
    assert width > height > 100  # three columns, two rows
