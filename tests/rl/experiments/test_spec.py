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

    ddpg = plan("fig7", QUICK, hparams="paper", algos=("ddpg",))[0]
    assert "hparams_digest" not in ddpg.to_dict()  # unchanged: the committed records stay valid
    t2drl = plan("fig7", QUICK, algos=("t2drl",))[0]
    before = t2drl.run_id
    monkeypatch.setitem(presets._D3PG["default"], "actor_lr", 1e-2)
    assert t2drl.run_id != before
    assert RunSpec.from_dict(t2drl.to_dict()).run_id == t2drl.run_id


def test_fitted_runs_carry_their_scaling_and_raw_keeps_the_old_ids():
    """New fitted runs are planned at the paper's ratios (their own ids); with
    --set fitted_scaling=raw the ids are those of the runs made before the field existed (the
    committed docs/experiments/fig7-fitted-default/runs/oracle-U10-9abe8ba72e.json)."""
    from rl.experiments.spec import FULL

    scaled = plan("fig7", FULL, "fitted", "default", ("oracle",), (10,))[0]
    raw = plan("fig7", FULL, "fitted", "default", ("oracle",), (10,), {"fitted_scaling": "raw"})[0]
    assert raw.run_id == "oracle-U10-9abe8ba72e"
    assert "fitted_scaling" not in dict(raw.env_overrides)  # canonical: the pre-field form
    assert raw.env_fields["fitted_scaling"] == "raw"
    assert scaled.env_fields["fitted_scaling"] == "paper-ratios"
    assert scaled.run_id.startswith("oracle-U10-") and scaled.run_id != raw.run_id
    for spec in (raw, scaled):
        back = RunSpec.from_dict(spec.to_dict())
        assert back == spec and back.env_fields == spec.env_fields
    paper = plan(
        "fig7", QUICK, "paper", algos=("rcars",), env_overrides={"fitted_scaling": "paper-ratios"}
    )
    assert paper == plan("fig7", QUICK, "paper", algos=("rcars",))


def test_full_fig6b_trains_the_papers_two_methods_for_its_horizon():
    """The full-form Fig. 6b trains T2DRL and DDPG-based T2DRL for the paper's H = 500 whatever
    the preset's H (the default's is 100); the quick form keeps its 8 episodes."""
    from rl.experiments.spec import FULL

    learned = [s for s in plan("fig6b", FULL) if s.learned]
    assert {s.algo for s in learned} == {"t2drl", "ddpg-t2drl"}
    assert {s.episodes for s in learned} == {500}
    assert {s.episodes for s in plan("fig6b", QUICK) if s.learned} == {8}
    assert {s.episodes for s in plan("fig7", FULL) if s.learned} == {100}


def test_only_scaled_fitted_learned_runs_take_the_reward_unit_into_their_ids():
    """The learners' reward scale follows the environment's reward unit on the scaled fitted
    preset (`rl.agents.presets.REWARDS_IN_PAPER_UNITS`): those runs get new ids; the paper
    preset's, the raw fitted preset's and every baseline's keep theirs (the committed
    docs/experiments/fig7-paper-default/runs/t2drl-U10-s0-fd5bff6108.json and
    fig7-fitted-default/runs/t2drl-U10-s0-*.json stay valid)."""
    from rl.experiments.spec import FULL

    paper = plan("fig7", FULL, "paper", "default", ("t2drl",), (10,))[0]
    assert paper.run_id == "t2drl-U10-s0-fd5bff6108" and not paper.own_reward_unit
    raw = plan("fig7", FULL, "fitted", "default", ("t2drl",), (10,), {"fitted_scaling": "raw"})
    assert not raw[0].own_reward_unit
    scaled = plan("fig7", FULL, "fitted", "default", ("t2drl", "oracle"), (10,))
    assert scaled[0].own_reward_unit and "hparams_digest" in scaled[0].to_dict()
    assert scaled[0].to_dict()["hparams_digest"] != paper.to_dict()["hparams_digest"]
    oracle = scaled[-1]
    assert oracle.algo == "oracle" and "hparams_digest" not in oracle.to_dict()
    tuned = plan("fig7", FULL, "fitted", "tuned", ("t2drl",), (10,))[0]
    assert "hparams_digest" not in tuned.to_dict()  # `tuned` is not rescaled: its id holds
