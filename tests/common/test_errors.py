"""`common.errors.UserError`: every project error is one (the CLI turning it into exit 2:
tests/t2drl_cli/test_main.py)."""

import importlib

import pytest

from common.errors import UserError

ERRORS = [
    ("fitted_models.schema", "FittedModelsError"),
    ("testbed.config", "ConfigError"),
    ("testbed.system_model", "ShapeError"),
    ("common.device", "DeviceError"),
    ("profiling.errors", "ProfilingError"),
    ("profiling.fitting", "FitError"),
    ("profiling.zoo.errors", "ZooError"),
    ("profiling.zoo.errors", "ZooDataMissing"),
    ("rl.baselines.policies", "UnknownAlgorithmError"),
    ("rl.harness.bench", "BenchError"),
    ("rl.harness.evaluate", "EvaluationError"),
    ("rl.experiments.spec", "ExperimentError"),
    ("rl.baselines.args", "GAConfigError"),
    ("rl.oracle", "OracleError"),
    ("rl.harness.train", "TrainError"),
    ("validation.args", "ValidateError"),
]


@pytest.mark.parametrize("module, name", ERRORS)
def test_every_project_error_is_a_user_error(module, name):
    cls = getattr(importlib.import_module(module), name)
    assert issubclass(cls, UserError) and issubclass(cls, ValueError)
    assert cls.exit_code == 2
