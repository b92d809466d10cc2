"""Which clock eq. (8), D(s) = B1 s + B2, is fitted from (`fit-models --delay-clock`).

On a shared CPU the wall clock also measures the neighbours: while another job holds the core,
a request's wall time grows although its own work does not. Each clock turns a model's
measurement rows into one delay per row (`delay_values`):

| clock | delay of a row | a busy neighbour core |
|---|---|---|
| `wall` | `latency_s` (device-synchronised wall time) | moves it: its turns on our core count |
| `cpu` | `latency_cpu_s`: CPU time of the request thread over the same span | only through shared caches, memory bandwidth, clock speed |
| `envelope` | `unet_calls * m` + the request's time outside the UNet (CPU time with one CPU thread, else wall time), m = the shortest UNet call of the model's rows | only where no call ran uninterrupted (m is then an interrupted one) |
| `cuda` | `unet_time_s` on a GPU: the CUDA-event UNet time | the GPU's work only; the host's share of a step is left out |

`auto` (the default) is `cpu` for CPU rows measured with one torch thread, `cuda` for GPU rows,
`envelope` for CPU rows with several threads (their CPU time adds up every thread's work), and
`wall` for tables that predate the CPU-time columns (with a note). docs/profiling.md says why.
"""

from __future__ import annotations

import numpy as np

from fitted_models.schema import DELAY_CLOCKS
from profiling.errors import ProfilingError

AUTO = "auto"
OPTION = "--delay-clock"

COLUMN = {
    "wall": "latency_s",
    "cpu": "latency_cpu_s",
    "envelope": "unet_calls * min(unet_call_min_s) + latency_cpu_s - unet_cpu_s (GPU or several "
    "threads: + latency_s - unet_time_s)",
    "cuda": "unet_time_s",
}
"""What each clock fits, in the measurement table's columns (the fitted JSON's
``delay_model.column``)."""

NEEDS = {
    "wall": ("latency_s",),
    "cpu": ("latency_cpu_s", "cpu_threads"),
    "envelope": ("unet_calls", "unet_call_min_s", "cpu_threads", "latency_cpu_s", "unet_cpu_s"),
    "cuda": ("unet_time_s", "unet_gpu_ms_per_call"),
}
"""The columns each clock reads (all non-null in the fitted rows)."""


def check_clock(name: str) -> str:
    """`name` if it is a clock or `auto`; else a ProfilingError naming the option."""
    if name != AUTO and name not in DELAY_CLOCKS:
        raise ProfilingError(f"{OPTION} '{name}' is not one of {', '.join((AUTO, *DELAY_CLOCKS))}.")
    return name


def _has(rows, columns) -> bool:
    return all(c in rows and rows[c].notna().all() for c in columns)


def _on_gpu(rows) -> bool:
    return (
        bool(rows["device"].astype(str).str.startswith("cuda").all()) if "device" in rows else False
    )


def _one_thread(rows) -> bool:
    return bool((rows["cpu_threads"] == 1).all())


def resolve_clock(name: str, rows) -> tuple[str, str | None]:
    """(clock, note or None): `auto` resolved for these rows, an explicit clock checked."""
    check_clock(name)
    if name != AUTO:
        _check_rows(name, rows)
        return name, None
    if _on_gpu(rows):
        if _has(rows, NEEDS["cuda"]):
            return "cuda", None
    elif _has(rows, NEEDS["cpu"]):
        if _one_thread(rows):
            return "cpu", None
        if _has(rows, NEEDS["envelope"]):
            return "envelope", None
    return "wall", (
        "delay clock auto fell back to wall time: the table lacks the columns of the "
        "neighbour-proof clocks (measured before they existed)."
    )


def _check_rows(clock: str, rows) -> None:
    missing = [c for c in NEEDS[clock] if c not in rows or rows[c].isna().any()]
    if missing:
        raise ProfilingError(
            f"{OPTION} {clock} needs the column(s) {', '.join(missing)}, which the measurement "
            "table lacks or leaves empty; measure again or use --delay-clock wall."
        )
    if clock == "cpu" and _on_gpu(rows):
        raise ProfilingError(
            f"{OPTION} cpu times the host thread, not the GPU's work, and these rows ran on a "
            "GPU; use --delay-clock cuda or envelope."
        )
    if clock == "cpu" and not _one_thread(rows):
        threads = sorted(int(t) for t in rows["cpu_threads"].unique())
        raise ProfilingError(
            f"{OPTION} cpu needs rows measured with one torch thread (--cpu-threads 1), and "
            f"these ran with {threads}: their CPU time adds up every thread's work."
        )
    if clock == "cuda" and not _on_gpu(rows):
        raise ProfilingError(f"{OPTION} cuda needs rows measured on a GPU; these ran on a CPU.")


def delay_values(rows, clock: str) -> np.ndarray:
    """One delay (s) per row of one model under `clock` (an explicit clock, not `auto`)."""
    _check_rows(clock, rows)
    if clock == "envelope":
        shortest = float(rows["unet_call_min_s"].min())
        on_cpu = not _on_gpu(rows) and _one_thread(rows)
        total, unet = ("latency_cpu_s", "unet_cpu_s") if on_cpu else ("latency_s", "unet_time_s")
        rest = rows[total].to_numpy(float) - rows[unet].to_numpy(float)
        return rest + rows["unet_calls"].to_numpy(float) * shortest
    return rows[COLUMN[clock]].to_numpy(dtype=float)
