"""`rl.harness.args`: the options tyro generates from the dataclasses, and the ones it hides."""

import pytest
import tyro

from rl.harness.args import BenchTrainArgs, EvaluateArgs, TrainArgs
from t2drl_cli.main import CONFIG


def parse(cls, *argv):
    return tyro.cli(cls, args=list(argv), config=CONFIG)


def test_train_options_are_the_fields():
    a = parse(TrainArgs, "--hparams", "paper", "--env-preset", "fitted", "--set", "n_users=4",
              "--no-resume", "--greedy-seeds", "1,2")  # fmt: skip
    assert (a.hparams, a.env.env_preset, a.env.set, a.resume) == (
        "paper",
        "fitted",
        ("n_users=4",),
        False,
    )
    assert a.greedy_seeds == (1, 2) and a.d3pg is None and parse(TrainArgs) == TrainArgs()


def test_nested_settings_are_flat_options():
    a = parse(EvaluateArgs, "--seeds", "100-102", "--n-gen", "3", "--no-penalty")
    assert a.seeds == (100, 101, 102) and (a.ga.n_gen, a.ga.penalty) == (3, False)
    assert parse(BenchTrainArgs, "--algo", "ddpg").algos == ("ddpg",)


def test_hidden_fields_are_not_options(capsys):
    with pytest.raises(SystemExit) as exc:
        parse(TrainArgs, "--d3pg", "x")
    assert exc.value.code == 2
