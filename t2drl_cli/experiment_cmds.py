"""`t2drl experiment NAME`: the paper's evaluation (7.3) as a resumable sweep
(docs/experiments.md)."""

from rl.experiments.args import ExperimentArgs
from t2drl_cli.output import say, show


def experiment(args: ExperimentArgs) -> None:
    """Run (or resume) one experiment of the paper's 7.3; writes runs/<id>.json per run, then
    <name>.csv, <name>.png and report.md (claims against measurements, gaps to the oracle)."""
    from rl.experiments.sweep import main, summary

    show(summary(args.name, main(args, echo=say)))


COMMANDS = {"experiment": experiment}
