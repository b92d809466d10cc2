"""Tiny sweeps for the sweep's tests: U = 3 users, T = 2 frames per episode, 1-2 training
episodes; the oracle is a stand-in (most popular cache, equal split) so these tests do not
depend on its cost."""

from __future__ import annotations

import numpy as np

from rl.experiments.args import ExperimentArgs
from testbed.policies import most_popular_cache
from testbed.sources import EnvArgs
from testbed.system_model import SystemParams


class StandInOracle:
    name = "Oracle"

    def __init__(self, cfg):
        self.cache = most_popular_cache(SystemParams.from_config(cfg))

    def choose_cache(self, gamma, rng):
        return np.tile(self.cache, (len(np.atleast_1d(gamma)), 1))

    def allocate(self, state, cache, rng):
        zeros = np.zeros(state.model.shape)
        return zeros, zeros.copy()


def tiny_args(out, **kw) -> ExperimentArgs:
    base = dict(
        name="fig7",
        quick=True,
        seeds=2,
        episodes=2,
        eval_seeds=(1000, 1001),
        grid=(3,),
        env=EnvArgs(overrides={"n_frames": 2}),
        algos=("t2drl", "rcars", "oracle"),
        executor="serial",
        out=str(out),
        progress=False,
        reuse=False,  # the tests' sweeps sit side by side in tmp_path
    )
    base.update(kw)
    return ExperimentArgs(**base)
