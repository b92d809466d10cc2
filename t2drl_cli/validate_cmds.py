"""`t2drl validate`: closed-loop validation of the fitted curves on a policy's decisions
(docs/validation.md). torch is imported inside the command."""

from t2drl_cli.output import show
from validation.args import ValidateArgs


def validate(args: ValidateArgs) -> None:
    """Replay a policy's decisions on the fitted env with real inpainting runs; compare the
    fitted TV (7) and delay (8) with measurements, per model."""
    from validation.closed_loop import main, summary

    show(summary(main(args)))


COMMANDS = {"validate": validate}
