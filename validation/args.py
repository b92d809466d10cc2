"""`ValidateArgs`, the arguments of `t2drl validate`, and their checks at the boundary."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from common.cli_types import Repeatable
from common.errors import UserError

QUICK = {"frames": 2, "slots": 2}
"""--quick: 4 slots (40 requests at U = 10); run times in docs/benchmarks.md."""


class ValidateError(UserError):
    """Bad validation input: one sentence naming the option or file."""


@dataclass
class ValidateArgs:
    """Arguments of `t2drl validate`."""

    checkpoint: str | None = None
    """A trained agent (run directory or its policy.pt); the environment is the one it was
    trained on (its run.json), which must use the `fitted` preset (--env-preset fitted)."""
    algo: str | None = None
    """Instead of a checkpoint: a baseline (rcars, schrs, hcras) on the fitted preset."""
    fitted_file: str = "zoo-cpu"
    """Fitted-models file (path or bundled name) the environment is built from; must match the
    checkpoint's environment."""
    set: Repeatable[tuple[str, ...]] = ()
    """With --algo: override an environment field, e.g. --set n_users=3 (as `t2drl evaluate
    --set`); a checkpoint always runs on the environment it was trained on."""
    seed: int = 100
    """Episode seed, split like `t2drl evaluate` (environment and policy generators)."""
    frames: int = 4
    """F: frames sampled, evenly spaced over the episode's T frames."""
    slots: int = 3
    """S: slots sampled (seeded, without replacement) in each sampled frame."""
    quick: bool = False
    """2 frames x 2 slots (overrides --frames and --slots)."""
    mask: str | None = None
    """Mask family of the replayed requests (profiling.masks); None = the fit's (its
    measurement table's), else thick."""
    trajectory_steps: int | None = None
    """N of the trajectory schedule; None = the fit's (its measurement table), else 250."""
    device: str = "cpu"
    """Torch device of the generations (the fit's device kind should match: zoo-cpu is cpu)."""
    threads: int = 1
    """torch threads (profile-models measured with 1)."""
    grid: int = 8
    """Requests shown in grid.png."""
    out: str = "runs/validate"
    """Output folder."""
    resume: bool = True
    """Skip requests already in out/requests.csv (same run identity); --no-resume starts afresh."""
    progress: bool = True
    """Show a progress bar (UNet calls)."""


def check_args(args: ValidateArgs) -> ValidateArgs:
    """`args` with --quick applied; a ValidateError naming the first bad option."""
    if (args.checkpoint is None) == (args.algo is None):
        raise ValidateError(
            "give exactly one of --checkpoint (a trained agent) or --algo (rcars, schrs, hcras)."
        )
    if args.checkpoint is not None and args.set:
        raise ValidateError(
            "--set applies to baselines only; a checkpoint runs on the environment it was "
            "trained on (its run.json)."
        )
    if args.quick:
        args = dataclasses.replace(args, **QUICK)
    for name in ("frames", "slots", "threads"):
        v = getattr(args, name)
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValidateError(f"--{name} must be a positive integer, got {v!r}.")
    if args.grid < 0:
        raise ValidateError(f"--grid must be non-negative, got {args.grid}.")
    if args.seed < 0:
        raise ValidateError(f"--seed must be a non-negative integer, got {args.seed}.")
    if args.trajectory_steps is not None and not 1 <= args.trajectory_steps <= 1000:
        raise ValidateError(
            f"--trajectory-steps must be in [1, 1000], got {args.trajectory_steps}."
        )
    return args
