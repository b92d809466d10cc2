"""`profiling.clocks`: the delay of a row under each clock, `auto`, and refusals naming the option."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from profiling.clocks import COLUMN, check_clock, delay_values, resolve_clock
from profiling.errors import ProfilingError


def _rows(**extra) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "device": "cpu",
            "cpu_threads": 1,
            "unet_calls": [1, 2, 3],
            "latency_s": [0.30, 0.50, 0.70],
            "latency_cpu_s": [0.12, 0.22, 0.32],
            "unet_time_s": [0.25, 0.40, 0.55],
            "unet_cpu_s": [0.10, 0.18, 0.26],
            "unet_call_min_s": [0.12, 0.11, 0.13],
            "unet_gpu_ms_per_call": None,
            **extra,
        }
    )


def test_each_clock_gives_its_delay():
    rows = _rows()
    np.testing.assert_allclose(delay_values(rows, "wall"), [0.30, 0.50, 0.70])
    np.testing.assert_allclose(delay_values(rows, "cpu"), [0.12, 0.22, 0.32])
    # envelope: calls x the model's shortest call (0.11 s) + the CPU time outside the UNet ...
    np.testing.assert_allclose(delay_values(rows, "envelope"), [0.13, 0.26, 0.39])
    # ... or the wall time outside it where CPU time is no latency (a GPU, several threads)
    np.testing.assert_allclose(delay_values(_rows(cpu_threads=2), "envelope"), [0.16, 0.32, 0.48])
    gpu = _rows(device="cuda:0", unet_gpu_ms_per_call=[100.0, 100.0, 100.0])
    np.testing.assert_allclose(delay_values(gpu, "envelope"), [0.16, 0.32, 0.48])
    np.testing.assert_allclose(delay_values(gpu, "cuda"), [0.25, 0.40, 0.55])
    assert set(COLUMN) == {"wall", "cpu", "envelope", "cuda"}


def test_auto_picks_the_neighbour_proof_clock_the_rows_support():
    assert resolve_clock("auto", _rows()) == ("cpu", None)
    assert resolve_clock("auto", _rows(cpu_threads=4))[0] == "envelope"
    gpu = _rows(device="cuda", unet_gpu_ms_per_call=[1.0, 1.0, 1.0])
    assert resolve_clock("auto", gpu) == ("cuda", None)
    old = _rows().drop(columns=["latency_cpu_s", "unet_call_min_s"])  # measured before them
    clock, note = resolve_clock("auto", old)
    assert clock == "wall" and "fell back to wall time" in note
    assert resolve_clock("wall", old) == ("wall", None)


@pytest.mark.parametrize(
    ("clock", "rows", "needle"),
    [
        ("cpu", _rows().drop(columns=["latency_cpu_s"]), "needs the column(s) latency_cpu_s"),
        ("cpu", _rows(cpu_threads=2), "one torch thread (--cpu-threads 1)"),
        ("cpu", _rows(device="cuda", unet_gpu_ms_per_call=1.0), "rows ran on a GPU"),
        ("cuda", _rows(unet_gpu_ms_per_call=1.0), "needs rows measured on a GPU"),
        ("envelope", _rows(unet_call_min_s=None), "unet_call_min_s"),
    ],
)
def test_a_clock_the_rows_cannot_support_is_one_sentence(clock, rows, needle):
    with pytest.raises(ProfilingError) as info:
        resolve_clock(clock, rows)
    msg = str(info.value)
    assert msg.startswith(f"--delay-clock {clock}") and needle in msg and "\n" not in msg


def test_an_unknown_clock_names_the_option():
    assert check_clock("envelope") == "envelope"
    with pytest.raises(ProfilingError, match=r"^--delay-clock 'sundial' is not one of auto, wall"):
        check_clock("sundial")
