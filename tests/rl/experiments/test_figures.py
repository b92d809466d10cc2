"""`rl.experiments.figures`: every figure is written from synthetic records."""

from __future__ import annotations

from rl.experiments.figures import plot_bars, plot_curves, plot_greedy_curves, plot_table3
from rl.experiments.rows import per_seed_rows


def test_each_figure_writes_a_png(tmp_path, fig7_records):
    rows = per_seed_rows("fig7", fig7_records)
    paths = [
        plot_bars("fig7", rows, tmp_path / "bars.png", "bars"),
        plot_curves("fig7", fig7_records, rows, tmp_path / "curves.png", "curves"),
        plot_greedy_curves("fig7", fig7_records, rows, tmp_path / "greedy.png", "greedy"),
    ]
    bench = [
        {"algo": "rcars", "x": x, "train_seed": s, "decision_time_ms": 0.1 * (s + 1)}
        for x in (10, 18)
        for s in range(2)
    ]
    paths.append(plot_table3(bench, tmp_path / "table3.png", "table3"))
    for p in paths:
        assert p.endswith(".png") and (tmp_path / p).stat().st_size > 1000


def test_no_greedy_figure_without_greedy_scores(tmp_path, fig7_records):
    for rec in fig7_records:
        rec.get("curve", {}).pop("greedy_utility", None)
    rows = per_seed_rows("fig7", fig7_records)
    assert plot_greedy_curves("fig7", fig7_records, rows, tmp_path / "g.png", "t") is None
