"""`fitted_models.schema`: a valid document survives dump and load; a broken one is refused."""

import copy

import pytest

from fitted_models.schema import (
    SCHEMA_VERSION,
    FittedModelsError,
    dump_fitted,
    load_fitted,
    validate_fitted,
)


def test_dump_then_load_is_the_same_document(tmp_path):
    doc = load_fitted("paper")
    path = dump_fitted(doc, tmp_path / "sub" / "copy.json")
    assert load_fitted(path) == doc


def test_duplicate_model_ids_are_refused():
    doc = copy.deepcopy(load_fitted("paper"))
    doc["models"].append(copy.deepcopy(doc["models"][0]))
    with pytest.raises(FittedModelsError, match=r"models\[1\]\.id' must be unique"):
        validate_fitted(doc)


def test_the_delay_clock_is_optional_and_checked():
    doc = copy.deepcopy(load_fitted("paper"))
    assert "delay_clock" not in doc  # files written before it was recorded stay valid
    for clock in ("wall", "cpu", "envelope", "cuda", None):
        validate_fitted({**doc, "delay_clock": clock})
    with pytest.raises(FittedModelsError, match="field 'delay_clock' must be one of"):
        validate_fitted({**doc, "delay_clock": "sundial"})


def test_version_2_adds_the_start_protocol_and_keeps_reading_version_1():
    doc = copy.deepcopy(load_fitted("paper"))
    assert doc["schema_version"] == 1  # the committed files stay readable
    doc["protocol"] = "start"
    with pytest.raises(FittedModelsError, match="protocol"):
        validate_fitted(doc)  # no start protocol in version 1
    doc["schema_version"] = SCHEMA_VERSION
    doc["quality_metric"]["image_size_hwc"] = [256, 256, 3]
    doc["models"][0]["tv_model"]["image_size_hwc"] = [256, 256, 3]
    assert validate_fitted(doc) is doc
    doc["models"][0]["tv_model"]["image_size_hwc"] = [256, 256]
    with pytest.raises(FittedModelsError, match=r"tv_model\.image_size_hwc"):
        validate_fitted(doc)
    doc["schema_version"] = 3
    with pytest.raises(FittedModelsError, match="schema_version"):
        validate_fitted(doc)
