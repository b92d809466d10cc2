"""Device choice, synchronised clocks (wall and CPU time), memory, and NVML (GPU name, driver,
power, energy).

Every NVML query returns None where unavailable (no driver, no GPU, unsupported query):
profiling never crashes for lack of a power meter."""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable

import torch

from profiling.errors import ProfilingError

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def resolve_dtype(name: str) -> torch.dtype:
    if name not in DTYPES:
        raise ProfilingError(f"dtype '{name}' is not one of {', '.join(DTYPES)}.")
    return DTYPES[name]


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def cpu_clock() -> Callable[[], float]:
    """The CPU-time clock of a measurement: this thread's (`time.thread_time`) when torch runs
    one thread, as `--cpu-threads 1` makes it, else the whole process's (`time.process_time`,
    which then adds up the work of every thread and is no longer a latency)."""
    return time.thread_time if torch.get_num_threads() == 1 else time.process_time


class Stopwatch:
    """Wall clock with device synchronisation, and the CPU time (`cpu_clock`) of the same span,
    pausable (metrics are computed while paused)."""

    def __init__(self, device: torch.device):
        self.device = device
        self.elapsed_s = 0.0
        self.elapsed_cpu_s = 0.0
        """CPU time over the same spans as `elapsed_s` (a busy neighbour core's turns excluded)."""
        self._since: float | None = None
        self._cpu = cpu_clock()
        self._cpu_since = 0.0

    def start(self) -> Stopwatch:
        synchronize(self.device)
        self._since = time.perf_counter()
        self._cpu_since = self._cpu()
        return self

    def pause(self) -> float:
        """Stop both clocks; return the wall time so far (`elapsed_s`)."""
        synchronize(self.device)
        self.elapsed_s += time.perf_counter() - self._since
        self.elapsed_cpu_s += self._cpu() - self._cpu_since
        self._since = None
        return self.elapsed_s

    resume = start


def reset_peak_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def peak_gpu_memory_bytes(device: torch.device) -> int | None:
    return int(torch.cuda.max_memory_allocated(device)) if device.type == "cuda" else None


def peak_rss_bytes() -> int:
    """Peak resident set size of this process (bytes; ru_maxrss is KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(rss if sys.platform == "darwin" else rss * 1024)


class Nvml:
    """NVML queries for one CUDA device, looked up by UUID (NVML ignores CUDA_VISIBLE_DEVICES)."""

    def __init__(self, device: torch.device):
        self.handle = None
        self._nv = None
        if device.type != "cuda":
            return
        try:
            import pynvml

            pynvml.nvmlInit()
            uuid = str(torch.cuda.get_device_properties(device).uuid)
            uuid = uuid if uuid.startswith("GPU-") else f"GPU-{uuid}"
            self.handle = pynvml.nvmlDeviceGetHandleByUUID(uuid)
            self._nv = pynvml
        except Exception:  # NVMLError, missing library, old torch without .uuid
            self.handle = None

    def _query(self, fn_name: str):
        if self.handle is None:
            return None
        try:
            return getattr(self._nv, fn_name)(self.handle)
        except Exception:
            return None

    def gpu_name(self) -> str | None:
        name = self._query("nvmlDeviceGetName")
        return name.decode() if isinstance(name, bytes) else name

    def driver_version(self) -> str | None:
        if self.handle is None:
            return None
        try:
            version = self._nv.nvmlSystemGetDriverVersion()
        except Exception:
            return None
        return version.decode() if isinstance(version, bytes) else version

    def power_w(self) -> float | None:
        mw = self._query("nvmlDeviceGetPowerUsage")
        return None if mw is None else mw / 1000.0

    def energy_mj(self) -> int | None:
        """Energy counter since driver load, mJ (difference two readings for a run)."""
        return self._query("nvmlDeviceGetTotalEnergyConsumption")
