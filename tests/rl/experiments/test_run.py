"""`rl.experiments.run`: a run's env seed reaches its env config."""

from __future__ import annotations

from rl.experiments import run as run_mod
from rl.experiments.spec import FULL, QUICK, plan


def test_env_seed_reaches_the_runs(tmp_path):
    specs = plan("fig7", QUICK, env_seed=2, algos=("rcars",), grid=(3,))
    assert specs[0].env_seed == 2 and "-e2-" in specs[0].run_id
    assert (
        run_mod.env_config(specs[0]).to_dict()
        != run_mod.env_config(plan("fig7", QUICK, algos=("rcars",), grid=(3,))[0]).to_dict()
    )


def test_table3s_oracle_reads_the_p3_tables_fig7s_oracle_wrote(tmp_path, monkeypatch):
    from rl.oracle import policy, store

    fig7 = plan("fig7", FULL, algos=("oracle",), grid=(3,))[0]
    table3 = plan("table3", QUICK, algos=("oracle",), grid=(3,))[0]
    cfg = run_mod.env_config(fig7)
    assert run_mod.env_config(table3) == cfg
    monkeypatch.setattr(run_mod, "evaluate", lambda spec, policy, cfg: policy.frame_table())
    policy._shared_frame_oracle.cache_clear()
    run_mod.run_one(fig7, tmp_path / "fig7")
    tables = sorted((tmp_path / "p3-tables").glob("*.json"))
    assert len(tables) == len(cfg.popularity_states)
    # Table 3 in another process: nothing in memory, nothing computed
    policy._shared_frame_oracle.cache_clear()
    monkeypatch.setattr(store, "frame_oracle", lambda *a, **k: 1 / 0)
    record = run_mod.run_one(table3, tmp_path / "table3")
    assert record["bench"]["decision_time_ms"] > 0
    assert sorted((tmp_path / "p3-tables").glob("*.json")) == tables
