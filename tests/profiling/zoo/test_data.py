"""`profiling.zoo.data`: without the data package, train-zoo says what to install (API and CLI)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from profiling.zoo import data as zoo_data
from profiling.zoo.errors import ZooDataMissing
from profiling.zoo.train import train_zoo
from tests.profiling.zoo.toy import tiny_zoo_args


def test_train_zoo_without_data_package_says_what_to_install(tmp_path, monkeypatch):
    from t2drl_cli.main import _register_commands, app

    _register_commands()
    monkeypatch.setattr(zoo_data, "FASHION_DIR", tmp_path / "nope")
    with pytest.raises(ZooDataMissing, match="apt-get install -y dataset-fashion-mnist"):
        train_zoo(tiny_zoo_args(tmp_path / "z", domains=["fashion"]))
    result = CliRunner().invoke(
        app, ["train-zoo", "--domains", "fashion", "--out", str(tmp_path / "z")]
    )
    exc = result.exception
    assert getattr(exc, "exit_code", None) == 2 and "\n" not in str(exc)
    result = CliRunner().invoke(app, ["train-zoo", "--domains", "cats", "--out", str(tmp_path)])
    assert getattr(result.exception, "exit_code", None) == 2
    assert "unknown zoo domain 'cats'" in str(result.exception)
