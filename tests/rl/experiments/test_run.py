"""`rl.experiments.run`: a run's env seed reaches its env config."""

from __future__ import annotations

from rl.experiments import run as run_mod
from rl.experiments.spec import QUICK, plan


def test_env_seed_reaches_the_runs(tmp_path):
    specs = plan("fig7", QUICK, env_seed=2, algos=("rcars",), grid=(3,))
    assert specs[0].env_seed == 2 and "-e2-" in specs[0].run_id
    assert (
        run_mod.env_config(specs[0]).to_dict()
        != run_mod.env_config(plan("fig7", QUICK, algos=("rcars",), grid=(3,))[0]).to_dict()
    )
