"""Latency repeatability benchmark (`t2drl bench latency`): is eq. (8)'s B1 a property of the
model and the machine, or of the neighbours?

Each model is profiled twice in a row in one process (trajectory protocol,
`BenchLatencyArgs.steps` steps, a few images): once quiet, then beside one busy core
(`profiling.busy.BusyCore`), with this process pinned away from that core both times; model by
model, so that the two runs compared are seconds apart. B1 is fitted per model from every clock
(`profiling.clocks`); with `--rounds` above 1, the median over the rounds. Printed as ratios, goals not asserted: B1(busy) / B1(quiet) within 10 %
per model, and max / min of B1 across the models (the zoo's four share one architecture)
within 10 %, for the default clock.
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import numpy as np

from common.device import resolve_device
from common.provenance import cpu_name, load_average
from common.summary import Summary
from profiling import busy, clocks, table
from profiling.args import BenchLatencyArgs, ProfileArgs
from profiling.errors import ProfilingError
from profiling.fitrun import FitAfterArgs
from profiling.fitting import fit_delay
from profiling.sweep import expand_models, run_profile

PHASES = ("quiet", "busy")
GOAL = 0.10
"""Relative agreement asked of B1 between the runs and across the models."""


def _clocks_for(device) -> tuple[str, ...]:
    return ("wall", "cuda", "envelope") if device.type == "cuda" else ("wall", "cpu", "envelope")


def _clear(out: Path) -> None:
    """A fresh measurement: the runs' own table and parts go (the sweep would resume them)."""
    for path in [out / table.TABLE, *(out / table.PARTS).glob("part-*.parquet")]:
        path.unlink(missing_ok=True)


def _profile_args(args: BenchLatencyArgs, models: list[str], out: Path) -> ProfileArgs:
    return ProfileArgs(
        models=tuple(models),
        protocol="trajectory",
        trajectory_steps=args.steps,
        num_images=args.num_images,
        throughput=False,
        warmup=args.warmup,
        device=args.device,
        cpu_threads=args.cpu_threads,
        out=out,
        progress=False,
        fitting=FitAfterArgs(fit=False),
    )


