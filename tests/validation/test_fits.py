"""`validation/fits.py`: the fitted file as `read_fitted` gives it, and what a fit's measurement
table says about how a model was measured."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from fitted_models.reader import FitSource, read_fitted
from validation.args import ValidateArgs, ValidateError
from validation.fits import (
    DEFAULT_TRAJECTORY_STEPS,
    check_protocol,
    fit_context,
    measurement_table,
    quality_column,
    read_fits,
)

ZOO = read_fitted("zoo-cpu")
FITS = dataclasses.replace(
    ZOO,
    protocol="trajectory",
    source=dataclasses.replace(ZOO.source, measurements_path="/no/such/table.parquet"),
)
MODEL = dataclasses.replace(ZOO.models[0], id="m")


def _table() -> pd.DataFrame:
    rows = [
        # model, warm-up, protocol, record, N, mask, image
        ("m", False, "trajectory", "step", 100, "wide-s3", "a+b"),
        ("m", False, "trajectory", "step", 200, "wide-s4", "c"),
        ("m", True, "trajectory", "step", 900, "thin-s0", "w"),  # warm-up: ignored
        ("m", False, "respaced", "final", 500, "thin-s1", "r"),  # other protocol: ignored
        ("x", False, "trajectory", "step", 700, "thin-s2", "x"),  # other model: ignored
    ]
    cols = ["model_id", "is_warmup", "protocol", "record", "steps_N", "mask_id", "image_id"]
    return pd.DataFrame(rows, columns=cols)


def test_fit_context_from_the_table():
    ctx = fit_context(FITS, MODEL, ValidateArgs(), _table())
    assert ctx == {"n_fit": 200, "mask": "wide", "seen": {"a", "b", "c"}}


def test_fit_context_options_and_defaults():
    assert fit_context(FITS, MODEL, ValidateArgs(), None) == {
        "n_fit": DEFAULT_TRAJECTORY_STEPS,
        "mask": "thick",
        "seen": set(),
    }
    ctx = fit_context(FITS, MODEL, ValidateArgs(trajectory_steps=7, mask="thin"), _table())
    assert (ctx["n_fit"], ctx["mask"]) == (7, "thin")
    respaced_fits = dataclasses.replace(FITS, protocol="respaced")
    respaced = fit_context(respaced_fits, MODEL, ValidateArgs(), _table())
    assert respaced["n_fit"] is None and respaced["seen"] == {"r"}


def test_missing_table_protocol_and_quality_column():
    no_path = dataclasses.replace(FITS, source=FitSource("paper", None, None, None))
    assert measurement_table(FITS) is None and measurement_table(no_path) is None
    assert quality_column(dataclasses.replace(FITS, quality_metric={})) == "tv_l1_pred"
    assert quality_column(dataclasses.replace(FITS, quality_metric={"column": "tv_l1"})) == "tv_l1"
    check_protocol(FITS, "f.json")
    with pytest.raises(ValidateError, match="only measured fits"):
        check_protocol(read_fits("paper"), "paper")


def test_read_fits_errors_are_validate_errors(tmp_path):
    with pytest.raises(ValidateError, match="does not exist"):
        read_fits("/no/such.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(ValidateError, match="not valid JSON"):
        read_fits(str(bad))
    fits = read_fits("zoo-cpu")
    assert fits == ZOO and fits.protocol == "trajectory" and fits.path.is_file()


def test_the_zoo_table_is_found_relative_to_the_repository():
    table = measurement_table(ZOO)
    assert table is not None and set(ZOO.ids) <= set(table["model_id"])
