"""`t2drl check-config`, `t2drl simulate` and `t2drl bench testbed`."""

from t2drl_cli.output import show
from testbed.bench import BenchTestbedArgs
from testbed.simulate import SimulateArgs
from testbed.sources import EnvArgs


def check_config(env: EnvArgs) -> None:
    """Validate a configuration, print it, and warn about settings that make the problem
    degenerate."""
    from testbed.checks import config_summary

    show(config_summary(env.build()))


def simulate(args: SimulateArgs) -> None:
    """Short simulation with random caching and equal allocation (RCARS); prints the metrics."""
    from testbed.simulate import main

    show(main(args))


def bench_testbed(args: BenchTestbedArgs) -> None:
    """User-slot evaluations/s of the pure function and of full batched steps, on one core."""
    from testbed.bench import main

    show(main(args))


COMMANDS = {"check-config": check_config, "simulate": simulate}
BENCH = {"testbed": bench_testbed}
