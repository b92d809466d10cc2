"""A fitted-models file as typed, frozen data: `read_fitted(path) -> FittedModels`.

`read_fitted` is the one way to read a fitted-models file: it resolves the path (a bundled name
such as ``paper`` or ``zoo-cpu`` works), validates it against `fitted_models.schema`, checks the
optional fit-quality fields, and returns a `FittedModels` whose `models` are `FittedModel`
entries carrying the file's numbers under the file's key names (units in the names). Every
problem is a `FittedModelsError`: one sentence naming the file and the field.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fitted_models.curves import generation_delay_s, tv_of_steps
from fitted_models.schema import (
    DELAY_KEYS,
    TV_KEYS,
    FittedModelsError,
    load_fitted,
    resolve_fitted_path,
)


@dataclass(frozen=True)
class CurveFit:
    """How one curve was fitted and how well it fits; all None/empty for a reference entry."""

    ci95: dict[str, tuple[float, float]]
    """Bootstrap 95 % interval per parameter key (e.g. ``"A1_steps": (lo, hi)``)."""
    r2: float | None
    """Coefficient of determination over the fitted points."""
    rmse: float | None
    """Root-mean-square residual, in the curve's unit: TV for (7), seconds for (8) (the file's
    ``rmse`` and ``rmse_s``)."""
    n_points: int | None
    """Measurements the fit used."""
    bootstrap: str | None
    """How the interval was made (e.g. ``"percentile, 95 %, resampling curves"``)."""
    steps_axis: str | None
    """Measurement column of the steps axis (``step_n`` or ``steps_N``)."""
    column: str | None
    """Measurement column that was fitted (e.g. ``tv_l1_pred``, ``latency_s``)."""


@dataclass(frozen=True)
class FittedModel:
    """One model's entry: its checkpoint, sizes, eq. (7) and eq. (8) parameters and their fits."""

    id: str
    checkpoint: str | None
    """Path or hub id (or ``zoo:<domain>``) of the model that was measured."""
    checkpoint_sha256: str | None
    storage_size_bytes: float
    """c_m of (11d)."""
    output_size_bits: float
    """d_m^op of (6)."""
    A1_steps: float
    """(7): steps where quality starts to improve."""
    A2_tv: float
    """(7): TV plateau up to A1 (the worst quality)."""
    A3_steps: float
    """(7): steps where quality stabilises."""
    A4_tv: float
    """(7): TV plateau from A3 (the best quality)."""
    B1_s_per_step: float
    """(8): generation seconds per denoising step."""
    B2_s: float
    """(8): fixed generation overhead in seconds."""
    tv_fit: CurveFit
    delay_fit: CurveFit
    throughput: tuple[dict, ...]
    """Batched throughput rows (``steps_N``, ``batch_size``, ``img_per_s``), as measured."""
    settings: dict
    """Generation settings of the measurements (jump_length, jump_n_sample, eta, dtype, ...)."""
    notes: str

    def tv(self, steps) -> np.ndarray:
        """Eq. (7) with this model's A1..A4."""
        return tv_of_steps(steps, self.A1_steps, self.A2_tv, self.A3_steps, self.A4_tv)

    def delay_s(self, steps) -> np.ndarray:
        """Eq. (8) with this model's B1, B2."""
        return generation_delay_s(steps, self.B1_s_per_step, self.B2_s)


@dataclass(frozen=True)
class FitSource:
    """Where the fit's numbers come from."""

    kind: str
    """``"measurements"`` or ``"paper"``."""
    citation: str | None
    measurements_path: str | None
    """The measurement table(s) fitted, ``;``-separated, as given to `fit-models`."""
    measurements_sha256: str | None
    """Their sha256 hashes, in the same order."""


@dataclass(frozen=True)
class FittedModels:
    """One fitted-models file: provenance and one `FittedModel` per model, in file order."""

    path: Path
    """The file read (a bundled name resolved)."""
    name: str
    description: str | None
    protocol: str
    """Step protocol of the fits: ``trajectory``, ``respaced``, ``start`` or ``paper``."""
    quality_metric: dict
    device: dict
    created_utc: str | None
    source: FitSource
    versions: dict
    models: tuple[FittedModel, ...]
    delay_clock: str | None = None
    """The clock eq. (8) was fitted from (``wall``, ``cpu``, ``envelope``, ``cuda``;
    `fitted_models.schema.DELAY_CLOCKS`); None in files written before it was recorded, which
    were fitted from wall time, and in the paper's entry."""

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.models)

    def model(self, model_id: str) -> FittedModel:
        for m in self.models:
            if m.id == model_id:
                return m
        raise FittedModelsError(
            f"{self.path}: no model '{model_id}' (the file has {', '.join(self.ids)})."
        )


