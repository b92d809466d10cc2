"""`rl.experiments.markdown`: tables through `DataFrame.to_markdown` with every digit kept, the
results and gap tables, the scale and cost lines."""

from __future__ import annotations

import math

import pandas as pd

from rl.experiments.markdown import (
    ci_text,
    cost_lines,
    gap_table,
    md_table,
    results_table,
    runs_provenance_lines,
    scale_lines,
)
from rl.experiments.rows import per_seed_rows
from rl.experiments.spec import Scale, plan

from .conftest import SCALE


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def test_md_table_keeps_cells_as_written():
    frame = pd.DataFrame(
        [["T2DRL", "1.10", ""], ["RCARS", "1e-05", "2.50%"]], columns=["m", "a", "b"]
    )
    lines = md_table(frame)
    assert len(lines) == 4 and set(lines[1]) <= set("|:-")
    assert _cells(lines[2]) == ["T2DRL", "1.10", ""] and _cells(lines[3]) == [
        "RCARS",
        "1e-05",
        "2.50%",
    ]


def test_ci_text():
    assert ci_text(1.23456, 1.0, 1.5) == "1.23 [1, 1.5]"
    assert ci_text(2.0, math.nan, math.nan) == "2"
    assert ci_text(math.nan, math.nan, math.nan) == "n/a"


def test_results_and_gap_tables(fig7_records):
    rows = per_seed_rows("fig7", fig7_records)
    lines = results_table("fig7", rows, ("utility",))
    assert lines[0] == "**utility** (mean [95% interval], replicates)"
    assert _cells(lines[2]) == ["method", "number of users U = 10", "number of users U = 18"]
    assert _cells(lines[5])[0] == "RCARS" and _cells(lines[5])[1].endswith("(n=3)")
    gaps = gap_table("fig7", rows)
    pct = gaps.index(next(g for g in gaps if g.startswith("**utility gap in %")))
    assert _cells(gaps[pct + 2]) == ["method", "10", "18"]
    assert [_cells(g)[0] for g in gaps[pct + 4 : pct + 6]] == ["T2DRL", "RCARS"]  # no oracle row
    assert _cells(gaps[pct + 5])[1] == "49.2 [49.2, 49.2]; worst 49.2"  # 30 / 61 on every seed
    no_oracle = [r for r in rows if r["algo"] != "oracle"]
    assert gap_table("fig7", no_oracle) == ["No oracle runs in this sweep, so no gaps.", ""]


def test_scale_and_cost_lines(fig7_records, sweep_doc):
    scale = scale_lines("fig7", SCALE, 4, "default")
    assert scale[0].startswith("- scale: 2 training seeds x H = 8 episodes")
    assert "far from converged" in scale[1]
    cost = cost_lines("fig7", fig7_records, SCALE, sweep_doc)
    assert cost[0].startswith("- summed time of the runs in this report (each on one core; wall")
    assert "T2DRL 1.00 s per episode" in cost[0]
    assert cost[1].startswith("- full form (5 training seeds")


def test_table3_cost_counts_each_timing_runs_whole_wall_time(sweep_doc):
    """A timing run costs more than its timed slots (networks, the oracle's P3 table); records
    from before `bench_wall_s` fall back to the timed slots."""
    specs = plan("table3", SCALE, algos=("rcars", "oracle"), grid=(10,))
    bench = {"choose_cache_ms": 0.0, "allocate_ms": 10.0, "decision_time_ms": 10.0}
    records = [{"spec": s.to_dict(), "bench": bench, "bench_wall_s": 36.0} for s in specs]
    doc = {**sweep_doc, "args": {**sweep_doc["args"], "algos": ["rcars", "oracle"], "grid": [10]}}
    hours = 36.0 * len(records) / 3600
    assert (
        f"{hours:.2f} core-hours (training 0.00, evaluation 0.00, timing {hours:.2f})"
        in (cost_lines("table3", records, SCALE, doc)[0])
    )
    old = [{k: v for k, v in r.items() if k != "bench_wall_s"} for r in records]
    slots_s = 10.0 * (specs[0].bench_slots + 1) / 1e3 * len(old)
    assert f"timing {slots_s / 3600:.2f})" in cost_lines("table3", old, SCALE, doc)[0]


