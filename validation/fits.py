"""The fit's side of a validation run: the fitted-models file and what its measurement table
says about how each model was measured (schedule N, mask family, the images the fit saw)."""

from __future__ import annotations

from pathlib import Path

from validation.args import ValidateArgs, ValidateError

DEFAULT_TRAJECTORY_STEPS = 250
"""N of the trajectory schedule when the fit's measurement table is not available
(profile-models' default)."""


def load_fitted_doc(fitted: str) -> tuple[dict, Path]:
    """(the fitted-models document, its resolved path): the one place validation reads it."""
    from fitted_models.schema import FittedModelsError, load_fitted, resolve_fitted_path

    try:
        return load_fitted(fitted), resolve_fitted_path(fitted)
    except FittedModelsError as exc:
        raise ValidateError(str(exc)) from None


def quality_column(doc: dict) -> str:
    """The measurement column the fit's TV model (7) was fitted on."""
    return doc.get("quality_metric", {}).get("column", "tv_l1_pred")


def measurement_table(doc: dict):
    """The fit's measurement table (pandas) when its file is here, else None."""
    path = doc.get("source", {}).get("measurements_path")
    if not path:
        return None
    p = Path(path)
    if not p.is_absolute() and not p.exists():
        p = Path(__file__).resolve().parents[1] / path
    if not p.is_file():
        return None
    import pandas as pd

    return pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p)


def fit_context(doc: dict, entry: dict, args: ValidateArgs, table) -> dict:
    """Schedule N, mask family and measured image ids of one model's fit."""
    rows = None
    if table is not None and "model_id" in table:
        rows = table[(table["model_id"] == entry["id"]) & (~table["is_warmup"].astype(bool))]
        rows = rows[rows["protocol"] == doc["protocol"]]
    n_fit = args.trajectory_steps
    if n_fit is None and doc["protocol"] == "trajectory":
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
    return {"n_fit": n_fit if doc["protocol"] == "trajectory" else None, "mask": mask, "seen": seen}


def check_protocol(doc: dict, fitted: str) -> None:
    """Only a measured fit names models and a step protocol that can be replayed."""
    if doc["protocol"] not in ("trajectory", "respaced"):
        raise ValidateError(
            f"fitted file '{fitted}' has protocol '{doc['protocol']}'; only measured fits "
            "(trajectory or respaced) name models that can be run."
        )
