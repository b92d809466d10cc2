"""`profiling.plotting.draw_fig3`: one row of panels (TV, delay) per model, as a PNG."""

from matplotlib.image import imread

from profiling.fitrun import FitArgs, run_fit
from profiling.plotting import draw_fig3
from tests.profiling.test_fitrun import _table


def test_fig3_png_has_a_row_per_model(tmp_path):
    [result] = run_fit(
        FitArgs(measurements=[_table(tmp_path)], out=tmp_path / "f", n_boot=5, plot=False)
    )
    png = draw_fig3(result["fits"], "trajectory", "tv_l1_pred", tmp_path / "fig3.png", title="t")
    height, width = imread(png).shape[:2]
    assert width > height > 100
