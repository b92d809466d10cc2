"""The fitted-models file format: one schema, versioned, written by `profiling` and read as
typed data through `fitted_models.reader.read_fitted`.

A fitted-models file is JSON. Units are in the keys. One file holds the fits of one
measurement campaign under one step protocol (``"trajectory"``, ``"respaced"`` or ``"start"``,
see ``profiling``), one entry per model::

    {
      "schema": "t2drl.fitted-models",
      "schema_version": 2,
      "name": "paper",                          # names the source (device, model set, date)
      "description": "free text",
      "protocol": "trajectory",                 # "respaced", "start", or "paper" (reference entry)
      "quality_metric": {"name": "total_variation", "norm_type": "l2", "image_range": "[0, 1]",
                         "column": "tv_l2_pred",                  # optional: the fitted column
                         "image": "the predicted clean image",    # optional
                         "image_size_hwc": [32, 32, 3]},          # optional: H, W, C
      "device": {"name": "NVIDIA RTX A5000", "kind": "cuda", "dtype": "fp16",  # optional below:
                 "load_1min_before": 0.4, "load_1min_after": 1.1},  # the load around it
      "delay_clock": "cuda",                    # optional: the clock eq. (8) was fitted from
                                                # (wall | cpu | envelope | cuda; absent: wall)
      "created_utc": "2026-11-23T10:00:00Z",
      "source": {"kind": "paper" | "measurements", "citation": "...",
                 "measurements_path": "...", "measurements_sha256": "..."},
      "versions": {"torch": "...", "diffusers": "..."},     # optional
      "models": [
        {
          "id": "celebahq",
          "checkpoint": "google/ddpm-ema-celebahq-256",       # path or hub id
          "checkpoint_sha256": null,                           # null where unknown
          "storage_size_bytes": 454867224,                     # c_m of (11d)
          "output_size_bits": 1572864,                         # d_m^op of (6)
          "tv_model": {                                        # eq. (7)
            "A1_steps": 60, "A2_tv": 110, "A3_steps": 170, "A4_tv": 28,
            "ci95": {"A1_steps": [55, 65], ...},               # optional
            "r2": 0.98, "rmse": 3.1, "n_points": 1000,          # optional
            "norm_type": "l2", "image_size_hwc": [256, 256, 3]  # optional (version 2)
          },
          "delay_model": {                                     # eq. (8)
            "B1_s_per_step": 0.18, "B2_s": 5.74,
            "ci95": {...}, "r2": ..., "rmse_s": ..., "n_points": ...   # optional
          },
          "notes": "free text"                                 # optional
        }
      ]
    }

Version 2 added the ``"start"`` protocol and the optional keys marked above (norm, column and
image size of the quality metric); version-1 files are read as before. `load_fitted(path)`
validates a file and returns it as plain Python data (`read_fitted` builds
its typed form on it); every problem is reported as one sentence naming the file and the field
(`FittedModelsError`). `dump_fitted(doc, path)` validates, then writes atomically.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from common.errors import UserError
from common.io import write_json

SCHEMA_NAME = "t2drl.fitted-models"
SCHEMA_VERSION = 2
"""The version `dump_fitted` writes."""
READ_VERSIONS = (1, 2)
"""The versions `load_fitted` reads (2 added the start protocol and optional keys)."""
PROTOCOLS = ("trajectory", "respaced", "start", "paper")
PROTOCOLS_V1 = ("trajectory", "respaced", "paper")
TV_KEYS = ("A1_steps", "A2_tv", "A3_steps", "A4_tv")
DELAY_KEYS = ("B1_s_per_step", "B2_s")
DELAY_CLOCKS = ("wall", "cpu", "envelope", "cuda")
"""The clocks eq. (8) can be fitted from (`profiling.clocks`); a file without ``delay_clock``
was fitted from wall time."""
PACKAGE_DIR = Path(__file__).resolve().parent


class FittedModelsError(UserError):
    """A fitted-models file that does not follow the schema (one sentence, names the field)."""


def _fail(where: str, field: str, expected: str, got: Any) -> None:
    raise FittedModelsError(f"{where}: field '{field}' must be {expected}, got {got!r}.")


def _number(where: str, field: str, value: Any, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        _fail(where, field, "a finite number", value)
    if positive and value <= 0:
        _fail(where, field, "a positive number", value)
    return float(value)


def validate_fitted(doc: Any, where: str = "fitted-models document") -> dict:
    """Check `doc` against its schema version (1 or 2); return it unchanged or raise
    FittedModelsError."""
    if not isinstance(doc, dict):
        raise FittedModelsError(f"{where}: expected a JSON object at the top level.")
    if doc.get("schema") != SCHEMA_NAME:
        _fail(where, "schema", repr(SCHEMA_NAME), doc.get("schema"))
    version = doc.get("schema_version")
    if isinstance(version, bool) or version not in READ_VERSIONS:
        _fail(
            where,
            "schema_version",
            f"one of {READ_VERSIONS} (the versions this code reads)",
            version,
        )
    for key in ("name", "protocol", "quality_metric", "device", "source", "models"):
        if key not in doc:
            raise FittedModelsError(f"{where}: required field '{key}' is missing.")
    _validate_header(doc, where, version)
    models = doc["models"]
    if not isinstance(models, list) or not models:
        _fail(where, "models", "a non-empty list", models)
    seen: set[str] = set()
    for i, entry in enumerate(models):
        _validate_model(entry, where, f"models[{i}]")
        if entry["id"] in seen:
            _fail(where, f"models[{i}].id", "unique within the file", entry["id"])
        seen.add(entry["id"])
    return doc


def _validate_header(doc: dict, where: str, version: int) -> None:
    """The protocol (`start` from version 2 on), the quality metric's optional image size and
    the optional delay clock."""
    protocols = PROTOCOLS if version >= 2 else PROTOCOLS_V1
    if doc["protocol"] not in protocols:
        _fail(where, "protocol", f"one of {protocols} (version {version})", doc["protocol"])
    if isinstance(doc["quality_metric"], dict):
        _image_size(where, "quality_metric.image_size_hwc", doc["quality_metric"])
    if doc.get("delay_clock") is not None and doc["delay_clock"] not in DELAY_CLOCKS:
        _fail(where, "delay_clock", f"one of {DELAY_CLOCKS}", doc["delay_clock"])


def _validate_model(entry: Any, where: str, prefix: str) -> None:
    if not isinstance(entry, dict):
        _fail(where, prefix, "an object", entry)
    if not isinstance(entry.get("id"), str) or not entry["id"]:
        _fail(where, f"{prefix}.id", "a non-empty string", entry.get("id"))
    _number(where, f"{prefix}.storage_size_bytes", entry.get("storage_size_bytes"), positive=True)
    _number(where, f"{prefix}.output_size_bits", entry.get("output_size_bits"), positive=True)
    tv = entry.get("tv_model")
    if not isinstance(tv, dict):
        _fail(where, f"{prefix}.tv_model", "an object with " + ", ".join(TV_KEYS), tv)
    _image_size(where, f"{prefix}.tv_model.image_size_hwc", tv)
    a1, a2, a3, a4 = (_number(where, f"{prefix}.tv_model.{k}", tv.get(k)) for k in TV_KEYS)
    if a1 < 0:
        _fail(where, f"{prefix}.tv_model.A1_steps", "non-negative", a1)
    if not a1 < a3:
        _fail(where, f"{prefix}.tv_model.A3_steps", f"greater than A1_steps = {a1}", a3)
    if a2 < a4:
        _fail(
            where,
            f"{prefix}.tv_model.A2_tv",
            f"at least A4_tv = {a4} (A2 is the worse plateau)",
            a2,
        )
    delay = entry.get("delay_model")
    if not isinstance(delay, dict):
        _fail(where, f"{prefix}.delay_model", "an object with " + ", ".join(DELAY_KEYS), delay)
    b1 = _number(where, f"{prefix}.delay_model.B1_s_per_step", delay.get("B1_s_per_step"))
    b2 = _number(where, f"{prefix}.delay_model.B2_s", delay.get("B2_s"))
    if b1 < 0:
        _fail(where, f"{prefix}.delay_model.B1_s_per_step", "non-negative", b1)
    if b2 < 0:
        _fail(where, f"{prefix}.delay_model.B2_s", "non-negative", b2)


def _image_size(where: str, field: str, parent: dict) -> None:
    """The optional [H, W, C] of the measured images: absent, null or three positive integers."""
    value = parent.get("image_size_hwc")
    ok = value is None or (
        isinstance(value, list)
        and len(value) == 3
        and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
    )
    if not ok:
        _fail(where, field, "null or [height, width, channels] (positive integers)", value)


def resolve_fitted_path(path: str | os.PathLike) -> Path:
    """A path as given, or a bare name (``paper``, ``zoo-cpu``) looked up in this package."""
    p = Path(path)
    if p.exists():
        return p
    bundled = PACKAGE_DIR / (p.name if p.suffix == ".json" else f"{p.name}.json")
    if not p.parent.parts and bundled.exists():
        return bundled
    raise FittedModelsError(f"fitted-models file '{path}' does not exist.")


def load_fitted(path: str | os.PathLike) -> dict:
    """Read and validate a fitted-models JSON file (a path or a bundled name such as 'paper')."""
    p = resolve_fitted_path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise FittedModelsError(
            f"{p}: not UTF-8 text (a binary file?), so not a JSON file."
        ) from None
    except json.JSONDecodeError as exc:
        raise FittedModelsError(f"{p}: not valid JSON ({exc.msg} at line {exc.lineno}).") from None
    except OSError as exc:
        raise FittedModelsError(f"{p}: cannot be read ({exc.strerror}).") from None
    return validate_fitted(doc, where=str(p))


def dump_fitted(doc: dict, path: str | os.PathLike) -> Path:
    """Validate `doc`, then write it atomically (temp file + rename) so no reader sees half a file."""
    validate_fitted(doc, where=str(path))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_json(path, doc, indent=2)
