"""The one progress bar: tqdm, redrawn in place in a terminal, a line at most every 30 s in a log."""

from __future__ import annotations

import sys

from tqdm.auto import tqdm

LOG_INTERVAL_S = 30.0


class _Lines:
    """tqdm's output as whole lines: a log gets one line per refresh, not carriage returns."""

    def write(self, text: str) -> None:
        text = text.strip("\r\n ")
        if text:
            sys.stderr.write(text + "\n")

    def flush(self) -> None:
        sys.stderr.flush()


def progress_bar(iterable=None, *, enabled: bool = True, **kwargs) -> tqdm:
    """`tqdm(iterable, **kwargs)`; off when `enabled` is False."""
    if sys.stderr.isatty():
        return tqdm(iterable, disable=not enabled, **kwargs)
    kwargs.pop("dynamic_ncols", None)
    return tqdm(
        iterable,
        disable=not enabled,
        file=_Lines(),
        mininterval=LOG_INTERVAL_S,
        maxinterval=LOG_INTERVAL_S,
        ascii=True,
        ncols=100,
        **kwargs,
    )
