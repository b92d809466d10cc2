"""`profiling.bench`: `t2drl bench loop` on the tiny UNet (numbers are printed, never asserted)."""

from __future__ import annotations

import pandas as pd

from profiling.args import BenchLoopArgs
from profiling.bench import main, summary


def test_bench_loop_rows_and_table(tmp_path):
    args = BenchLoopArgs(steps=(2, 3), batch=2, repeats=1, device="cpu", workdir=tmp_path)
    result = main(args)
    assert [(r["steps_N"], r["batch_size"]) for r in result["rows"]] == [
        (2, 1), (2, 2), (3, 1), (3, 2),
    ]  # fmt: skip
    assert all(r["wall_s"] > 0 and r["unet_calls"] == r["steps_N"] for r in result["rows"])
    ((title, table),) = summary(result).tables
    table = pd.DataFrame(table)
    assert title.startswith("loop overhead: tiny on cpu (fp32)")
    assert list(table["overhead (goal <= 1.05)"] == "") == [False, True, False, True]
