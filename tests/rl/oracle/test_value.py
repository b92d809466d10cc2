"""The value of caching (rl/oracle/value.py): the oracle's cache against an empty cache on the
same seeds, paired intervals; `t2drl oracle value` over named cases."""

import math

import numpy as np
import pytest

from rl.oracle.args import OracleArgs
from rl.oracle.problem import OracleError
from rl.oracle.report import main, summary
from rl.oracle.value import CASES, EmptyCache, value_of_caching
from testbed.config import build_config
from testbed.rollout import run_seed
from testbed.sources import EnvArgs

TINY = {"n_users": 3, "n_frames": 2, "n_slots": 2}


def test_value_of_caching_on_a_tiny_env_gives_finite_paired_intervals():
    cfg = build_config("paper", 0, {**TINY, "n_models": 4})
    res = value_of_caching(cfg, (1, 2, 3), n_samples=2)
    assert res["empty"]["per_seed"]["hit_ratio"] == [0.0, 0.0, 0.0]
    for key in ("value_utility", "value_reward"):
        v = res[key]
        assert all(math.isfinite(v[k]) for k in ("mean", "ci95_low", "ci95_high")), key
        assert v["ci95_low"] <= v["mean"] <= v["ci95_high"]
    e, c = res["empty"]["per_seed"], res["cached"]["per_seed"]
    assert res["value_utility"]["per_seed"] == pytest.approx(
        np.subtract(e["utility"], c["utility"])
    )
    assert set(res["best_caches"]) == {"0.2", "0.5", "0.7"}


def test_the_empty_cache_sends_every_request_to_the_cloud():
    cfg = build_config("paper", 0, {**TINY, "n_models": 4})

    class Inner:
        name = "equal"

        def allocate(self, state, cache, rng):
            return np.ones(state.model.shape), np.ones(state.model.shape)

    m = run_seed(EmptyCache(Inner(), cfg.n_models), cfg, 7)
    assert m["hit_ratio"] == 0.0


def test_value_report_over_named_cases():
    doc = main(
        OracleArgs(
            what="value",
            cases=("fitted-raw", "fitted"),
            env=EnvArgs(overrides={"n_frames": 2, "n_slots": 2}),
            users=(3,),
            eval_seeds=(1, 2),
            samples=2,
        )
    )
    rows = doc["value"]
    assert [(r["case"], r["n_users"]) for r in rows] == [("fitted-raw", 3), ("fitted", 3)]
    assert rows[0]["config"]["slot_duration_s"] == 20.0
    assert rows[1]["config"]["fitted_scaling"] == "paper-ratios"
    assert rows[1]["config"]["slot_duration_s"] < 1.0
    ((title, table),) = summary(doc).tables
    assert "Value of caching" in title and len(table) == 2


def test_bad_value_arguments_name_the_option():
    with pytest.raises(OracleError, match="--cases"):
        main(OracleArgs(what="value", cases=("nope",), users=(3,)))
    cfg = build_config("paper", 0, {**TINY, "n_models": 4})
    with pytest.raises(OracleError, match="--eval-seeds"):
        value_of_caching(cfg, (1,), n_samples=2)
    with pytest.raises(OracleError, match="--episodes"):
        main(OracleArgs(what="value", episodes=0))
    assert {"paper", "fitted-raw", "fitted"} <= set(CASES)
