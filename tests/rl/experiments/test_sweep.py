"""`rl.experiments.sweep`: resumable sweeps (same CSV), one-sentence bad input, the Ray path,
the ablation. Tiny sweeps with a stand-in oracle (tests/rl/experiments/stand_in.py)."""

from __future__ import annotations

import json

import pytest

from rl.experiments.spec import QUICK, ExperimentError, plan
from rl.experiments.sweep import main
from testbed.sources import EnvArgs
from tests.rl.experiments.stand_in import tiny_args

pytestmark = pytest.mark.usefixtures("stand_in_oracle")


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


def test_an_unreadable_run_record_is_set_aside_and_run_again(tmp_path):
    whole = main(tiny_args(tmp_path / "whole", algos=("rcars",)), echo=lambda s: None)
    assert whole["done"] == whole["total"] == 1
    (record,) = (tmp_path / "whole" / "runs").glob("*.json")
    good = record.read_bytes()
    record.write_bytes(good[: len(good) // 2])  # a truncated record
    said = []
    again = main(tiny_args(tmp_path / "whole", algos=("rcars",)), echo=said.append)
    evals = [
        [{k: v for k, v in row.items() if k != "decision_time_ms"} for row in json.loads(b)["eval"]]
        for b in (good, record.read_bytes())
    ]
    assert again["done"] == 1 and evals[0] == evals[1]
    assert (record.parent / "unreadable" / record.name).read_bytes() == good[: len(good) // 2]
    assert any("does not parse" in line and record.name in line for line in said)


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        (dict(name="fig9"), "experiment must be one of"),
        (dict(name="fig8", env=EnvArgs(env_preset="fitted")), "fig8 sweeps the cache capacity"),
        (dict(grid=(2.5,)), "--grid values for n_users"),
        (dict(executor="dask"), "--executor must be one of"),
        (dict(env=EnvArgs(overrides={"n_users": 4})), "give its values with --grid"),
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
    learned_rec = next(
        r for p in (tmp_path / "runs").glob("*.json") if (r := json.loads(p.read_text()))["curve"]
    )
    # packed members carry their share of the pack's CPU seconds, per episode and in all
    assert learned_rec["pack_size"] == 2 and learned_rec["train_cpu_s"] > 0
    assert len(learned_rec["curve"]["cpu_s"]) == 1 and learned_rec["eval_cpu_s"] > 0


def test_a_finished_table3_sweep_is_not_run_again(tmp_path):
    """Table 3's records hold "bench", not "eval": a rerun keeps them (it once set them all
    aside as unreadable and timed everything again)."""
    args = tiny_args(tmp_path, name="table3", algos=("rcars",), grid=("3",), report=False)
    assert main(args, echo=lambda s: None)["done"] == 2
    lines = []
    main(args, echo=lines.append)
    assert any("2 already done, 0 to run" in s for s in lines), lines
    assert not (tmp_path / "runs" / "unreadable").exists()
    record = json.loads(next((tmp_path / "runs").glob("*.json")).read_text())
    assert record["bench_wall_s"] >= record["bench"]["decision_time_ms"] / 1e3  # the run's cost
    assert 0 < record["bench_cpu_s"] <= 2 * record["bench_wall_s"]  # one thread, plus overheads
