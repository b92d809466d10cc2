"""`rl.experiments.spec`: run ids are stable, distinct and follow the presets' values."""

from __future__ import annotations

from rl.experiments.spec import QUICK, RunSpec, plan


def test_run_ids_are_stable_and_distinct():
    specs = plan("fig7", QUICK)
    ids = [s.run_id for s in specs]
    assert len(set(ids)) == len(ids)
    again = [RunSpec.from_dict(s.to_dict()).run_id for s in specs]
    assert again == ids
    assert ids[0].startswith("t2drl-U10-s0-")
    # 3 learned x 5 U x 2 seeds + (3 baselines + oracle) x 5 U
    assert len(specs) == 3 * 5 * 2 + 4 * 5


def test_run_ids_follow_the_presets_values(monkeypatch):
    """A preset changed under its name gives its runs new ids (a sweep never reuses a record
    made with other values); presets unchanged since ids hashed only the name keep theirs."""
    from rl.agents import presets

    ddpg = plan("fig7", QUICK, algos=("ddpg",))[0]
    assert "hparams_digest" not in ddpg.to_dict()  # unchanged: the committed records stay valid
    t2drl = plan("fig7", QUICK, algos=("t2drl",))[0]
    before = t2drl.run_id
    monkeypatch.setitem(presets._D3PG["default"], "actor_lr", 1e-2)
    assert t2drl.run_id != before
    assert RunSpec.from_dict(t2drl.to_dict()).run_id == t2drl.run_id