def fit_b1(df, clock_names: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """{model id: {clock: B1 (s/step)}} of a trajectory table (warm-up rows left out)."""
    rows = df[~df.is_warmup.astype(bool) & (df.record == "step")]
    out: dict[str, dict[str, float]] = {}
    for model_id, m in rows.groupby("model_id", sort=True):
        groups = (m.image_id.astype(str) + "|" + m.seed.astype(str)).to_numpy()
        out[str(model_id)] = {
            c: fit_delay(m.step_n, clocks.delay_values(m, c), groups, n_boot=0).params[
                "B1_s_per_step"
            ]
            for c in clock_names
        }
    return out


def _check(args: BenchLatencyArgs) -> None:
    for option, value, least in (
        ("steps", args.steps, 2),
        ("num-images", args.num_images, 1),
        ("busy-size", args.busy_size, 1),
        ("rounds", args.rounds, 1),
    ):
        if value < least:
            raise ProfilingError(f"--{option} must be at least {least}, got {value}.")


def _round(args, models, names, busy_core, loads) -> dict:
    """One round: every model quiet then busy; {phase: {model: {clock: B1}}}."""
    for phase in PHASES:
        _clear(Path(args.workdir) / phase)
    for spec in models:
        for phase in PHASES:
            before = load_average()
            load_cm = busy.BusyCore(busy_core, args.busy_size) if phase == "busy" else nullcontext()
            with load_cm:
                run_profile(_profile_args(args, [spec], Path(args.workdir) / phase))
            loads[phase] += [before, load_average()]
    tables = {p: table.read_measurements(Path(args.workdir) / p / table.TABLE) for p in PHASES}
    return {p: fit_b1(df, names) for p, df in tables.items()} | {"table": tables["quiet"]}


def main(args: BenchLatencyArgs) -> dict:
    """The runs and their fits: {'b1': {phase: {model: {clock: B1}}} (median over the rounds),
    'load': {phase: (lowest, highest) 1-minute load average around its runs}, 'clocks',
    'default_clock', 'models', 'busy_core', 'cores', 'device', 'cpu', 'steps', 'images',
    'rounds'}."""
    _check(args)
    device = resolve_device(args.device)
    models = expand_models(list(args.models))
    names = _clocks_for(device)
    cores, busy_core = busy.split_cores()
    loads: dict[str, list] = {p: [] for p in PHASES}
    with busy.pinned(cores):
        rounds = [_round(args, models, names, busy_core, loads) for _ in range(args.rounds)]
    steps = rounds[0]["table"][rounds[0]["table"].record == "step"]
    b1 = {
        p: {
            m: {c: float(np.median([r[p][m][c] for r in rounds])) for c in names}
            for m in rounds[0][p]
        }
        for p in PHASES
    }
    known = {p: [v for v in loads[p] if v is not None] for p in PHASES}
    return {
        "b1": b1,
        "load": {p: (min(v), max(v)) if v else (None, None) for p, v in known.items()},
        "rounds": args.rounds,
        "clocks": names,
        "default_clock": clocks.resolve_clock(clocks.AUTO, steps)[0],
        "models": list(b1["quiet"]),
        "busy_core": busy_core,
        "cores": sorted(cores) if cores else None,
        "device": str(device),
        "cpu": cpu_name(),
        "steps": args.steps,
        "images": args.num_images,
    }


def ratios(result: dict) -> dict:
    """{'busy_over_quiet': {model: {clock: r}}, 'spread': {phase: {clock: max/min over models}}}."""
    b1 = result["b1"]
    return {
        "busy_over_quiet": {
            m: {c: b1["busy"][m][c] / b1["quiet"][m][c] for c in result["clocks"]}
            for m in result["models"]
        },
        "spread": {
            phase: {
                c: max(v[c] for v in b1[phase].values()) / min(v[c] for v in b1[phase].values())
                for c in result["clocks"]
            }
            for phase in PHASES
        },
    }


def _verdict(ok: bool) -> str:
    return "met" if ok else "missed"


def summary(result: dict) -> Summary:
    """B1 per model and clock in both runs with busy / quiet; the spread across models per
    clock; the goal for the default clock; the load averages."""
    r = ratios(result)
    default = result["default_clock"]
    shown = {c: f"{c} (default)" if c == default else c for c in result["clocks"]}
    per_model = [
        {
            "model": m,
            "clock": shown[c],
            "B1 quiet": f"{1e3 * result['b1']['quiet'][m][c]:.3f}",
            "B1 busy": f"{1e3 * result['b1']['busy'][m][c]:.3f}",
            "busy / quiet": f"{r['busy_over_quiet'][m][c]:.3f}",
        }
        for m in result["models"]
        for c in result["clocks"]
    ]
    per_clock = [
        {
            "clock": shown[c],
            "busy / quiet, worst model": f"{_worst(r, result, c):.3f}",
            "max / min across models, quiet": f"{r['spread']['quiet'][c]:.3f}",
            "max / min across models, busy": f"{r['spread']['busy'][c]:.3f}",
        }
        for c in result["clocks"]
    ]
    worst = _worst(r, result, default)
    spread = max(r["spread"][p][default] for p in PHASES)
    title = (
        f"B1 (ms/step) of eq. (8) per model and clock: {result['device']} ({result['cpu']}), "
        f"N = {result['steps']} steps x {result['images']} images, each model quiet then busy"
        + (f", median of {result['rounds']} rounds" if result["rounds"] > 1 else "")
    )
    cores = (
        f"this process on cores {result['cores']}, the busy load on core {result['busy_core']}"
        if result["busy_core"] is not None
        else "one core: the busy load shares it"
    )
    (q0, q1), (b0, b1) = result["load"]["quiet"], result["load"]["busy"]
    return (
        Summary()
        .table(title, per_model)
        .table("ratios per clock (goal: within 10 %, i.e. in [0.90, 1.10] and <= 1.10)", per_clock)
        .line(
            f"goal for the default clock ({default}): busy / quiet within 10 % for every model: "
            f"{_verdict(abs(worst - 1) <= GOAL)} (worst {worst:.3f}); max / min across the "
            f"models within 10 %: {_verdict(spread <= 1 + GOAL)} ({spread:.3f})."
        )
        .line(
            f"1-minute load average around the runs: quiet {_load(q0)}-{_load(q1)}, busy "
            f"{_load(b0)}-{_load(b1)}; {cores}."
        )
    )


def _worst(r: dict, result: dict, clock: str) -> float:
    """The busy / quiet ratio furthest from 1 over the models."""
    return max((r["busy_over_quiet"][m][clock] for m in result["models"]), key=lambda v: abs(v - 1))


def _load(value) -> str:
    return "?" if value is None else f"{value:.2f}"
