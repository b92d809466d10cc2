"""`profiling.busy`: the busy core starts its load, is pinned away from us, and is killed."""

from __future__ import annotations

import os

from profiling.busy import BusyCore, pinned, split_cores


def test_split_cores_leaves_us_the_rest():
    cores, load = split_cores()
    if cores is None:  # one core (or no affinity): the load would share it
        assert load is None
        return
    assert load not in cores and cores | {load} == os.sched_getaffinity(0)


def test_pinned_restores_the_affinity():
    before = os.sched_getaffinity(0)
    with pinned({min(before)}):
        assert os.sched_getaffinity(0) == {min(before)}
    assert os.sched_getaffinity(0) == before
    with pinned(None):
        assert os.sched_getaffinity(0) == before


def test_the_busy_process_runs_on_its_core_and_is_killed():
    _, core = split_cores()
    with BusyCore(core, size=8) as load:
        process = load.process
        assert process.is_alive()
        if core is not None:
            assert os.sched_getaffinity(process.pid) == {core}
    assert not process.is_alive() and process.exitcode is not None
