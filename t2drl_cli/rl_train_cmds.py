"""`t2drl train` (T2DRL, DDPG-based T2DRL, single-timescale DDPG; docs/rl.md) and
`t2drl bench train`, `t2drl bench pack`."""

from rl.harness.args import BenchPackArgs, BenchTrainArgs, TrainArgs
from t2drl_cli.output import say, show


def train(args: TrainArgs) -> None:
    """Train an agent; writes progress.csv, TensorBoard scalars, checkpoint.pt, policy.pt,
    run.json (rerun the same command to resume)."""
    from rl.harness.train import main, summary

    show(summary(main(args)))


def bench_train(args: BenchTrainArgs) -> None:
    """Decision time per slot (one thread), training throughput and the cost of one D3PG
    update at batch 32 (paper preset) against 64 (tuned) and 32 with --compile, side by side;
    goals printed, not asserted."""
    from rl.harness.bench_train import main

    show(main(args, log=say))


def bench_pack(args: BenchPackArgs) -> None:
    """D3PG updates of K agents one at a time against one pack (rl/agents/pack.py), side by
    side: agent-updates per CPU-second, the matrix products' arithmetic floor against the rest,
    and whole training episodes; goals printed, not asserted."""
    from rl.harness.bench_pack import main, summary

    show(summary(main(args, log=say)))


COMMANDS = {"train": train}
BENCH = {"train": bench_train, "pack": bench_pack}
