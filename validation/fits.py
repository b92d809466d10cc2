"""The fit's side of a validation run: the fitted-models file (through `read_fitted`) and what
its measurement table says about how each model was measured (schedule N, mask family, the
images the fit saw)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fitted_models.reader import FittedModel, FittedModels, read_fitted
from fitted_models.schema import FittedModelsError
from validation.args import ValidateArgs, ValidateError

DEFAULT_TRAJECTORY_STEPS = 250
"""N of the trajectory schedule when the fit's measurement table is not available
(profile-models' default)."""


def read_fits(fitted: str) -> FittedModels:
    """The fitted-models file `fitted` (path or bundled name): the one place validation reads it."""
    try:
        return read_fitted(fitted)
    except FittedModelsError as exc:
        raise ValidateError(str(exc)) from None


def quality_column(fits: FittedModels) -> str:
    """The measurement column the fit's TV model (7) was fitted on."""
    return fits.quality_metric.get("column", "tv_l1_pred")


def measurement_table(fits: FittedModels):
    """The fit's measurement table (pandas) when its file is here, else None."""
    path = fits.source.measurements_path
    if not path:
        return None
    p = Path(path)
    if not p.is_absolute() and not p.exists():
        p = Path(__file__).resolve().parents[1] / path
    if not p.is_file():
        return None
    return pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p)


def fit_context(fits: FittedModels, model: FittedModel, args: ValidateArgs, table) -> dict:
    """Schedule N, mask family and measured image ids of one model's fit."""
    rows = None
    if table is not None and "model_id" in table:
        rows = table[(table["model_id"] == model.id) & (~table["is_warmup"].astype(bool))]
        rows = rows[rows["protocol"] == fits.protocol]
    n_fit = args.trajectory_steps
    if n_fit is None and fits.protocol == "trajectory":
        steps = rows[rows["record"] == "step"]["steps_N"] if rows is not None else []
        n_fit = int(max(steps)) if len(steps) else DEFAULT_TRAJECTORY_STEPS
    mask = args.mask
    if mask is None:
        ids = rows["mask_id"].dropna().unique().tolist() if rows is not None else []
        mask = ids[0].split("-")[0] if ids else "thick"
    seen: set[str] = set()
    if rows is not None:
        for image_id in rows["image_id"].dropna().unique():
            seen.update(str(image_id).split("+"))
    return {"n_fit": n_fit if fits.protocol == "trajectory" else None, "mask": mask, "seen": seen}


def check_protocol(fits: FittedModels, fitted: str) -> None:
    """Only a measured fit names models and a step protocol that can be replayed."""
    if fits.protocol not in ("trajectory", "respaced"):
        raise ValidateError(
            f"fitted file '{fitted}' has protocol '{fits.protocol}'; only measured fits "
            "(trajectory or respaced) name models that can be run."
        )
