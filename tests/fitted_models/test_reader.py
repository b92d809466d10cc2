"""`read_fitted`: the bundled files as typed data, and bad input as one sentence naming the field."""

import dataclasses
import json
from pathlib import Path

import pytest

from common.io import sha256_file
from fitted_models.reader import FittedModel, read_fitted
from fitted_models.schema import PACKAGE_DIR, FittedModelsError, load_fitted

ROOT = PACKAGE_DIR.parent


def test_paper_entry_is_typed_and_callable():
    fitted = read_fitted("paper")
    assert fitted.path == PACKAGE_DIR / "paper.json" and fitted.protocol == "paper"
    assert fitted.ids == ("repaint-celebahq",) and fitted.source.kind == "paper"
    m = fitted.model("repaint-celebahq")
    assert (m.A1_steps, m.A2_tv, m.A3_steps, m.A4_tv) == (60.0, 110.0, 170.0, 28.0)
    assert (m.B1_s_per_step, m.B2_s) == (0.18, 5.74)
    assert m.tv(0) == 110 and m.tv(250) == 28 and m.tv(115) == pytest.approx(69.0)
    assert m.delay_s(100) == pytest.approx(23.74)
    assert m.tv_fit.ci95 == {} and m.tv_fit.r2 is None and m.delay_fit.rmse is None
    assert fitted.delay_clock is None  # not recorded: the paper's number
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.A1_steps = 1.0  # type: ignore[misc]


def test_zoo_cpu_carries_every_number_and_its_provenance():
    fitted = read_fitted("zoo-cpu")
    doc = load_fitted("zoo-cpu")
    assert fitted.ids == tuple(e["id"] for e in doc["models"])
    for m, e in zip(fitted.models, doc["models"], strict=True):
        assert isinstance(m, FittedModel) and m.checkpoint == e["checkpoint"]
        assert m.storage_size_bytes == e["storage_size_bytes"]
        assert m.output_size_bits == e["output_size_bits"]
        for key in ("A1_steps", "A2_tv", "A3_steps", "A4_tv"):
            assert getattr(m, key) == e["tv_model"][key]
            assert m.tv_fit.ci95[key] == tuple(e["tv_model"]["ci95"][key])
        for key in ("B1_s_per_step", "B2_s"):
            assert getattr(m, key) == e["delay_model"][key]
        assert (m.tv_fit.r2, m.tv_fit.rmse) == (e["tv_model"]["r2"], e["tv_model"]["rmse"])
        assert m.delay_fit.rmse == e["delay_model"]["rmse_s"]
        assert m.tv_fit.n_points == e["tv_model"]["n_points"] and m.tv_fit.steps_axis == "step_n"
        assert m.settings == e["settings"] and m.throughput == tuple(e["throughput"])
    src = fitted.source
    assert src.kind == "measurements"
    assert src.measurements_sha256 == sha256_file(ROOT / src.measurements_path)


def _write(tmp_path: Path, doc: dict) -> Path:
    path = tmp_path / "f.json"
    path.write_text(json.dumps(doc))
    return path


def _bad(tmp_path, change) -> str:
    doc = load_fitted("zoo-cpu")
    change(doc["models"][0])
    path = _write(tmp_path, doc)
    with pytest.raises(FittedModelsError) as err:
        read_fitted(path)
    msg = str(err.value)
    assert msg.startswith(str(path)) and "\n" not in msg
    return msg


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda e: e["tv_model"].update(A3_steps=1.0), "models[0].tv_model.A3_steps"),
        (lambda e: e["delay_model"].pop("B2_s"), "models[0].delay_model.B2_s"),
        (
            lambda e: e["tv_model"]["ci95"].update(A1_steps=[1.0]),
            "models[0].tv_model.ci95.A1_steps",
        ),
        (lambda e: e["tv_model"].update(r2="high"), "models[0].tv_model.r2"),
        (lambda e: e["delay_model"].update(rmse_s=True), "models[0].delay_model.rmse_s"),
        (lambda e: e.update(settings=[1]), "models[0].settings"),
        (lambda e: e.update(throughput={}), "models[0].throughput"),
    ],
)
def test_bad_fields_are_named(tmp_path, change, field):
    assert f"'{field}'" in _bad(tmp_path, change)


def test_missing_unreadable_and_unknown(tmp_path):
    with pytest.raises(FittedModelsError, match="does not exist"):
        read_fitted(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(FittedModelsError, match="not valid JSON"):
        read_fitted(broken)
    with pytest.raises(FittedModelsError, match="no model 'nope'"):
        read_fitted("paper").model("nope")
