"""`t2drl evaluate` (baselines and trained agents on held-out seeds) and `t2drl bench rl`."""

from __future__ import annotations

from typing import Annotated

import typer

from t2drl_cli.main import app, bench_app

PresetOpt = Annotated[
    str | None, typer.Option(help="Config preset: paper or fitted (default paper).")
]
FittedOpt = Annotated[
    str | None,
    typer.Option(
        "--fitted-file", help="Fitted-models JSON for the fitted preset (path or bundled name)."
    ),
]
ConfigOpt = Annotated[
    str | None, typer.Option("--config", help="TOML or JSON file of config fields.")
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a config field: --set n_users=18 (values parsed as JSON). Repeatable.",
    ),
]
PopOpt = Annotated[int, typer.Option("--pop-size", help="GA population size (SCHRS, HCRAS).")]
GenOpt = Annotated[
    int, typer.Option("--generations", help="GA generations per slot (SCHRS, HCRAS).")
]
PenaltyOpt = Annotated[
    bool,
    typer.Option(
        "--ga-penalty/--no-ga-penalty",
        help="GA fitness adds the (11h) penalty chi as in (23) (default) or scores (12) alone.",
    ),
]


def _ga(pop_size: int, generations: int, penalty: bool):
    from rl.baselines.ga import GAConfig

    return GAConfig(pop_size=pop_size, n_gen=generations, penalty=penalty)


def _fmt(x: float | None, digits: int = 4) -> str:
    if x is None:
        return "-"
    return f"{x:.{digits}g}"


@app.command("evaluate")
def evaluate_cmd(
    algo: Annotated[
        str | None, typer.Option(help="Baseline: rcars, schrs, hcras or oracle.")
    ] = None,
    checkpoint: Annotated[
        str | None,
        typer.Option(help="Trained agent checkpoint (loaded by rl.registry.load_policy)."),
    ] = None,
    seeds: Annotated[
        str, typer.Option(help="Held-out seeds: comma-separated and/or ranges, e.g. 100-104.")
    ] = "100,101,102,103,104",
    episodes: Annotated[int, typer.Option(help="Episodes (T x K slots) per seed.")] = 1,
    preset: PresetOpt = None,
    fitted_file: FittedOpt = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
    pop_size: PopOpt = 40,
    generations: GenOpt = 50,
    ga_penalty: PenaltyOpt = True,
    out: Annotated[
        str | None, typer.Option(help="Write JSON here and CSV beside it (same stem, .csv).")
    ] = None,
) -> None:
    """Evaluate a baseline or a trained agent on held-out seeds: mean and 95% t-interval over seeds."""
    from rich.console import Console
    from rich.table import Table

    from rl.harness.evaluate import METRICS, EvaluateArgs, main, parse_seeds

    console = Console()
    args = EvaluateArgs(
        algo=algo,
        checkpoint=checkpoint,
        seeds=parse_seeds(seeds),
        episodes=episodes,
        preset=preset,
        fitted_file=fitted_file,
        config_file=config,
        sets=list(set_ or []),
        ga=_ga(pop_size, generations, ga_penalty),
        out=out,
    )

    def on_seed(seed, row):
        console.print(
            f"seed {seed}: utility {row['utility']:.4g}, hit ratio {row['hit_ratio']:.3f}, "
            f"{row['decision_time_ms']:.3g} ms/slot"
        )

    doc = main(args, on_seed=on_seed)
    res = doc["result"]
    cfg = res["config"]
    table = Table(
        title=f"{res['algo']} on {cfg['preset']} preset, U = {cfg['n_users']}, "
        f"{len(res['seeds'])} seeds x {res['n_episodes_per_seed']} episode(s)"
    )
    for col in ("metric", "mean", "95% CI low", "95% CI high"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for key, m in res["metrics"].items():
        table.add_row(METRICS[key], _fmt(m["mean"]), _fmt(m["ci95_low"]), _fmt(m["ci95_high"]))
    console.print(table)
    if len(res["seeds"]) < 2:
        console.print("note: one seed gives no confidence interval; pass two or more --seeds.")
    if "written" in doc:
        console.print(f"wrote {doc['written'][0]} and {doc['written'][1]}")


@bench_app.command("rl")
def bench_rl(
    users: Annotated[
        str, typer.Option(help="Comma-separated numbers of users.")
    ] = "10,12,14,16,18",
    algos: Annotated[
        str, typer.Option(help="Comma-separated: t2drl, ddpg-t2drl, schrs, hcras, rcars, oracle.")
    ] = "t2drl,ddpg-t2drl,schrs,hcras,rcars",
    slots: Annotated[int, typer.Option(help="Timed slots per algorithm and U.")] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the simulated slots and policies.")] = 0,
    preset: PresetOpt = None,
    fitted_file: FittedOpt = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
    pop_size: PopOpt = 40,
    generations: GenOpt = 50,
    out: Annotated[str | None, typer.Option(help="Write the rows as JSON here.")] = None,
) -> None:
    """Decision time per slot (ms, one CPU thread) vs number of users, like the paper's Table 3."""
    from pathlib import Path

    from rich.console import Console
    from rich.table import Table

    from common.io import write_json
    from common.provenance import provenance
    from rl.harness.bench import DISPLAY, BenchArgs, BenchError, main

    try:
        user_list = tuple(int(u) for u in users.split(",") if u.strip())
    except ValueError:
        raise BenchError(f"--users expects comma-separated integers, got '{users}'.") from None
    console = Console()
    args = BenchArgs(
        users=user_list,
        algos=tuple(a.strip().lower() for a in algos.split(",") if a.strip()),
        slots=slots,
        seed=seed,
        preset=preset,
        fitted_file=fitted_file,
        config_file=config,
        sets=list(set_ or []),
        ga=_ga(pop_size, generations, True),
    )
    doc = main(
        args,
        on_row=lambda r: console.print(
            f"{DISPLAY[r['algo']]}, U = {r['n_users']}: {r['decision_time_ms']:.4g} ms/slot"
        ),
    )
    table = Table(title="Decision time per slot in ms (ratio to DDPG-based T2DRL)")
    table.add_column("algorithm")
    for u in args.users:
        table.add_column(f"U = {u}", justify="right")
    for algo in args.algos:
        cells = {r["n_users"]: r for r in doc["rows"] if r["algo"] == algo}
        if not cells:
            continue
        row = []
        for u in args.users:
            r = cells[u]
            ratio = r["ratio_to_ddpg_t2drl"]
            text = f"{r['decision_time_ms']:.4g}"
            if ratio is not None:
                text += f" ({ratio:.0f}x)" if ratio >= 100 else f" ({ratio:.3g}x)"
            row.append(text)
        table.add_row(DISPLAY[algo], *row)
    console.print(table)
    s = doc["settings"]
    console.print(
        f"{s['slots']} timed slots each after 1 warm-up; torch threads 1; GA pop {args.ga.pop_size} "
        f"x {args.ga.n_gen} generations; CPU: {s['cpu']}; load average before/after: "
        f"{s['load_before']} / {s['load_after']}"
    )
    if out:
        doc["provenance"] = provenance()
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        write_json(out, doc, indent=2)
        console.print(f"wrote {out}")
