"""The reports (rl/oracle/report.py): `slots` times batches of slots; bad arguments fail."""

import pytest

from rl.oracle.args import OracleArgs
from rl.oracle.problem import OracleError
from rl.oracle.report import main


def test_slots_report_times_batches_of_slots():
    """`t2drl oracle slots --batch N`: N slots per call, per-slot statistics over all."""
    doc = main(OracleArgs(what="slots", users=(3,), slots=2, batch=4))
    (row,) = doc["rows"]
    assert row["n_users"] == 3 and row["batch"] == 4
    assert row["ms_per_slot_mean"] > 0 and row["gap_mean"] >= 0
    with pytest.raises(OracleError, match="--batch"):
        main(OracleArgs(what="slots", users=(3,), batch=0))
