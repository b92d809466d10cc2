"""The umbrella command line, `t2drl`.

Subcommands live in small modules next to this one and import their heavy dependencies
(torch, diffusers) inside the command, so `t2drl --help` and `t2drl check-config` start fast.

Bad input convention (`common.errors.UserError`): every package's error subclasses `UserError`
and its message is one sentence naming the file/field and what was expected. `app_main` prints
that sentence to stderr and exits with `UserError.exit_code` (2), never a traceback.
"""

from __future__ import annotations

import importlib
import sys

import typer

from common.errors import UserError

app = typer.Typer(
    name="t2drl",
    help="Edge-AIGC testbed: profile diffusion inpainting models, fit quality/delay models, "
    "simulate the edge network, train and compare T2DRL against baselines.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
bench_app = typer.Typer(
    help="Benchmarks (speed goals are printed here, never asserted in tests).",
    no_args_is_help=True,
)
app.add_typer(bench_app, name="bench")


def _register_commands() -> None:
    # Each module adds its commands to `app` on import.
    from t2drl_cli import testbed_cmds  # noqa: F401

    # Present once their issues land.
    modules = (
        "profiling_cmds",
        "rl_cmds",
        "rl_train_cmds",
        "zoo_cmds",
        "experiment_cmds",
        "validate_cmds",
    )
    for name in modules:
        try:
            importlib.import_module(f"t2drl_cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"t2drl_cli.{name}":
                raise


def run_guarded(fn, *args, **kwargs):
    """Call `fn`; turn a `UserError` into one line on stderr and its exit code (2)."""
    try:
        return fn(*args, **kwargs)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)


def app_main() -> None:
    _register_commands()
    run_guarded(app)
