"""OraclePolicy (rl/oracle/policy.py): the policy contract in the evaluator, its P3 table."""

import numpy as np

from rl.oracle.policy import OraclePolicy
from testbed.rollout import run_seed
from tests.rl.oracle.conftest import constructed_cfg


def test_oracle_policy_runs_in_the_evaluator():
    cfg = constructed_cfg()
    policy = OraclePolicy(cfg, n_frame_samples=8, seed=0)
    row = run_seed(policy, cfg, seed=3)
    assert np.isfinite(row["slot_reward"]) and row["decision_time_ms"] > 0
    table = policy.frame_table()
    assert [r["gamma"] for r in table] == [1.2]
    assert table[0]["best_cache"] == [0, 1, 0]
    again = OraclePolicy(cfg, n_frame_samples=8, seed=0)
    assert again.frame_table() == table


def test_oracles_with_equal_settings_share_their_p3_tables():
    """Table 3 builds one oracle per timing seed: the P3 table is computed once per process."""
    cfg = constructed_cfg()
    g = cfg.popularity_states[0]
    first = OraclePolicy(cfg, n_frame_samples=4, seed=3).frame_result(g)
    assert OraclePolicy(cfg, n_frame_samples=4, seed=3).frame_result(g) is first
    assert OraclePolicy(cfg, n_frame_samples=4, seed=4).frame_result(g) is not first
