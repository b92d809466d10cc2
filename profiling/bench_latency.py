"""Latency repeatability benchmark (`t2drl bench latency`): is eq. (8)'s B1 a property of the
model and the machine, or of the neighbours?

The models are profiled twice in one process (trajectory protocol, `BenchLatencyArgs.steps`
steps, a few images): once quiet, once beside one busy core (`profiling.busy.BusyCore`), with
this process pinned away from that core both times. B1 is fitted per model from every clock
(`profiling.clocks`). Printed as ratios, goals not asserted: B1(busy) / B1(quiet) within 10 %
per model, and max / min of B1 across the models (the zoo's four share one architecture)
within 10 %, for the default clock.
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

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


def main(args: BenchLatencyArgs) -> dict:
    """Both runs and their fits: {'b1': {phase: {model: {clock: B1}}}, 'load': {phase: (before,
    after)}, 'clocks', 'default_clock', 'models', 'busy_core', 'cores', 'device', 'cpu',
    'steps', 'images'}."""
    if args.steps < 2 or args.num_images < 1 or args.busy_size < 1:
        raise ProfilingError(
            "--steps must be at least 2 and --num-images and --busy-size at least 1, got "
            f"{args.steps}, {args.num_images} and {args.busy_size}."
        )
    device = resolve_device(args.device)
    models = expand_models(list(args.models))
    names = _clocks_for(device)
    cores, busy_core = busy.split_cores()
    b1, load, default = {}, {}, None
    with busy.pinned(cores):
        for phase in PHASES:
            out = Path(args.workdir) / phase
            _clear(out)
            before = load_average()
            load_cm = busy.BusyCore(busy_core, args.busy_size) if phase == "busy" else nullcontext()
            with load_cm:
                result = run_profile(_profile_args(args, models, out))
            load[phase] = (before, load_average())
            df = table.read_measurements(result["table"])
            b1[phase] = fit_b1(df, names)
            default = default or clocks.resolve_clock(clocks.AUTO, df[df.record == "step"])[0]
    return {
        "b1": b1,
        "load": load,
        "clocks": names,
        "default_clock": default,
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
        f"B1 [ms/step] of eq. (8) per model and clock: {result['device']} ({result['cpu']}), "
        f"N = {result['steps']} steps x {result['images']} images, quiet run then busy run"
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
            f"1-minute load average: quiet run {_load(q0)} -> {_load(q1)}, busy run {_load(b0)} "
            f"-> {_load(b1)}; {cores}."
        )
    )


def _worst(r: dict, result: dict, clock: str) -> float:
    """The busy / quiet ratio furthest from 1 over the models."""
    return max((r["busy_over_quiet"][m][clock] for m in result["models"]), key=lambda v: abs(v - 1))


def _load(value) -> str:
    return "?" if value is None else f"{value:.2f}"
