"""`t2drl profile`, `t2drl fit`, `t2drl bench loop`, and the `profile-models` / `fit-models`
console scripts (the same commands). torch and diffusers are imported inside the commands."""

from __future__ import annotations

from profiling.args import BenchLoopArgs, ProfileArgs
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


COMMANDS = {"profile": profile, "fit": fit}
BENCH = {"loop": bench_loop}


def profile_models_main(argv: list[str] | None = None) -> None:
    """Console script `profile-models` (= `t2drl profile`)."""
    from t2drl_cli.main import command_main  # main imports this module, not the other way

    command_main(profile, "profile-models", argv)


def fit_models_main(argv: list[str] | None = None) -> None:
    """Console script `fit-models` (= `t2drl fit`)."""
    from t2drl_cli.main import command_main

    command_main(fit, "fit-models", argv)


if __name__ == "__main__":  # `python -m t2drl_cli.profiling_cmds ...` (e.g. under torchrun -m)
    profile_models_main()
