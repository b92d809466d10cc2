"""`common.progress.progress_bar`: in a log (not a terminal) whole lines, at most one per
refresh interval, instead of carriage returns."""

import io
import sys

from common import progress


def test_a_log_gets_whole_lines_not_carriage_returns(monkeypatch):
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    with progress.progress_bar(range(1000), desc="work") as bar:
        for _ in bar:
            pass
    text = log.getvalue()
    assert "\r" not in text and "work" in text and "1000/1000" in text
    assert len(text.splitlines()) <= 3  # start, (at most one refresh), end


def test_disabled_bar_writes_nothing(monkeypatch):
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    for _ in progress.progress_bar(range(10), enabled=False):
        pass
    assert log.getvalue() == ""
