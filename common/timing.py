"""Wall and CPU seconds of one piece of work, measured together.

Run records keep both: wall time says how long a user waits, CPU time (`time.process_time`,
this process's threads) says what the work cost, whatever else shared the cores. A sweep made
beside other work has inflated wall times; its CPU seconds are the core-hours it used.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Elapsed:
    wall_s: float
    cpu_s: float

    def __truediv__(self, n: int) -> Elapsed:
        """One member's share of work done for `n` together (a pack's episode)."""
        return Elapsed(self.wall_s / n, self.cpu_s / n)


class Stopwatch:
    """Started on creation; `elapsed()` reads both clocks since then."""

    def __init__(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def elapsed(self) -> Elapsed:
        return Elapsed(time.perf_counter() - self._wall, time.process_time() - self._cpu)
