"""Learning, baselines, the oracle and the paper's experiments.

Subpackages, each importing only those below it (the `rl-layers` contract in pyproject.toml):

* `rl.experiments`: the paper's sweeps (run specs, dispatch, report);
* `rl.harness`: training, evaluation, benches;
* `rl.registry`: the table of methods and the factory that builds a policy by name;
* `rl.agents` (learners), `rl.baselines` (RCARS, SCHRS, HCRAS, the GA) and `rl.oracle` (the
  exact oracle), independent of each other.

The policy contract and the loop that runs a policy are the testbed's (`testbed.rollout`).
"""
