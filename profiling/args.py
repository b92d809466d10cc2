"""What a profiling campaign is asked to do (`ProfileArgs`, every field a `profile-models`
option), the loop benchmark's options (`BenchLoopArgs`), and the checks of those settings
before any model is loaded. Light: no torch, so `t2drl --help` stays fast."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from common.cli_types import CommaInts, Repeatable, renamed, short
from profiling.errors import ProfilingError
from profiling.fitrun import FitAfterArgs, check_fit_settings
from profiling.models import ModelInfo

PROTOCOLS = ("trajectory", "respaced", "start")
GROUPS = {"both": ("trajectory", "respaced"), "all": PROTOCOLS}
"""`--protocol` names of several protocols (`both` as before `start` existed)."""


@dataclass
class ProfileArgs:
    """Settings of one profiling campaign (every field is a CLI option of `profile-models`).

    The defaults are the README's main job: the bundled zoo, 8 held-out images per model, the
    trajectory protocol, written to runs/zoo-cpu and fitted to fitted_models/zoo-cpu.json."""

    models: Annotated[Repeatable[tuple[str, ...]], renamed("model"), short("-m")] = ()
    """Model folder, hub id (`google/ddpm-ema-celebahq-256`), `zoo:<domain>`, `zoo` (every
    bundled zoo model) or `builtin:tiny` (a random 32x32 UNet); repeatable. None given: `zoo`."""
    protocol: str = "all"
    """`all` (the three, side by side in one PNG), `trajectory`, `respaced`, `start` or `both`
    (trajectory and respaced); see docs/profiling.md."""
    trajectory_steps: int = 250
    """N of the one full schedule a trajectory run follows (metrics after every reverse step n)."""
    respaced_steps: CommaInts = (10, 25, 50, 100, 250)
    """The N grid of the respaced protocol (one complete run per N)."""
    start_steps: int = 250
    """N of the start protocol's schedule (RePaint's t_T sweep; timestep spacing 1000 // N)."""
    start_grid: CommaInts = tuple(range(10, 251, 10))
    """The t_T grid of the start protocol, each in 1..--start-steps: one run per t_T, from pure
    noise at respaced index t_T - 1 down to 0."""
    images: str = "auto"
    """`auto` (a zoo model's own held-out set, else `synthetic`), `synthetic`, `digits`,
    `zoo:<domain>`, or a folder of images of the model's size."""
    num_images: int = 8
    """Images taken from the source."""
    start_images: int | None = 2
    """Images of the start protocol: the first of the --num-images (a start run is a whole
    chain per t_T, so the default job measures it on 2 of them); None: all."""
    masks: str = "thick"
    """Comma-separated mask families (thick, thin, half, ev2li, sr2, box) or a folder of mask PNGs."""
    mask_seed: int = 0
    """Seed of the generated masks."""
    seeds: CommaInts = (0,)
    """Noise seeds; image i with seed s always starts from the same noise, whatever N."""
    batch: int = 4
    """Batch size of the separate throughput measurement (latency is always measured at batch 1)."""
    throughput: bool = True
    """Measure batched throughput per step count."""
    dtype: str = "fp32"
    """UNet dtype: fp32, fp16 or bf16 (the sample stays fp32)."""
    device: str = "auto"
    """`auto` (cuda if available), `cpu`, `cuda`, `cuda:1`, ..."""
    channels_last: bool = False
    """UNet in channels_last memory format."""
    compile: bool = False
    """Wrap the UNet in torch.compile (warm-up absorbs compilation)."""
    jump_length: int = 10
    """RePaint j."""
    jump_n_sample: int = 1
    """RePaint r (10 in the RePaint paper; 1 = no resampling, the fast default)."""
    eta: float = 1.0
    """1 = DDPM-style sampling as in RePaint's own code; 0 = DDIM-like."""
    warmup: int = 1
    """Warm-up generations per model and process (recorded with is_warmup = true)."""
    cpu_threads: int = 1
    """torch threads on CPU (1 gives stable timings on shared machines; 0 = torch's default)."""
    out: Path = Path("runs/zoo-cpu")
    """Campaign folder: parts/, measurements.parquet, models written for builtin:tiny (rerun
    to resume)."""
    campaign: str | None = None
    """Campaign name (default: the output folder's name)."""
    progress: bool = True
    """Show a progress bar."""
    fitting: FitAfterArgs = field(default_factory=FitAfterArgs)
    """The fit at the end (`fit-models` on this campaign's table)."""


