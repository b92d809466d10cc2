"""`profile-models` end to end: the sweep (`profiling.sweep.run_profile`), then the fit of its
table (`profiling.fitrun`), and what the command prints (`summary`)."""

from __future__ import annotations

from pathlib import Path

from common.summary import Summary
from profiling import fitrun
from profiling.args import ProfileArgs
from profiling.sweep import run_profile

SHOWN_STEPS = 6
"""A model's measurement table lists at most this many step counts (else five quantiles)."""


def main(args: ProfileArgs) -> dict:
    """Measure every missing cell; on the main process, fit the table unless --no-fit.

    Returns `run_profile`'s dict plus 'fits' (`fitrun.run_fit`'s list; empty without a fit)."""
    result = run_profile(args)
    result["fits"] = []
    if result["rank"] == 0 and args.fitting.fit:
        result["fits"] = fitrun.run_fit(args.fitting.fit_args(result["table"], args.protocol))
    return result


def summary(result: dict) -> Summary | None:
    """The measurements (medians over images) and the fits; None on processes other than the
    main one (they print nothing)."""
    if result["rank"] != 0:
        return None
    out = Summary()
    out.table(
        "measurements (medians over images; throughput rows at their batch size)",
        measurement_rows(result["table"]),
    )
    for warning in result.get("warnings", []):
        out.line(warning)
    out.line(
        f"{result['done']} cells measured, {result['skipped']} already done; "
        f"table: {result['table']}"
    )
    return fitrun.summary(result["fits"], into=out)


def _picks(steps: list) -> list:
    if len(steps) <= SHOWN_STEPS:
        return steps
    return [steps[len(steps) * q // 4] for q in range(4)] + [steps[-1]]


def measurement_rows(table_path: Path) -> list[dict]:
    """Per (model, protocol) and shown step count (n, N or t_T): medians of TV (both norms),
    hole PSNR, latency."""
    import pandas as pd

    df = pd.read_parquet(table_path)
    df = df[~df.is_warmup]
    rows = []
    for (model, protocol), sub in df.groupby(["model_id", "protocol"]):
        meas = sub[sub.record != "throughput"]
        for s in _picks(sorted(meas["step_n"].unique())):
            m = meas[meas["step_n"] == s]
            thr = sub[(sub.record == "throughput") & (sub.step_n == s)]
            rows.append(
                {
                    "model": str(model),
                    "protocol": protocol,
                    "N, n or t_T": str(s),
                    "rows": str(len(m)),
                    "tv_l1": f"{m.tv_l1.median():.4g}",
                    "tv_l2_pred": f"{m.tv_l2_pred.median():.4g}",
                    "psnr_hole_db_pred": f"{m.psnr_hole_db_pred.median():.3g}",
                    "latency_s": f"{m.latency_s.median():.3g}",
                    "UNet calls": str(int(m.unet_calls.median())),
                    "img/s (batch)": (
                        f"{thr.throughput_img_per_s.median():.3g} ({int(thr.batch_size.iloc[0])})"
                        if len(thr)
                        else ""
                    ),
                }
            )
    return rows
