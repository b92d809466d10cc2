"""`t2drl_cli.output.show`: tables at full width in a log, numbers right-aligned."""

from common.summary import Summary
from t2drl_cli.output import show


def test_wide_tables_are_not_cut_in_a_log(capsys):
    wide = "x" * 150
    show(Summary().table("t", [{"name": wide, "value": "1.5"}]).line("note: done"))
    out = capsys.readouterr().out
    assert wide in out and "…" not in out and out.rstrip().endswith("note: done")