@dataclass
class BenchLoopArgs:
    """Settings of `t2drl bench loop` (`profiling.bench.main`)."""

    model: Annotated[str, short("-m")] = "builtin:tiny"
    """Model folder, hub id, `zoo:<domain>` or `builtin:tiny`."""
    steps: CommaInts = (10, 50)
    """Step counts N."""
    batch: int = 4
    """Batch size of the images/s measurement (batch 1 is always measured)."""
    repeats: int = 3
    """Timed repeats per (N, batch); the best is reported."""
    device: str = "auto"
    """`auto` (cuda if available), `cpu`, `cuda`, ..."""
    dtype: str = "fp32"
    """UNet dtype: fp32, fp16 or bf16."""
    cpu_threads: int = 1
    """torch threads on CPU (0 = torch's default)."""
    workdir: Path = Path("runs/bench")
    """Where builtin:tiny is written."""


def validate(args: ProfileArgs) -> None:
    if args.protocol not in (*PROTOCOLS, *GROUPS):
        raise ProfilingError(
            f"protocol '{args.protocol}' is not one of {', '.join((*PROTOCOLS, *GROUPS))}."
        )
    for name, values in (
        ("trajectory-steps", [args.trajectory_steps]),
        ("respaced-steps", args.respaced_steps),
        ("start-steps", [args.start_steps]),
    ):
        if not values or any(v <= 0 for v in values):
            raise ProfilingError(f"--{name} must be positive step counts, got {list(values)}.")
    for name, value in (
        ("batch", args.batch),
        ("jump-length", args.jump_length),
        ("jump-n-sample", args.jump_n_sample),
        ("num-images", args.num_images),
        ("start-images", 1 if args.start_images is None else args.start_images),
    ):
        if value < 1:
            raise ProfilingError(f"--{name} must be at least 1, got {value}.")
    if not 0.0 <= args.eta <= 1.0:
        raise ProfilingError(f"--eta must be in [0, 1], got {args.eta}.")
    if not args.seeds:
        raise ProfilingError("--seeds must list at least one seed.")
    outside = sorted({t for t in args.start_grid if not 1 <= t <= args.start_steps})
    if "start" in protocols(args) and (outside or not args.start_grid):
        raise ProfilingError(
            f"--start-grid must list t_T values in 1..{args.start_steps} (--start-steps), got {outside or '[]'}."
        )
    f = args.fitting
    check_fit_settings(f.tv_column, f.n_boot, f.delay_clock)


def check_steps(args: ProfileArgs, info: ModelInfo) -> None:
    steps = {"trajectory": [args.trajectory_steps], "respaced": list(args.respaced_steps)}
    steps["start"] = [args.start_steps]
    for protocol in protocols(args):
        for n in steps[protocol]:
            if n > info.num_train_timesteps:
                raise ProfilingError(
                    f"step count {n} (--{protocol}-steps) exceeds the model's {info.num_train_timesteps} training timesteps ('{info.checkpoint}')."
                )


def protocols(args: ProfileArgs) -> tuple[str, ...]:
    """The protocols a campaign runs, in `PROTOCOLS` order."""
    return GROUPS.get(args.protocol, (args.protocol,))


@dataclass
class BenchLatencyArgs:
    """Settings of `t2drl bench latency` (`profiling.bench_latency.main`): each model profiled
    twice (trajectory protocol, no throughput), quiet and then beside one busy core, and eq.
    (8)'s B1 fitted per model from every clock (docs/profiling.md, "Which clock")."""

    models: Annotated[Repeatable[tuple[str, ...]], renamed("model"), short("-m")] = ()
    """Model folder, hub id, `zoo:<domain>`, `zoo` or `builtin:tiny`; repeatable. None given:
    `zoo` (its four models share one architecture, so their B1 should agree)."""
    steps: int = 100
    """N of each image's trajectory run; B1 is fitted over n = 1..N."""
    num_images: int = 2
    """Images per model (each a trajectory curve)."""
    warmup: int = 1
    """Warm-up generations per model and run (not fitted)."""
    busy_size: int = 256
    """Side of the float64 matrices the busy process multiplies (256: 0.5 MiB each)."""
    rounds: int = 9
    """Rounds of (every model quiet, then busy); B1 is the median over the rounds (on a shared
    VM one round's B1 moves by 10-15 % with the host's drift alone, docs/benchmarks.md)."""
    device: str = "auto"
    """`auto` (cuda if available), `cpu`, `cuda`, ..."""
    cpu_threads: int = 1
    """torch threads on CPU (0 = torch's default; the cpu clock needs 1)."""
    workdir: Path = Path("runs/bench-latency")
    """The two runs' campaign folders, `quiet/` and `busy/` (their tables replaced each run)."""
