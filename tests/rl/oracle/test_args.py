"""`rl.oracle.args.OracleArgs`: the report is a positional choice."""

import pytest
import tyro

from rl.oracle.args import OracleArgs
from t2drl_cli.main import CONFIG


def test_report_is_a_positional_choice():
    assert tyro.cli(OracleArgs, args=["table"], config=CONFIG).what == "table"
    assert tyro.cli(OracleArgs, args=[], config=CONFIG).what == "slots"
    with pytest.raises(SystemExit):
        tyro.cli(OracleArgs, args=["tables"], config=CONFIG)
