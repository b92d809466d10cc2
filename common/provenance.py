"""Where a result came from: package versions, git commit, CPU, load, device, in one place.

`provenance()` is the block every run record carries (``versions``, ``git_commit``,
``device``, ``argv``, ``time_utc``); the pieces are public for the tables and records that
keep their own keys (the measurement table's ``torch_version`` column, a benchmark's ``cpu``).
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

RUN_DISTS = ("t2drl-testbed", "numpy", "scipy", "torch", "pymoo")
"""The distributions whose versions `provenance()` records."""


def versions(*names: str, python: bool = True, runtime: bool = False) -> dict[str, str | None]:
    """{"python": version, name: version, ...}; None for a package that is not installed.

    By default a name is a distribution and its version the installed one
    (`importlib.metadata`, e.g. torch "2.14.1"); `runtime=True` imports the module of that name
    and reads its ``__version__`` instead, which for torch names the build ("2.14.1+cu130").
    """
    out: dict[str, str | None] = {"python": platform.python_version()} if python else {}
    for name in names:
        if runtime:
            try:
                v = getattr(importlib.import_module(name), "__version__", None)
            except ImportError:
                v = None
            out[name] = None if v is None else str(v)
        else:
            try:
                out[name] = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                out[name] = None
    return out


def git_commit() -> str | None:
    """The checked-out commit of this source tree (None outside a git checkout)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return commit or None


def cpu_name() -> str:
    """The CPU's model name (/proc/cpuinfo), else what `platform` knows."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> float | None:
    """1-minute load average (timings from a busy machine are not comparable); None if unknown."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def device_name(device: Any, gpu_name: str | None = None) -> str:
    """What a torch device is: the GPU's name (`gpu_name`, e.g. from NVML, else torch's) for
    CUDA; for a CPU, its model name (`cpu_name`, not the architecture `platform` reports)."""
    if device.type == "cuda":
        import torch

        return gpu_name or torch.cuda.get_device_name(device)
    return cpu_name() or "cpu"


def cpu_kernels() -> dict[str, str]:
    """The vector kernels the numerical libraries picked on this CPU. They decide float
    rounding, so the same seed gives the same numbers only where they agree: NumPy's OpenBLAS
    chooses by CPU (a rerun can force one with OPENBLAS_CORETYPE), NumPy's own float64 loops
    (exp, log, ...) by CPU too, torch by its capability (ATEN_CPU_CAPABILITY).
    docs/experiments.md, "On another machine"."""
    import numpy  # noqa: F401  (loads its BLAS, which threadpoolctl lists once loaded)
    from threadpoolctl import threadpool_info

    out = {
        i["internal_api"]: str(i.get("architecture"))
        for i in threadpool_info()
        if i.get("user_api") == "blas"
    }
    out["numpy"] = numpy_simd()
    torch = sys.modules.get("torch")  # only when the run uses it: importing torch is slow
    if torch is not None:
        out["torch"] = torch.backends.cpu.get_cpu_capability()
    return out


@functools.cache
def numpy_simd() -> str:
    """The SIMD targets NumPy's float64 loops dispatch to on this CPU, e.g. 'X86_V3' (AVX2) or
    'X86_V3+X86_V4' (AVX-512): the GA's fitnesses differ in their last bits between them."""
    from numpy.lib.introspect import opt_func_info

    loops = opt_func_info(signature="float64").values()
    current = {v["current"] for loop in loops for v in loop.values()}
    chosen = sorted(t for t in current if not t.startswith("baseline"))
    return "+".join(chosen) or ", ".join(sorted(current))


def provenance() -> dict:
    """Versions (`RUN_DISTS`), git commit, CPU and platform, command line and UTC time of this
    run."""
    return {
        "versions": versions(*RUN_DISTS),
        "git_commit": git_commit(),
        "device": {"cpu": cpu_name(), "platform": platform.platform(), "kernels": cpu_kernels()},
        "argv": sys.argv,
        "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
