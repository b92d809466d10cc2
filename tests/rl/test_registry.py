"""The one table of methods (`rl.registry`): the views of it, the factory for every method,
trained agents from their run directory."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rl import registry
from rl.baselines.args import GAConfig
from rl.baselines.policies import UnknownAlgorithmError
from rl.experiments import spec
from rl.harness import bench
from rl.harness.train import main
from rl.registry import load_policy
from testbed.config import build_config
from testbed.rollout import run_seed
from tests.rl.tiny import TINY, tiny_args


def test_the_tables_are_views_of_the_registry():
    assert spec.ALGOS == registry.NAMES == tuple(m.name for m in registry.METHODS)
    assert spec.LEARNED == ("t2drl", "ddpg-t2drl", "ddpg")
    assert spec.BASELINES == ("rcars", "schrs", "hcras")
    assert set(spec.DISPLAY) == set(registry.NAMES) == set(bench.DISPLAY)
    assert set(registry.TABLE3_ORDER) == set(registry.NAMES)
    assert bench.ALGOS == spec.DEFAULT_ALGOS["table3"] == registry.TABLE3_ORDER
    assert bench.DEFAULT_ALGOS == ("t2drl", "ddpg-t2drl", "schrs", "hcras", "rcars")
    for m in registry.METHODS:
        assert m.kind in registry.KINDS
        assert ("checkpoint" in m.needs) == (m.kind == "learned")


@pytest.mark.parametrize("name", registry.NAMES)
def test_the_factory_builds_every_method(name):
    """Every method of the table is a policy that runs an episode (learned: untrained)."""
    cfg = build_config("paper", 0, TINY)
    policy = registry.make_policy(name, cfg, ga=GAConfig(pop_size=4, n_gen=1), oracle_samples=2)
    row = run_seed(policy, cfg, seed=1)
    assert all(np.isfinite(v) for v in row.values())


def test_unknown_names_are_one_sentence():
    cfg = build_config("paper", 0, TINY)
    with pytest.raises(UnknownAlgorithmError, match="unknown algorithm 'foo'"):
        registry.make_policy("foo", cfg)
    with pytest.raises(registry.TrainError, match="unknown algorithm 'rcars'"):
        registry.untrained_policy("rcars", cfg)


def test_a_trained_run_loads_through_the_factory(tmp_path):
    main(tiny_args(tmp_path, episodes=1))
    cfg = build_config("paper", 0, TINY)
    via_factory = registry.make_policy("t2drl", cfg, checkpoint=tmp_path / "t2drl")
    direct = load_policy(tmp_path / "t2drl")
    a, b = run_seed(via_factory, cfg, seed=3), run_seed(direct, cfg, seed=3)
    a.pop("decision_time_ms"), b.pop("decision_time_ms")
    assert a == b


def test_old_checkpoints_load(tmp_path):
    """A run.json written before the factored critic and Q(gamma, rho) existed loads as the
    design it was trained with (the fields' defaults are the old behaviour)."""
    main(tiny_args(tmp_path, episodes=1))
    meta = tmp_path / "t2drl" / "run.json"
    record = json.loads(meta.read_text())
    del record["d3pg"]["critic"], record["ddqn"]["q_input"]
    meta.write_text(json.dumps(record))
    policy = load_policy(tmp_path / "t2drl")
    assert policy.d3pg.args.critic == "mlp" and policy.ddqn.args.q_input == "index"
