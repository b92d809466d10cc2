"""`t2drl_cli.rl_train_cmds`: `t2drl train` trains and resumes from the generated options."""

import json


def test_train_runs_and_a_second_call_has_nothing_to_do(t2drl, tmp_path):
    argv = [
        "train", "--hparams", "tuned", "--episodes", "1", "--out", tmp_path,
        "--set", "n_users=3", "--set", "n_frames=2", "--set", "n_slots=3",
        "--greedy-every", "0", "--no-progress", "--no-tensorboard", "--device", "cpu",
    ]  # fmt: skip
    code, out, err = t2drl(*argv)
    assert code == 0, err
    assert "1 episodes; last episode reward" in out
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["preset"] == "tuned" and run["config"]["n_users"] == 3
    code, out, _ = t2drl(*argv)
    assert code == 0 and "nothing to do" in out


def test_an_unknown_preset_is_one_line(t2drl, tmp_path):
    code, _, err = t2drl("train", "--hparams", "fast", "--out", tmp_path)
    assert code == 2 and err.strip().splitlines() == [
        "error: unknown hyperparameter preset 'fast'; expected one of default, paper, tuned."
    ]


def _curve(path) -> list[dict]:
    import csv

    with open(path) as f:
        return [
            {k: v for k, v in r.items() if k not in ("wall_s", "cpu_s")} for r in csv.DictReader(f)
        ]


def test_train_killed_then_resumed_equals_uninterrupted(t2drl, tmp_path):
    from tests.kill import kill_when

    def argv(out):
        return [
            "train", "--hparams", "tuned", "--episodes", "12", "--checkpoint-every", "1",
            "--out", str(out), "--set", "n_users=3", "--set", "n_frames=2", "--set", "n_slots=3",
            "--greedy-every", "4", "--no-progress", "--no-tensorboard", "--device", "cpu",
        ]  # fmt: skip

    assert t2drl(*argv(tmp_path / "whole"))[0] == 0
    killed = tmp_path / "killed"
    progress = killed / "progress.csv"
    kill_when(
        argv(killed), lambda: progress.exists() and len(progress.read_text().splitlines()) > 3
    )
    assert t2drl(*argv(killed))[0] == 0
    assert _curve(progress) == _curve(tmp_path / "whole" / "progress.csv")
