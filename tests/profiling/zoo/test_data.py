"""`profiling.zoo.data`: without the data package, train-zoo says what to install (API and CLI)."""

from __future__ import annotations

import pytest

from profiling.zoo import data as zoo_data
from profiling.zoo.errors import ZooDataMissing
from profiling.zoo.train import train_zoo
from tests.profiling.zoo.toy import tiny_zoo_args


def _cli_error(argv, capsys) -> str:
    """The one stderr line of `t2drl ARGV` exiting with code 2."""
    from t2drl_cli.main import cli

    with pytest.raises(SystemExit) as exc:
        cli(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and len(err.strip().splitlines()) == 1, err
    return err


def test_train_zoo_without_data_package_says_what_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(zoo_data, "FASHION_DIR", tmp_path / "nope")
    with pytest.raises(ZooDataMissing, match="apt-get install -y dataset-fashion-mnist"):
        train_zoo(tiny_zoo_args(tmp_path / "z", domains=["fashion"]))
    err = _cli_error(["train-zoo", "--domains", "fashion", "--out", str(tmp_path / "z")], capsys)
    assert "apt-get install -y dataset-fashion-mnist" in err
    err = _cli_error(["train-zoo", "--domains", "cats", "--out", str(tmp_path)], capsys)
    assert "unknown zoo domain 'cats'" in err
