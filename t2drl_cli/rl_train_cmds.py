"""`t2drl train`: train T2DRL, DDPG-based T2DRL or single-timescale DDPG (see docs/rl.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from t2drl_cli.main import app, bench_app


@app.command("train")
def train(
    algo: Annotated[str, typer.Option(help="t2drl, ddpg-t2drl or ddpg.")] = "t2drl",
    preset: Annotated[
        str,
        typer.Option(
            help="Hyperparameters (rl/agents/presets.py): default (reaches the oracle, docs/rl.md), "
            "paper (Table 2 / 7.1 verbatim) or tuned (the earlier default)."
        ),
    ] = "default",
    env_preset: Annotated[str, typer.Option(help="Environment: paper or fitted.")] = "paper",
    seed: Annotated[int, typer.Option(help="Training seed.")] = 0,
    episodes: Annotated[
        int | None,
        typer.Option(help="Episodes H (default: the preset's; default 100, paper and tuned 500)."),
    ] = None,
    out: Annotated[
        str | None,
        typer.Option(help="Run directory (default runs/<algo>-<preset>-<env-preset>-s<seed>)."),
    ] = None,
    env_seed: Annotated[int, typer.Option(help="Seed of the paper preset's model draw.")] = 0,
    fitted_file: Annotated[
        str | None, typer.Option(help="Fitted-models file for --env-preset fitted.")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override an environment field: --set n_users=18. Repeatable."),
    ] = None,
    n_envs: Annotated[
        int | None,
        typer.Option(help="Network copies stepped together (default: the preset's; default 8)."),
    ] = None,
    greedy_every: Annotated[
        int,
        typer.Option(
            help="Score the greedy policy on held-out seeds every N episodes (0: never); "
            "progress.csv greedy_* and TensorBoard greedy/*."
        ),
    ] = 10,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    compile: Annotated[
        bool,
        typer.Option(
            help="torch.compile the D3PG losses: ~15 % faster updates on CPU after ~20-40 s of "
            "compiling; needs a C++ compiler. A run resumes only with the same choice."
        ),
    ] = False,
    checkpoint_every: Annotated[int, typer.Option(help="Episodes between checkpoints.")] = 10,
    resume: Annotated[
        bool, typer.Option(help="Continue from the run directory's checkpoint if present.")
    ] = True,
    stop_after: Annotated[
        int | None, typer.Option(help="Stop after this many episodes in this call.")
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Train an agent; writes progress.csv, TensorBoard scalars, checkpoint.pt, policy.pt, run.json."""
    from rl.harness.train import TrainArgs, main
    from testbed.config import parse_set_options

    overrides = parse_set_options(set_ or [])
    if fitted_file is not None:
        overrides["fitted_file"] = fitted_file
    result = main(
        TrainArgs(
            algo=algo,
            preset=preset,
            env_preset=env_preset,
            env_seed=env_seed,
            env_overrides=overrides,
            seed=seed,
            episodes=episodes,
            out=out,
            n_envs=n_envs,
            greedy_every=greedy_every,
            device=device,
            compile=compile,
            checkpoint_every=checkpoint_every,
            resume=resume,
            stop_after=stop_after,
            progress=progress,
        )
    )
    hist = result["history"]
    if hist:
        last = hist[-1]
        typer.echo(
            f"{result['out']}: {result['episodes_done']} episodes; last episode reward "
            f"{last['episode_reward']:.3f}, hit ratio {last['hit_ratio']:.3f}, "
            f"utility {last['utility']:.3f}"
        )
    else:
        typer.echo(f"{result['out']}: nothing to do ({result['episodes_done']} episodes done).")


@bench_app.command("train")
def bench_train(
    algo: Annotated[
        list[str] | None, typer.Option(help="Repeatable; default t2drl and ddpg-t2drl.")
    ] = None,
    users: Annotated[
        list[int] | None, typer.Option(help="U values; default 10 12 14 16 18.")
    ] = None,
    slots: Annotated[int, typer.Option(help="Timed slots per decision-time cell.")] = 200,
    episodes: Annotated[int, typer.Option(help="Timed training episodes per algorithm.")] = 3,
    preset: Annotated[
        str, typer.Option(help="Hyperparameter preset for the throughput run.")
    ] = "default",
) -> None:
    """Decision time per slot (one thread), training throughput and the cost of one D3PG update
    at batch 32 (paper preset) vs 64 (tuned) vs 32 with --compile (side by side); goals
    printed, not asserted."""
    from rl.harness.bench_train import USERS, decision_time, train_throughput, update_time

    algos = algo or ["t2drl", "ddpg-t2drl"]
    for a in algos:
        cells = [f"U={u}: {decision_time(a, u, slots):.3f} ms" for u in users or USERS]
        typer.echo(f"decision time per slot, {a}: " + ", ".join(cells))
    typer.echo(
        "goal: T2DRL <= 1 ms per slot at U = 18 (paper Table 3: 1.272 ms on an RTX A5000 box)"
    )
    for a in algos:
        r = train_throughput(a, preset, episodes)
        typer.echo(
            f"training {a}/{preset}: {r['slots_per_s']:.1f} slots/s, {r['s_per_episode']:.2f} s per "
            f"episode; a full {preset} run (H = {r['episodes']} episodes of {r['n_envs']} "
            f"copies) extrapolated {r['run_min_extrapolated']:.1f} min"
        )
    typer.echo(
        "goals: a default run <= 5 CPU-minutes; paper-scale T2DRL (--preset paper) <= 15 min"
    )
    for a in algos:
        ms, errors = update_time(a)
        cells = ", ".join(f"{k}: {v:.2f} ms" for k, v in ms.items())
        base = ms["E = 32"]
        ratios = ", ".join(f"{k} / E = 32 = {v / base:.2f}" for k, v in ms.items() if k != "E = 32")
        typer.echo(f"D3PG update ({a}, side by side): {cells}; {ratios}")
        for k, why in errors.items():
            typer.echo(f"  {k} could not run: {why}")