def test_cost_counts_cpu_seconds_where_records_hold_them(sweep_doc):
    """CPU seconds are the core time a run used; wall seconds stand in for older records."""
    specs = plan("table3", SCALE, algos=("rcars",), grid=(10,))
    bench = {"choose_cache_ms": 0.0, "allocate_ms": 10.0, "decision_time_ms": 10.0}
    walled = {"spec": specs[0].to_dict(), "bench": bench, "bench_wall_s": 72.0}
    records = [walled, {**walled, "bench_cpu_s": 36.0}]
    doc = {**sweep_doc, "args": {**sweep_doc["args"], "algos": ["rcars"], "grid": [10]}}
    line = cost_lines("table3", records, SCALE, doc)[0]
    assert "CPU time for 1 of 2 runs, wall time for the rest" in line
    assert f"timing {108 / 3600:.2f})" in line
    assert "(each on one core; CPU time)" in cost_lines("table3", records[1:], SCALE, doc)[0]


def test_fig6b_scale_states_its_convergence_horizon():
    """The full-form Fig. 6b trains past the preset's H; the report says so, not "the preset's
    budget"."""
    full = Scale(train_seeds=5, episodes=None, eval_seeds=(1000,))
    scale = scale_lines("fig6b", full, 10, "default")
    assert "x H = 500 episodes" in scale[0]
    assert scale[1] == (
        "- this run trains for H = 500 episodes of 8 copies, beyond the `default` preset's "
        "H = 100 (the horizon of the paper's convergence plot)."
    )
    assert "full training budget (H = 100" in scale_lines("fig7", full, 10, "default")[1]


def test_a_resumed_sweeps_report_names_the_commits_its_runs_were_made_at(fig7_records):
    """The report's own git line is the last invocation's; the runs' lines say where the
    numbers come from."""
    at = [("aaaaaaaaaaaa1", "2026-01-02T00:00:00Z"), ("bbbbbbbbbbbb2", "2026-01-01T00:00:00Z")]
    records = [
        {**r, "provenance": {"git_commit": at[i % 3 == 0][0], "time_utc": at[i % 3 == 0][1]}}
        for i, r in enumerate(fig7_records)
    ]
    n_b = sum(i % 3 == 0 for i in range(len(records)))
    assert runs_provenance_lines(records) == [
        f"- runs: git aaaaaaaaaa ({len(records) - n_b}), bbbbbbbbbb ({n_b}), "
        "made 2026-01-01T00:00:00Z to 2026-01-02T00:00:00Z"
    ]
    assert runs_provenance_lines(fig7_records) == []  # records without provenance


def test_the_report_names_the_cpu_kernels_its_runs_were_made_with(fig7_records):
    """Kernels decide float rounding: a sweep resumed on another CPU says so."""
    avx2 = {"kernels": {"openblas": "Haswell", "torch": "AVX2"}}
    records = [
        {
            **r,
            "provenance": {
                "git_commit": "a" * 12,
                "time_utc": "2026-01-01T00:00:00Z",
                **({"device": avx2} if i < 3 else {}),
            },
        }
        for i, r in enumerate(fig7_records)
    ]
    line = runs_provenance_lines(records)[1]
    assert line.endswith(f"not recorded ({len(records) - 3}); openblas Haswell, torch AVX2 (3)")
    no_kernels = [{**r, "provenance": {**r["provenance"], "device": {}}} for r in records]
    assert len(runs_provenance_lines(no_kernels)) == 1


def test_training_cost_is_the_runs_whole_training_not_only_its_episodes(fig7_records, sweep_doc):
    """A learned run's training time includes what its episodes do not (the greedy curve's
    scoring, checkpoints): the record's `train_cpu_s`, else `train_wall_s`; but never less than
    its episodes (a resumed run's record times its last process only)."""
    learned = [r for r in fig7_records if "curve" in r]
    assert cost_lines("fig7", learned, SCALE, sweep_doc)[0].count("training 0.00")  # 4 s per run
    timed = [{**r, "train_wall_s": 900.0} for r in learned]
    hours = 900.0 * len(timed) / 3600
    assert f"training {hours:.2f}" in cost_lines("fig7", timed, SCALE, sweep_doc)[0]
    cpu = [{**r, "train_cpu_s": 450.0} for r in timed]
    assert f"training {hours / 2:.2f}" in cost_lines("fig7", cpu, SCALE, sweep_doc)[0]
    assert "T2DRL 1.00 s per episode" in cost_lines("fig7", cpu, SCALE, sweep_doc)[0]
    resumed = [{**r, "train_cpu_s": 1.0} for r in learned]  # 1 s in its last process, 4 in all
    assert cost_lines("fig7", resumed, SCALE, sweep_doc)[0] == cost_lines(
        "fig7", learned, SCALE, sweep_doc
    )[0].replace("wall time", "CPU time")
