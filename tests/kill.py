"""Kill a real `t2drl` process with SIGKILL once it has done some work (not a test module)."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable

from tests.profiling.conftest import PY, ROOT, subprocess_env


def kill_when(argv: list[str], ready: Callable[[], bool], timeout_s: float = 180.0) -> None:
    """Start `python -m t2drl_cli ARGV`, SIGKILL it as soon as `ready()` holds; fail if it
    finished (or timed out) first, which would mean nothing was interrupted."""
    child = subprocess.Popen(
        [PY, "-m", "t2drl_cli", *argv],
        cwd=ROOT,
        env=subprocess_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + timeout_s
    while not ready():
        assert child.poll() is None, "the command finished before it could be killed"
        assert time.time() < deadline, "the command did no work in time"
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    assert child.wait() == -signal.SIGKILL
