"""One busy core of unrelated load, for the latency benchmark (`profiling.bench_latency`): a
separate process that multiplies NumPy matrices on one BLAS thread, pinned to one core, while
this process is pinned to the others. Light: the child imports NumPy itself."""

from __future__ import annotations

import multiprocessing as mp
import os
from contextlib import contextmanager

from profiling.errors import ProfilingError

START_TIMEOUT_S = 120.0


def split_cores() -> tuple[set[int] | None, int | None]:
    """(the cores left to this process, the core the load gets): the last of this process's
    cores for the load when it has two or more; (None, None) where affinity is unknown or there
    is one core (the load then shares it with us)."""
    if not hasattr(os, "sched_getaffinity"):
        return None, None
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return None, None
    return set(cores[:-1]), cores[-1]


@contextmanager
def pinned(cores: set[int] | None):
    """This process on `cores` while inside (nothing changes for None); restored after."""
    if cores is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cores)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def spin(core: int | None, size: int, ready, parent: int) -> None:
    """The child: pin itself to `core`, then multiply `size` x `size` matrices on one BLAS
    thread until killed (or until its parent is gone)."""
    if core is not None:
        os.sched_setaffinity(0, {core})
    import numpy as np
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        a = np.random.default_rng(0).random((size, size))
        b = a.copy()
        ready.set()
        while os.getppid() == parent:
            b = a @ b
            b /= np.abs(b).max()


class BusyCore:
    """Context manager: the spinning process started (and its start awaited) on entry, killed
    on exit."""

    def __init__(self, core: int | None, size: int = 256):
        self.core, self.size = core, size
        self.process = None

    def __enter__(self) -> BusyCore:
        ctx = mp.get_context("spawn")  # a fresh interpreter: no torch threads forked
        ready = ctx.Event()
        self.process = ctx.Process(
            target=spin, args=(self.core, self.size, ready, os.getpid()), daemon=True
        )
        self.process.start()
        if not ready.wait(START_TIMEOUT_S):
            self.__exit__()
            raise ProfilingError(
                f"the busy-core process did not start its load within {START_TIMEOUT_S:.0f} s."
            )
        return self

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.join(timeout=30)
            self.process = None
