"""Tiny training runs shared by the learner and harness tests (not a test module)."""

from __future__ import annotations

import csv
import dataclasses

from rl.agents.presets import PRESETS, hyperparameters
from rl.harness.args import TrainArgs
from testbed.sources import EnvArgs

TINY = {"n_users": 3, "n_models": 3, "n_frames": 2, "n_slots": 3}
SMALL_D3PG = {"batch_size": 16, "learning_starts": 16}


def tiny_args(tmp_path, algo="t2drl", preset="paper", **kw) -> TrainArgs:
    d3pg, ddqn = hyperparameters(algo, preset if preset in PRESETS else "paper")
    d3pg = dataclasses.replace(d3pg, **SMALL_D3PG)
    ddqn = dataclasses.replace(ddqn, batch_size=4, learning_starts=4)
    base = dict(
        algo=algo,
        hparams=preset,
        n_envs=2 if preset == "default" else 1,
        greedy_every=2,
        env=EnvArgs(overrides=dict(TINY)),
        episodes=4,
        out=str(tmp_path / algo),
        progress=False,
        tensorboard=False,
        device="cpu",
        checkpoint_every=1,
        d3pg=d3pg,
        ddqn=ddqn,
    )
    base.update(kw)
    return TrainArgs(**base)


def rows(path) -> list[dict]:
    with open(path) as f:
        return [
            {k: v for k, v in r.items() if k not in ("wall_s", "cpu_s")} for r in csv.DictReader(f)
        ]
