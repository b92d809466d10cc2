"""`t2drl profile`, `t2drl fit`, `t2drl bench loop` and `t2drl bench latency` (also the
console scripts `profile-models` and `fit-models`, `t2drl_cli.main`). torch and diffusers are
imported inside the commands."""

from profiling.args import BenchLatencyArgs, BenchLoopArgs, ProfileArgs
from profiling.fitrun import FitArgs
from t2drl_cli.output import show


def profile(args: ProfileArgs) -> None:
    """Measure TV/PSNR/SSIM, latency, throughput and energy of RePaint inpainting vs denoising
    steps (the paper's Fig. 3), then fit eqs. (7)-(8); rerun the same command to resume."""
    from profiling.campaign import main, summary

    show(summary(main(args)))


def fit(args: FitArgs) -> None:
    """Refit eqs. (7) and (8) from stored measurements alone (one JSON per protocol)."""
    from profiling.fitrun import main, summary

    show(summary(main(args)))


def bench_loop(args: BenchLoopArgs) -> None:
    """Loop overhead (generation wall time / summed UNet time at batch 1; goal <= 1.05) and
    images/s."""
    from profiling.bench import main, summary

    show(summary(main(args)))


def bench_latency(args: BenchLatencyArgs) -> None:
    """Latency repeatability: the zoo profiled quiet and beside one busy core; B1 of eq. (8)
    per model and clock as ratios (goal: within 10 % between the runs and across models)."""
    from profiling.bench_latency import main, summary

    show(summary(main(args)))


COMMANDS = {"profile": profile, "fit": fit}
BENCH = {"loop": bench_loop, "latency": bench_latency}
