"""Training several runs in one process as a pack (`rl.agents.pack`): `main([TrainArgs, ...])`.

Each run keeps its own folder, files and resume exactly as `rl.harness.train.main` writes them
(progress.csv, checkpoint.pt, policy.pt, run.json); a member of a pack is bit for bit the run
it would be alone, so its folder can be resumed alone or in another pack. Runs that cannot
share a pack (different methods, hyperparameters or shapes, compiled runs) are refused with one
sentence before any work.

Resuming after a kill: members may have been checkpointed at different episodes (they save one
after another). The members furthest behind are stepped first, as a smaller pack, until they
reach the next member's episode; then the pack grows, so every member ends where an
uninterrupted pack would have. `wall_s` and `cpu_s` in each member's progress.csv are its share
of the pack's episode (the pack's wall and CPU time over its size).
"""

from __future__ import annotations

from typing import Any

from common.timing import Stopwatch
from rl.agents.pack import PackedD3PG, PackError, run_pack_episode
from rl.harness.args import TrainArgs
from rl.harness.train import TrainingRun
from rl.registry import LEARNED, TrainError

PACKABLE = LEARNED
"""The methods a pack can hold: every learned one, one method per pack."""


def check_packable(args: TrainArgs) -> None:
    if args.algo not in PACKABLE:
        raise TrainError(
            f"a pack holds {' and '.join(PACKABLE)} runs only, got '{args.algo}' (train it alone)."
        )
    if args.compile:
        raise TrainError("compiled runs (--compile) are not packed; train them alone.")


def main(runs_args: list[TrainArgs]) -> list[dict[str, Any]]:
    """Train (or resume) every run; their `rl.harness.train.main` results, in order."""
    for args in runs_args:
        check_packable(args)
    runs = [TrainingRun(args) for args in runs_args]
    try:
        _check_members(runs)
        while todo := [r for r in runs if not r.done]:
            low = min(r.trainer.episode for r in todo)
            group = [r for r in todo if r.trainer.episode == low]
            ahead = [r.trainer.episode for r in todo if r.trainer.episode > low]
            _train_group(group, min([*ahead, *(r.end for r in group)]))
    finally:
        for r in runs:
            r.close()
    return [r.result() for r in runs]


def _check_members(runs: list[TrainingRun]) -> None:
    """Refuse a pack whose members do not step in lockstep or cannot share updates."""
    shapes = {(r.cfg.n_frames, r.cfg.n_slots, r.args.n_envs) for r in runs}
    if len(shapes) > 1:
        raise TrainError("packed runs must share n_frames, n_slots and --n-envs.")
    try:
        PackedD3PG([r.trainer.d3pg for r in runs]).release()
    except PackError as exc:
        raise TrainError(str(exc)) from None


def _train_group(group: list[TrainingRun], stop: int) -> None:
    """Step `group` (all at the same episode) together up to episode `stop`."""
    if len(group) == 1:
        run = group[0]
        while run.trainer.episode < stop:
            watch = Stopwatch()
            row = run.trainer.run_episode()
            run.record(row, watch.elapsed())
        return
    trainers = [r.trainer for r in group]
    pack = PackedD3PG([t.d3pg for t in trainers])
    try:
        while trainers[0].episode < stop:
            watch = Stopwatch()
            rows = run_pack_episode(trainers, pack)
            share = watch.elapsed() / len(group)
            for run, row in zip(group, rows, strict=True):
                run.record(row, share)
    finally:
        pack.release()
