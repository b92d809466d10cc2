"""`profiling.campaign`: profile-models end to end (sweep, then fit) and what it prints."""

from __future__ import annotations

import pandas as pd

from profiling.args import ProfileArgs
from profiling.campaign import _picks, main, summary


def test_measure_then_fit_then_summary(tiny_unet_dir, tmp_path):
    args = ProfileArgs(
        models=(str(tiny_unet_dir),), protocol="trajectory", trajectory_steps=8, num_images=1,
        throughput=False,
        out=tmp_path / "camp", progress=False,
    )  # fmt: skip
    args.fitting.fit_out, args.fitting.n_boot = tmp_path / "fits", 5
    result = main(args)
    assert result["done"] == 1 and result["fits"]  # one cell; the fit was tried
    printed = summary(result)
    (_, table), *fit_tables = printed.tables
    table = pd.DataFrame(table)
    assert list(table["N, n or t_T"]) == ["1", "3", "5", "7", "8"]  # 8 steps: five of them shown
    assert printed.lines[0].startswith("1 cells measured, 0 already done; table: ")
    # A random UNet's curve has no plateaus: no fit table, one warning instead.
    assert not fit_tables and printed.lines[1].startswith("warning: cannot fit: ")
    assert summary(result | {"rank": 1}) is None  # other processes print nothing


def test_picks_all_steps_or_five():
    assert _picks(list(range(1, 7))) == [1, 2, 3, 4, 5, 6]
    assert _picks(list(range(1, 251))) == [1, 63, 126, 188, 250]


def test_the_closing_fit_takes_the_delay_clock_and_checks_it_first(tmp_path):
    import pytest

    from profiling.errors import ProfilingError
    from profiling.fitrun import FitAfterArgs, FitArgs

    assert FitAfterArgs().delay_clock == FitArgs().delay_clock == "auto"
    assert FitAfterArgs(delay_clock="envelope").fit_args(tmp_path, "trajectory").delay_clock == (
        "envelope"
    )
    args = ProfileArgs(out=tmp_path / "never")
    args.fitting.delay_clock = "sundial"
    with pytest.raises(ProfilingError, match="^--delay-clock 'sundial'"):
        main(args)
    assert not (tmp_path / "never").exists()  # refused before anything was measured
