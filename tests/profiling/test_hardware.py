"""`profiling.hardware`: dtype names are checked at the boundary; the stopwatch keeps CPU time."""

import time

import pytest
import torch

from profiling.errors import ProfilingError
from profiling.hardware import resolve_dtype


def test_dtype_names_resolve_or_are_refused_in_one_sentence():
    assert resolve_dtype("bf16") is torch.bfloat16
    with pytest.raises(ProfilingError, match="dtype 'fp8' is not one of fp32, fp16, bf16"):
        resolve_dtype("fp8")


def test_stopwatch_keeps_cpu_time_beside_wall_time():
    from profiling.hardware import Stopwatch, cpu_clock

    watch = Stopwatch(torch.device("cpu")).start()
    x = torch.rand(128, 128)
    for _ in range(50):
        x = x @ x / 128
    watch.pause()
    time.sleep(0.05)  # paused: counted by neither clock
    watch.resume()
    time.sleep(0.05)  # asleep: wall time, no CPU time
    wall = watch.pause()
    assert 0.05 <= wall < 0.5 and 0 < watch.elapsed_cpu_s <= wall + 1e-3
    assert wall - watch.elapsed_cpu_s >= 0.04
    assert cpu_clock() is time.thread_time  # one torch thread (tests/profiling/conftest.py)
    torch.set_num_threads(2)
    try:
        assert cpu_clock() is time.process_time  # several threads: the whole process's work
    finally:
        torch.set_num_threads(1)
