"""`t2drl validate`: closed-loop validation of the fitted curves on a policy's decisions."""

from __future__ import annotations

from typing import Annotated

import typer

from t2drl_cli.main import app


def _fmt(x: float | None, spec: str = ".1f") -> str:
    import math

    return "-" if x is None or not math.isfinite(x) else format(x, spec)


@app.command("validate")
def validate_cmd(
    checkpoint: Annotated[
        str | None,
        typer.Option(
            help="Trained agent (run directory or policy.pt), trained on --env-preset fitted."
        ),
    ] = None,
    algo: Annotated[
        str | None, typer.Option(help="Instead of a checkpoint: baseline rcars, schrs or hcras.")
    ] = None,
    fitted: Annotated[
        str, typer.Option(help="Fitted-models file (path or bundled name) the env was built from.")
    ] = "zoo-cpu",
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="With --algo: env override name=value (as t2drl evaluate)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Episode seed (as t2drl evaluate --seeds).")] = 100,
    frames: Annotated[int, typer.Option(help="Frames sampled, evenly spaced over T.")] = 4,
    slots: Annotated[int, typer.Option(help="Slots sampled per sampled frame (seeded).")] = 3,
    quick: Annotated[
        bool, typer.Option("--quick", help="2 frames x 2 slots (<= 10 min on a 2-core CPU).")
    ] = False,
    mask: Annotated[
        str | None, typer.Option(help="Mask family (default: the fit's, from its table).")
    ] = None,
    trajectory_steps: Annotated[
        int | None,
        typer.Option(help="N of the trajectory schedule (default: the fit's, else 250)."),
    ] = None,
    device: Annotated[str, typer.Option(help="Torch device of the generations.")] = "cpu",
    threads: Annotated[int, typer.Option(help="torch threads (profiling used 1).")] = 1,
    grid: Annotated[int, typer.Option(help="Requests shown in grid.png.")] = 8,
    out: Annotated[str, typer.Option(help="Output folder.")] = "runs/validate",
    resume: Annotated[
        bool,
        typer.Option("--resume/--no-resume", help="Skip requests already in out/requests.csv."),
    ] = True,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
) -> None:
    """Replay a policy's decisions on the fitted env with real inpainting runs; compare the
    fitted TV (7) and delay (8) with measurements, per model."""
    from rich.console import Console
    from rich.table import Table

    from validation.args import ValidateArgs
    from validation.closed_loop import main

    args = ValidateArgs(
        checkpoint=checkpoint,
        algo=algo,
        fitted=fitted,
        sets=list(set_ or []),
        seed=seed,
        frames=frames,
        slots=slots,
        quick=quick,
        mask=mask,
        trajectory_steps=trajectory_steps,
        device=device,
        threads=threads,
        grid=grid,
        out=out,
        resume=resume,
        progress=progress,
    )
    summary = main(args)
    ov = summary["overall"]
    table = Table(
        title=f"{summary['run']['policy']}: {ov['requests']} requests "
        f"({ov['edge_requests']} edge, {ov['cloud_requests']} cloud) in {ov['slots']} slots"
    )
    for col in (
        "model",
        "requests",
        "TV MAPE (bias) %",
        "delay MAPE (bias) %",
        "G sim / meas.",
        "(11h) sim / meas.",
    ):
        table.add_column(col, justify="left" if col == "model" else "right")
    for r in (r for r in summary["per_model"] if r["served"] == "all"):
        table.add_row(
            r["model_id"],
            str(r["requests"]),
            f"{_fmt(r['tv_mape'])} ({_fmt(r['tv_bias'], '+.1f')})",
            f"{_fmt(r['delay_mape'])} ({_fmt(r['delay_bias'], '+.1f')})",
            f"{_fmt(r['sim_utility'], '.4g')} / {_fmt(r['meas_utility'], '.4g')}",
            f"{_fmt(r['sim_violation_share'], '.2f')} / {_fmt(r['meas_violation_share'], '.2f')}",
        )
    console = Console()
    console.print(table)
    console.print(
        f"utility (10) over slots: simulated {ov['sim_utility']:.5g}, measured "
        f"{ov['meas_utility']:.5g}; (11h): simulated {ov['sim_violation_share']:.3f}, measured "
        f"{ov['meas_violation_share']:.3f}"
    )
    console.print(f"wrote {out}/summary.md, {out}/requests.csv and the PNGs beside them")
