"""`common.timing`: wall and CPU seconds together; waiting costs wall time, not CPU time."""

import time

from common.timing import Elapsed, Stopwatch


def test_waiting_costs_wall_time_and_work_costs_cpu_time():
    watch = Stopwatch()
    time.sleep(0.2)
    slept = watch.elapsed()
    assert slept.wall_s >= 0.2 and slept.cpu_s < 0.1
    watch = Stopwatch()
    end = time.process_time() + 0.1
    while time.process_time() < end:
        pass
    worked = watch.elapsed()
    assert worked.cpu_s >= 0.1 and worked.wall_s >= worked.cpu_s * 0.9


def test_a_pack_members_share():
    assert Elapsed(10.0, 6.0) / 4 == Elapsed(2.5, 1.5)
