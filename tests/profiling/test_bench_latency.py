"""`profiling.bench_latency`: `t2drl bench latency` on the tiny UNet beside a tiny busy load
(rows and ratios are produced; the numbers are printed, never asserted)."""

from __future__ import annotations

import pandas as pd
import pytest

from profiling.args import BenchLatencyArgs
from profiling.bench_latency import main, ratios, summary
from profiling.errors import ProfilingError


def test_bench_latency_rows_and_ratios(tiny_unet_dir, tmp_path):
    args = BenchLatencyArgs(
        models=(str(tiny_unet_dir),), steps=4, num_images=1, warmup=0, busy_size=8,
        device="cpu", workdir=tmp_path, rounds=1,
    )  # fmt: skip
    result = main(args)
    assert result["clocks"] == ("wall", "cpu", "envelope") and result["default_clock"] == "cpu"
    assert set(result["b1"]) == {"quiet", "busy"} and result["models"] == ["tiny16"]
    assert all(b > 0 for phase in result["b1"].values() for b in phase["tiny16"].values())
    r = ratios(result)
    assert set(r["busy_over_quiet"]["tiny16"]) == {"wall", "cpu", "envelope"}
    assert r["spread"]["quiet"] == {"wall": 1.0, "cpu": 1.0, "envelope": 1.0}  # one model
    assert all(load is None or load >= 0 for pair in result["load"].values() for load in pair)
    (t1, rows), (t2, per_clock) = summary(result).tables
    rows, per_clock = pd.DataFrame(rows), pd.DataFrame(per_clock)
    assert list(rows["clock"]) == ["wall", "cpu (default)", "envelope"]
    assert t1.startswith("B1 (ms/step) of eq. (8) per model and clock: cpu")
    assert len(per_clock) == 3 and "goal" in t2
    goal, load = summary(result).lines
    assert goal.startswith("goal for the default clock (cpu): busy / quiet within 10 %")
    assert load.startswith("1-minute load average around the runs: quiet ")
    # A second call measures again: its tables replace the first call's (no resume).
    main(args)
    quiet = pd.read_parquet(tmp_path / "quiet" / "measurements.parquet")
    assert len(quiet) == 4 and quiet.run_id.nunique() == 1


def test_bad_settings_are_one_sentence(tmp_path):
    with pytest.raises(ProfilingError, match="^--steps must be at least 2, got 1.$"):
        main(BenchLatencyArgs(steps=1, workdir=tmp_path))
    with pytest.raises(ProfilingError, match="^--rounds must be at least 1, got 0.$"):
        main(BenchLatencyArgs(rounds=0, workdir=tmp_path))
