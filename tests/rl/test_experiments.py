"""`rl.experiments`: stable run ids, resumable sweeps (same CSV), the ablation, Ray path.
(The report's pieces: tests/rl/experiments/.)

Tiny sweeps: U = 3 users, T = 2 frames per episode, 1-2 training episodes; the oracle is a
stand-in (most popular cache, equal split) so these tests do not depend on its cost.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rl.experiments import run as run_mod
from rl.experiments.spec import QUICK, ExperimentError, RunSpec, plan
from rl.experiments.sweep import ExperimentArgs, main
from testbed.policies import most_popular_cache
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


@pytest.fixture(autouse=True)
def _stand_in_oracle(monkeypatch):
    monkeypatch.setitem(run_mod.POLICY_FACTORIES, "oracle", lambda cfg, spec: StandInOracle(cfg))
    torch.set_num_threads(1)


def tiny_args(out, **kw) -> ExperimentArgs:
    base = dict(
        name="fig7",
        quick=True,
        seeds=2,
        episodes=2,
        eval_seeds=(1000, 1001),
        grid=(3,),
        env_overrides={"n_frames": 2},
        algos=("t2drl", "rcars", "oracle"),
        executor="serial",
        out=str(out),
        progress=False,
    )
    base.update(kw)
    return ExperimentArgs(**base)


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


def test_interrupted_sweep_resumes_to_the_same_csv(tmp_path):
    whole = main(tiny_args(tmp_path / "whole"), echo=lambda s: None)
    assert whole["done"] == whole["total"] == 4

    part = tmp_path / "part"
    first = main(tiny_args(part, max_runs=1), echo=lambda s: None)
    assert first["done"] == 1
    # A crash between training and writing the run file: the run must be redone (its
    # training resumes from rl.harness.train's checkpoint) and give the same numbers.
    (done_file,) = (part / "runs").glob("*.json")
    done_file.unlink()
    resumed = main(tiny_args(part), echo=lambda s: None)
    assert resumed["done"] == 4
    a = (tmp_path / "whole" / "fig7.csv").read_text()
    b = (part / "fig7.csv").read_text()
    assert a == b
    assert (part / "fig7.png").stat().st_size > 0
    report = (part / "report.md").read_text()
    assert "## Gap to the oracle" in report and "Scale and cost" in report


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        (dict(name="fig9"), "experiment must be one of"),
        (dict(name="fig8", preset="fitted"), "fig8 sweeps the cache capacity"),
        (dict(grid=(2.5,)), "--grid values for n_users"),
        (dict(executor="dask"), "--executor must be one of"),
        (dict(env_overrides={"n_users": 4}), "give its values with --grid"),
    ],
)
def test_bad_input_is_one_sentence(tmp_path, kw, words):
    with pytest.raises(ExperimentError, match=words) as info:
        main(tiny_args(tmp_path, **kw), echo=lambda s: None)
    assert info.value.exit_code == 2


def test_ray_sweep_of_two_runs(tmp_path):
    pytest.importorskip("ray")
    args = tiny_args(tmp_path, executor="ray", num_cpus=2, algos=("rcars",), grid=(3, 4))
    res = main(args, echo=lambda s: None)
    assert res["done"] == res["total"] == 2
    serial = main(
        tiny_args(tmp_path / "serial", algos=("rcars",), grid=(3, 4)), echo=lambda s: None
    )
    assert (tmp_path / "fig7.csv").read_text() == (tmp_path / "serial" / "fig7.csv").read_text()
    assert serial["done"] == 2


def test_cli_bad_input_is_one_sentence(tmp_path):
    from typer.testing import CliRunner

    from t2drl_cli.main import _register_commands, app

    _register_commands()
    cases = [
        (["fig9"], "experiment must be one of"),
        (["fig7", "--eval-seeds", "3-1"], "--eval-seeds expects"),
        (["fig7", "--grid", "10,x"], "--grid values for n_users"),
    ]
    for args, message in cases:
        result = CliRunner().invoke(
            app, ["experiment", *args, "--executor", "serial", "--out", str(tmp_path)]
        )
        exc = result.exception
        assert getattr(exc, "exit_code", None) == 2, (args, result.output)
        assert message in str(exc) and "\n" not in str(exc)


def test_ablation_plan_and_report(tmp_path):
    """The ablation: one T2DRL run per reverted part and seed, one oracle run shared by all
    variants; the report names each variant and its cost against the full design."""
    from rl.agents.presets import ABLATIONS, ablated, hyperparameters

    specs = plan("ablation", QUICK)
    learned = [s for s in specs if s.learned]
    assert len(learned) == len(ABLATIONS) * QUICK.train_seeds
    assert [s.algo for s in specs if not s.learned] == ["oracle"]
    assert {s.ablation for s in learned} == {None, *ABLATIONS[1:]}
    # the fields added for the ablation leave the ids of older runs unchanged
    assert "ablation" not in specs[0].to_dict() and "env_seed" not in specs[0].to_dict()
    d3pg, ddqn = hyperparameters("t2drl", "default")
    assert ablated("t2drl", "critic", d3pg, ddqn, 8)[0].critic == "mlp"
    assert ablated("t2drl", "cacher", d3pg, ddqn, 8)[1].q_input == "index"
    assert ablated("t2drl", "copies", d3pg, ddqn, 8)[2] == 1
    with pytest.raises(ExperimentError, match="ablation"):
        plan("ablation", QUICK, hparams="tuned")

    args = tiny_args(
        tmp_path, name="ablation", grid=("none", "critic"), algos=("t2drl", "oracle"), episodes=1
    )
    result = main(args, echo=lambda s: None)
    assert result["done"] == result["total"] == 2 * 2 + 1
    report = (tmp_path / "report.md").read_text()
    assert "reverting the critic" in report and "design change reverted = critic" in report
    assert "ablation-greedy.png" in report and (tmp_path / "ablation-greedy.png").is_file()
    csv_text = (tmp_path / "ablation.csv").read_text()
    assert ",critic," in csv_text and ",none," in csv_text


def test_env_seed_reaches_the_runs(tmp_path):
    specs = plan("fig7", QUICK, env_seed=2, algos=("rcars",), grid=(3,))
    assert specs[0].env_seed == 2 and "-e2-" in specs[0].run_id
    assert (
        run_mod.env_config(specs[0]).to_dict()
        != run_mod.env_config(plan("fig7", QUICK, algos=("rcars",), grid=(3,))[0]).to_dict()
    )
