"""`t2drl check-config`, `t2drl simulate` and `t2drl bench testbed`."""

from __future__ import annotations

from typing import Annotated

import typer

from t2drl_cli.main import app, bench_app

ConfigFile = Annotated[
    str | None, typer.Argument(help="TOML or JSON file of config fields (optional).")
]
PresetOpt = Annotated[str | None, typer.Option(help="Preset: paper or fitted (default: paper).")]
SeedOpt = Annotated[int | None, typer.Option(help="Seed of the paper preset's model draw.")]
FittedOpt = Annotated[
    str | None,
    typer.Option(
        "--fitted-file",
        help="Fitted-models JSON for the fitted preset (path, or a bundled name like 'paper').",
    ),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set", help="Override a field: --set n_users=18 (values parsed as JSON). Repeatable."
    ),
]


def _config(file, preset, seed, fitted_file, sets):
    from testbed.config import config_from_sources

    return config_from_sources(
        file=file, sets=sets, preset=preset, seed=seed, fitted_file=fitted_file
    )


@app.command("check-config")
def check_config(
    file: ConfigFile = None,
    preset: PresetOpt = None,
    seed: SeedOpt = None,
    fitted_file: FittedOpt = None,
    set_: SetOpt = None,
) -> None:
    """Validate a configuration, print it, and warn about settings that make the problem degenerate."""
    from rich.console import Console
    from rich.table import Table

    from testbed.checks import degeneracy_warnings

    cfg = _config(file, preset, seed, fitted_file, set_)
    console = Console()
    table = Table(title=f"EdgeConfig (preset {cfg.preset}, seed {cfg.seed})", show_lines=False)
    table.add_column("field")
    table.add_column("value")
    for name, value in cfg.to_dict().items():
        if name == "notes":
            continue
        text = (
            ", ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in value)
            if isinstance(value, list)
            else str(value)
        )
        table.add_row(name, text)
    console.print(table)
    for note in cfg.notes:
        console.print(f"note: {note}")
    warnings = degeneracy_warnings(cfg)
    for w in warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")
    console.print(f"config is valid ({len(warnings)} warning{'s' if len(warnings) != 1 else ''}).")


@app.command("simulate")
def simulate(
    file: ConfigFile = None,
    preset: PresetOpt = None,
    seed: SeedOpt = None,
    fitted_file: FittedOpt = None,
    set_: SetOpt = None,
    episodes: Annotated[int, typer.Option(help="Independent episodes (stepped together).")] = 20,
    sim_seed: Annotated[int, typer.Option(help="Seed of the simulation's randomness.")] = 0,
) -> None:
    """Short simulation with random caching and equal allocation (RCARS); prints the metrics."""
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from common.stats import t_interval
    from testbed.config import ConfigError
    from testbed.simulate import simulate_random_equal

    if episodes < 2:
        raise ConfigError(
            f"--episodes must be at least 2 (for a confidence interval), got {episodes}."
        )
    cfg = _config(file, preset, seed, fitted_file, set_)
    console = Console()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("simulating frames", total=cfg.n_frames)
        summary = simulate_random_equal(
            cfg, episodes, sim_seed, lambda f: progress.update(task, completed=f)
        )
    table = Table(
        title=f"Random caching + equal allocation: {cfg.preset} preset, U = {cfg.n_users}, "
        f"M = {cfg.n_models}, {episodes} episodes of {cfg.n_frames}x{cfg.n_slots} slots"
    )
    table.add_column("metric")
    table.add_column("mean", justify="right")
    table.add_column("95% CI", justify="right")
    rows = (
        ("model hit ratio", summary.hit_ratio),
        ("utility (11), lower is better", summary.utility),
        ("share of requests violating (11h)", summary.violation_share),
        ("slot reward (23)", summary.slot_reward),
        ("frame reward (32)", summary.frame_reward),
    )
    for name, values in rows:
        mean, lo, hi = t_interval(values)
        table.add_row(name, f"{mean:.4g}", f"[{lo:.4g}, {hi:.4g}]")
    console.print(table)


@bench_app.command("testbed")
def bench_testbed(
    users: Annotated[int, typer.Option(help="U, users per copy.")] = 18,
    batches: Annotated[
        str, typer.Option(help="Comma-separated batch sizes (copies).")
    ] = "64,1024,8192",
) -> None:
    """User-slot evaluations/s of the pure function and of full batched steps, on one core."""
    from rich.console import Console
    from rich.table import Table
    from threadpoolctl import threadpool_limits

    from testbed.bench import bench_full_step, bench_gym_env, bench_pure
    from testbed.config import ConfigError, build_config

    try:
        sizes = [int(x) for x in batches.split(",")]
    except ValueError:
        raise ConfigError(f"--batches must be comma-separated integers, got '{batches}'.") from None
    cfg = build_config("paper", 0, {"n_users": users})
    table = Table(title=f"Testbed throughput, paper preset, U = {users}, one thread")
    for col in (
        "copies",
        "pure evaluate_slot [user-slots/s]",
        "full step incl. sampling [user-slots/s]",
    ):
        table.add_column(col, justify="right")
    with threadpool_limits(1):
        for n in sizes:
            table.add_row(str(n), f"{bench_pure(cfg, n):.3g}", f"{bench_full_step(cfg, n):.3g}")
        gym_rate = bench_gym_env(cfg)
    console = Console()
    console.print(table)
    console.print(f"gymnasium slot env (one copy, info dicts included): {gym_rate:.0f} steps/s")
    console.print("goals: >= 1e6 user-slot evaluations/s (pure), >= 1e5 user-slots/s (full step)")
