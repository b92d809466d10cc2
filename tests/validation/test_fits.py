"""`validation/fits.py`: what a fit's measurement table says about how a model was measured."""

from __future__ import annotations

import pandas as pd
import pytest

from validation.args import ValidateArgs, ValidateError
from validation.fits import (
    DEFAULT_TRAJECTORY_STEPS,
    check_protocol,
    fit_context,
    load_fitted_doc,
    measurement_table,
    quality_column,
)

DOC = {"protocol": "trajectory", "source": {"measurements_path": "/no/such/table.parquet"}}
ENTRY = {"id": "m"}


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
    ctx = fit_context(DOC, ENTRY, ValidateArgs(), _table())
    assert ctx == {"n_fit": 200, "mask": "wide", "seen": {"a", "b", "c"}}


def test_fit_context_options_and_defaults():
    assert fit_context(DOC, ENTRY, ValidateArgs(), None) == {
        "n_fit": DEFAULT_TRAJECTORY_STEPS,
        "mask": "thick",
        "seen": set(),
    }
    ctx = fit_context(DOC, ENTRY, ValidateArgs(trajectory_steps=7, mask="thin"), _table())
    assert (ctx["n_fit"], ctx["mask"]) == (7, "thin")
    respaced = fit_context({**DOC, "protocol": "respaced"}, ENTRY, ValidateArgs(), _table())
    assert respaced["n_fit"] is None and respaced["seen"] == {"r"}


def test_missing_table_protocol_and_quality_column():
    assert measurement_table(DOC) is None and measurement_table({}) is None
    assert quality_column({}) == "tv_l1_pred"
    assert quality_column({"quality_metric": {"column": "tv_l1"}}) == "tv_l1"
    check_protocol(DOC, "f.json")
    with pytest.raises(ValidateError, match="only measured fits"):
        check_protocol({"protocol": "paper"}, "f.json")


def test_load_fitted_doc_errors_are_validate_errors():
    with pytest.raises(ValidateError, match="does not exist"):
        load_fitted_doc("/no/such.json")
    doc, path = load_fitted_doc("zoo-cpu")
    assert doc["protocol"] == "trajectory" and path.is_file()
