"""`t2drl experiment NAME`: the paper's evaluation (7.3) as a resumable sweep (docs/experiments.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from t2drl_cli.main import app


@app.command("experiment")
def experiment(
    name: Annotated[
        str,
        typer.Argument(
            help="fig6a, fig6b, fig7, fig8, table3 (the paper's 7.3) or ablation (the default "
            "design with each change reverted)."
        ),
    ],
    quick: Annotated[
        bool,
        typer.Option(
            help="Quick form: 2 seeds, 8 episodes, 2 eval seeds, GA 20 x 10 (<= 10 min "
            "on 2 cores). Default: full form, 5 seeds x the preset's episodes (default 100, "
            "paper and tuned 500), 10 eval seeds."
        ),
    ] = False,
    preset: Annotated[str, typer.Option(help="Environment preset: paper or fitted.")] = "paper",
    hparams: Annotated[
        str,
        typer.Option(
            help="Learned agents' hyperparameters (rl/agents/presets.py): default, paper or tuned."
        ),
    ] = "default",
    env_seed: Annotated[
        int, typer.Option(help="Seed of the environment preset's model draw (every run).")
    ] = 0,
    seeds: Annotated[
        int | None, typer.Option(help="Training seeds per learned configuration.")
    ] = None,
    episodes: Annotated[int | None, typer.Option(help="Training episodes H per run.")] = None,
    eval_seeds: Annotated[
        str | None, typer.Option(help="Held-out evaluation seeds, e.g. 1000-1009 or 1,2,5.")
    ] = None,
    algo: Annotated[
        list[str] | None,
        typer.Option(
            help="Only these methods (repeatable): t2drl, ddpg-t2drl, ddpg, rcars, "
            "schrs, hcras, oracle."
        ),
    ] = None,
    grid: Annotated[
        str | None,
        typer.Option(help="Values of the swept variable, comma-separated (default: the paper's)."),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="Environment field for every run: --set n_frames=5. Repeatable."
        ),
    ] = None,
    executor: Annotated[str, typer.Option(help="ray or serial (in this process).")] = "ray",
    address: Annotated[
        str | None, typer.Option(help="Address of an existing Ray cluster (default: local).")
    ] = None,
    num_cpus: Annotated[
        int | None, typer.Option(help="CPUs of the local Ray instance (default: all available).")
    ] = None,
    out: Annotated[
        str | None,
        typer.Option(
            help="Experiment directory (default runs/experiments/<name>-<preset>[-quick])."
        ),
    ] = None,
    max_runs: Annotated[
        int | None, typer.Option(help="Stop after this many runs finish; rerun to continue.")
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar over runs.")] = True,
) -> None:
    """Run (or resume) one experiment of the paper's 7.3; writes runs/<id>.json per run, then
    <name>.csv, <name>.png and report.md (claims vs measurements, gaps to the oracle)."""
    from rl.experiments.sweep import ExperimentArgs, main
    from testbed.config import parse_set_options

    result = main(
        ExperimentArgs(
            name=name,
            quick=quick,
            preset=preset,
            hparams=hparams,
            env_seed=env_seed,
            seeds=seeds,
            episodes=episodes,
            eval_seeds=_eval_seeds(eval_seeds),
            algos=tuple(algo) if algo else None,
            grid=tuple(g.strip() for g in grid.split(",") if g.strip()) if grid else None,
            env_overrides=parse_set_options(set_ or []),
            executor=executor,
            address=address,
            num_cpus=num_cpus,
            out=out,
            max_runs=max_runs,
            progress=progress,
        ),
        echo=typer.echo,
    )
    typer.echo(summary_table(name, result))


def _eval_seeds(text: str | None) -> tuple[int, ...] | None:
    from rl.experiments.spec import ExperimentError
    from rl.harness.evaluate import EvaluationError, parse_seeds

    if text is None:
        return None
    try:
        return parse_seeds(text)
    except EvaluationError:
        raise ExperimentError(
            f"--eval-seeds expects comma-separated non-negative integers or ranges like "
            f"1000-1004, got '{text}'."
        ) from None


def summary_table(name: str, result: dict) -> str:
    """Short table: per method and swept value, the headline metric's mean [95% interval]."""
    from rl.experiments.markdown import ci_text
    from rl.experiments.rows import algos_of, x_text, xs_of
    from rl.experiments.spec import DISPLAY
    from rl.experiments.stats import mean_interval

    lines = [f"{result['out']}: {result['done']}/{result['total']} runs finished"]
    rows = result.get("rows") or []
    if not rows:
        return "\n".join(lines)
    metric = (
        "decision_time_ms"
        if name == "table3"
        else ("episode_reward" if name in ("fig6a", "fig6b") else "utility")
    )
    xs = xs_of(rows) or [None]
    lines.append(f"{metric}: " + "  ".join(x_text(x) if x is not None else "" for x in xs))
    for a in algos_of(rows):
        cells = [ci_text(*mean_interval(rows, a, x, metric)[:3]) for x in xs]
        lines.append(f"  {DISPLAY[a]:<24} " + " | ".join(cells))
    for p in result.get("written", []):
        lines.append(f"wrote {p}")
    return "\n".join(lines)
