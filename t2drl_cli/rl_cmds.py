"""`t2drl evaluate`, `t2drl oracle`, `t2drl bench rl` and `t2drl bench ga`."""

from rl.harness.args import BenchArgs, BenchGAArgs, EvaluateArgs
from rl.oracle.args import OracleArgs
from t2drl_cli.output import say, show


def evaluate(args: EvaluateArgs) -> None:
    """Evaluate a baseline or a trained agent on held-out seeds: mean and 95% t-interval over
    seeds."""
    from rl.harness.evaluate import main, summary

    show(summary(main(args, log=say)))


def oracle(args: OracleArgs) -> None:
    """The exact oracle's reports: the P3 table per popularity state (table), the slot
    oracle's time and certified gap per slot against U (slots), or the value of caching, its
    cache against an empty one on the same seeds (value)."""
    from rl.oracle.report import main, summary

    show(summary(main(args)))


def bench_rl(args: BenchArgs) -> None:
    """Decision time per slot (ms, one CPU thread) against the number of users, like the
    paper's Table 3."""
    from rl.harness.bench import main, summary

    show(summary(main(args, log=say)))


def bench_ga(args: BenchGAArgs) -> None:
    """The SCHRS and HCRAS GA through pymoo's minimize against the same GA on arrays: CPU ms
    per slot side by side, and whether their best chromosomes are the same."""
    from rl.harness.bench_ga import main, summary

    show(summary(main(args, log=say)))


COMMANDS = {"evaluate": evaluate, "oracle": oracle}
BENCH = {"rl": bench_rl, "ga": bench_ga}