def read_fitted(path: str | os.PathLike) -> FittedModels:
    """Read and validate a fitted-models file (a path or a bundled name such as 'paper')."""
    resolved = resolve_fitted_path(path)
    doc = load_fitted(resolved)  # the schema's checks; below, the optional fields'
    where = str(resolved)
    source = _object(where, "source", doc["source"])
    return FittedModels(
        path=resolved,
        name=str(doc["name"]),
        description=doc.get("description"),
        protocol=doc["protocol"],
        quality_metric=_object(where, "quality_metric", doc["quality_metric"]),
        device=_object(where, "device", doc["device"]),
        created_utc=doc.get("created_utc"),
        source=FitSource(
            kind=source.get("kind"),
            citation=source.get("citation"),
            measurements_path=source.get("measurements_path"),
            measurements_sha256=source.get("measurements_sha256"),
        ),
        versions=_object(where, "versions", _given(doc, "versions", {})),
        models=tuple(_model(where, f"models[{i}]", e) for i, e in enumerate(doc["models"])),
        delay_clock=doc.get("delay_clock"),
    )


def _model(where: str, prefix: str, entry: dict) -> FittedModel:
    tv, delay = entry["tv_model"], entry["delay_model"]
    return FittedModel(
        id=entry["id"],
        checkpoint=entry.get("checkpoint"),
        checkpoint_sha256=entry.get("checkpoint_sha256"),
        storage_size_bytes=float(entry["storage_size_bytes"]),
        output_size_bits=float(entry["output_size_bits"]),
        **{k: float(tv[k]) for k in TV_KEYS},
        **{k: float(delay[k]) for k in DELAY_KEYS},
        tv_fit=_curve_fit(where, f"{prefix}.tv_model", tv, "rmse"),
        delay_fit=_curve_fit(where, f"{prefix}.delay_model", delay, "rmse_s"),
        throughput=tuple(_list(where, f"{prefix}.throughput", _given(entry, "throughput", []))),
        settings=_object(where, f"{prefix}.settings", _given(entry, "settings", {})),
        notes=_given(entry, "notes", ""),
    )


def _given(obj: dict, key: str, default: Any) -> Any:
    """`obj[key]`, or `default` where the optional field is absent or null."""
    value = obj.get(key)
    return default if value is None else value


def _object(where: str, field: str, value: Any) -> dict:
    if not isinstance(value, dict):
        raise FittedModelsError(f"{where}: field '{field}' must be an object, got {value!r}.")
    return value


def _list(where: str, field: str, value: Any) -> list:
    if not isinstance(value, list):
        raise FittedModelsError(f"{where}: field '{field}' must be a list, got {value!r}.")
    return value


def _optional_number(where: str, field: str, value: Any) -> float | None:
    """None when absent; NaN is allowed (an R^2 of constant data is undefined)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FittedModelsError(f"{where}: field '{field}' must be a number, got {value!r}.")
    return float(value)


def _interval(where: str, field: str, value: Any) -> tuple[float, float]:
    ok = (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(_is_finite_number(v) for v in value)
    )
    if not ok:
        raise FittedModelsError(
            f"{where}: field '{field}' must be a [low, high] pair of finite numbers, got {value!r}."
        )
    return float(value[0]), float(value[1])


def _is_finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _curve_fit(where: str, prefix: str, curve: dict, rmse_key: str) -> CurveFit:
    ci95 = _object(where, f"{prefix}.ci95", _given(curve, "ci95", {}))
    n_points = _optional_number(where, f"{prefix}.n_points", curve.get("n_points"))
    return CurveFit(
        ci95={k: _interval(where, f"{prefix}.ci95.{k}", v) for k, v in ci95.items()},
        r2=_optional_number(where, f"{prefix}.r2", curve.get("r2")),
        rmse=_optional_number(where, f"{prefix}.{rmse_key}", curve.get(rmse_key)),
        n_points=None if n_points is None else int(n_points),
        bootstrap=curve.get("bootstrap"),
        steps_axis=curve.get("steps_axis"),
        column=curve.get("column"),
    )
