"""`common.errors.UserError`: every project error is one, and the CLI turns it into exit 2."""

import importlib

import pytest

from common.errors import UserError
from t2drl_cli.main import run_guarded

ERRORS = [
    ("fitted_models.schema", "FittedModelsError"),
    ("testbed.config", "ConfigError"),
    ("testbed.system_model", "ShapeError"),
    ("profiling.errors", "ProfilingError"),
    ("profiling.fitting", "FitError"),
    ("profiling.zoo.errors", "ZooError"),
    ("profiling.zoo.errors", "ZooDataMissing"),
    ("rl.baselines.policies", "UnknownAlgorithmError"),
    ("rl.harness.bench", "BenchError"),
    ("rl.harness.evaluate", "EvaluationError"),
    ("rl.experiments.spec", "ExperimentError"),
    ("rl.baselines.ga", "GAConfigError"),
    ("rl.oracle", "OracleError"),
    ("rl.harness.train", "TrainError"),
    ("validation.args", "ValidateError"),
]


@pytest.mark.parametrize("module, name", ERRORS)
def test_every_project_error_is_a_user_error(module, name):
    cls = getattr(importlib.import_module(module), name)
    assert issubclass(cls, UserError) and issubclass(cls, ValueError)
    assert cls.exit_code == 2


def test_run_guarded_prints_one_line_and_exits_2(capsys):
    from testbed.config import ConfigError

    def bad():
        raise ConfigError("field 'alpha' must be in [0, 1], got 2.")

    with pytest.raises(SystemExit) as exc:
        run_guarded(bad)
    assert exc.value.code == 2
    assert capsys.readouterr().err == "error: field 'alpha' must be in [0, 1], got 2.\n"


def test_run_guarded_lets_other_errors_through():
    def bug():
        raise ValueError("a bug, not bad input")

    with pytest.raises(ValueError, match="a bug"):
        run_guarded(bug)
