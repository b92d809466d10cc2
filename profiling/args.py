"""What a profiling campaign is asked to do (`ProfileArgs`, every field a `profile-models`
option), the loop benchmark's options (`BenchLoopArgs`), and the checks of those settings
before any model is loaded. Light: no torch, so `t2drl --help` stays fast."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from common.cli_types import CommaInts, Repeatable, renamed, short
from profiling.errors import ProfilingError
from profiling.fitrun import FitAfterArgs
from profiling.models import ModelInfo

PROTOCOLS = ("trajectory", "respaced")


@dataclass
class ProfileArgs:
    """Settings of one profiling campaign (every field is a CLI option of `profile-models`).

    The defaults are the README's main job: the bundled zoo, 8 held-out images per model, the
    trajectory protocol, written to runs/zoo-cpu and fitted to fitted_models/zoo-cpu.json."""

    models: Annotated[Repeatable[tuple[str, ...]], renamed("model"), short("-m")] = ()
    """Model folder, hub id (`google/ddpm-ema-celebahq-256`), `zoo:<domain>`, `zoo` (every
    bundled zoo model) or `builtin:tiny` (a random 32x32 UNet); repeatable. None given: `zoo`."""
    protocol: str = "trajectory"
    """`trajectory`, `respaced` or `both` (see docs/profiling.md)."""
    trajectory_steps: int = 250
    """N of the one full schedule a trajectory run follows (metrics after every reverse step n)."""
    respaced_steps: CommaInts = (10, 25, 50, 100, 250)
    """The N grid of the respaced protocol (one complete run per N)."""
    images: str = "auto"
    """`auto` (a zoo model's own held-out set, else `synthetic`), `synthetic`, `digits`,
    `zoo:<domain>`, or a folder of images of the model's size."""
    num_images: int = 8
    """Images taken from the source."""
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
    if args.protocol not in (*PROTOCOLS, "both"):
        raise ProfilingError(
            f"protocol '{args.protocol}' is not one of trajectory, respaced, both."
        )
    for name, values in (
        ("trajectory-steps", [args.trajectory_steps]),
        ("respaced-steps", args.respaced_steps),
    ):
        if not values or any(v <= 0 for v in values):
            raise ProfilingError(f"--{name} must be positive step counts, got {list(values)}.")
    for name, value in (
        ("batch", args.batch),
        ("jump-length", args.jump_length),
        ("jump-n-sample", args.jump_n_sample),
        ("num-images", args.num_images),
    ):
        if value < 1:
            raise ProfilingError(f"--{name} must be at least 1, got {value}.")
    if not 0.0 <= args.eta <= 1.0:
        raise ProfilingError(f"--eta must be in [0, 1], got {args.eta}.")
    if not args.seeds:
        raise ProfilingError("--seeds must list at least one seed.")


def check_steps(args: ProfileArgs, info: ModelInfo) -> None:
    for n in [args.trajectory_steps, *args.respaced_steps]:
        if n > info.num_train_timesteps:
            raise ProfilingError(
                f"step count {n} exceeds the model's {info.num_train_timesteps} training timesteps ('{info.checkpoint}')."
            )


def protocols(args: ProfileArgs) -> tuple[str, ...]:
    return PROTOCOLS if args.protocol == "both" else (args.protocol,)


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
    rounds: int = 1
    """Rounds of (every model quiet, then busy); B1 is the median over the rounds."""
    device: str = "auto"
    """`auto` (cuda if available), `cpu`, `cuda`, ..."""
    cpu_threads: int = 1
    """torch threads on CPU (0 = torch's default; the cpu clock needs 1)."""
    workdir: Path = Path("runs/bench-latency")
    """The two runs' campaign folders, `quiet/` and `busy/` (their tables replaced each run)."""
