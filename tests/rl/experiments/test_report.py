"""`rl.experiments.report`: the outputs of a finished sweep and the command that remakes it.
(End-to-end sweeps that train and report: tests/rl/experiments/test_sweep.py.)"""

from __future__ import annotations

from rl.experiments.report import command_text, write_report

from .conftest import SCALE


def test_write_report_writes_csvs_figures_and_text(tmp_path, fig7_records, sweep_doc):
    result = write_report("fig7", fig7_records, tmp_path, SCALE, sweep_doc, complete=False)
    names = sorted(p.rsplit("/", 1)[-1] for p in result["written"])
    assert names == ["fig7-curves.csv", "fig7-greedy.png", "fig7.csv", "fig7.png", "report.md"]
    text = (tmp_path / "report.md").read_text()
    assert text.startswith("# Fig. 7: effect of the number of users U (paper preset)")
    assert "**Incomplete sweep**" in text
    assert (
        "**Not run in this sweep**: DDPG-based T2DRL, DDPG (single timescale), SCHRS, HCRAS."
        in text
    )
    for section in ("## Scale and cost", "### Claimed improvements of T2DRL", "## Results"):
        assert section in text
    assert "![fig7](fig7.png)" in text and "![fig7](fig7-greedy.png)" in text
    assert "| 7.3.2, Fig. 7b text | utility   | 10  | RCARS " in text


def test_command_text_remakes_the_sweep(sweep_doc):
    a = {**sweep_doc["args"], "env_seed": 2, "episodes": 4}
    assert command_text("fig7", a) == (
        "t2drl experiment fig7 --env-preset paper --hparams default --env-seed 2 --quick "
        "--episodes 4 --eval-seeds 1000,1001,1002 --grid 10,18 --set n_frames=4 "
        "--algo t2drl --algo rcars --algo oracle"
    )
