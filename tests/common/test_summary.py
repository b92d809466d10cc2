"""`common.summary.Summary`: tables of row dicts, then lines, built by chaining."""

from common.summary import Summary


def test_tables_then_lines():
    s = Summary().table("t", [{"a": 1}, {"a": 2, "b": "x"}]).line("done")
    assert s.tables == [("t", [{"a": 1}, {"a": 2, "b": "x"}])] and s.lines == ["done"]
