"""The run folder: requests.csv (appended row by row, read back for resuming and analysis),
the delivered images, and the paths the records name."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np

from common.io import writable_dir
from validation.args import ValidateError

CSV_NAME = "requests.csv"


def display_path(path: Path) -> str:
    """`path` relative to the working directory when inside it (committed summaries stay
    machine-independent), else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path.resolve())


def checkpoint_file(checkpoint: str) -> Path:
    """The policy.pt of a checkpoint given as its run directory or the file itself."""
    p = Path(checkpoint)
    return p / "policy.pt" if p.is_dir() else p


def prepare_out(out: Path, identity: dict, resume: bool) -> set[str]:
    """Create `out`; return the request keys already measured (resume) or clear them."""
    writable_dir(out / "outputs")
    csv_path, run_path = out / CSV_NAME, out / "run.json"
    done: set[str] = set()
    if resume and run_path.is_file() and csv_path.is_file():
        try:
            old = json.loads(run_path.read_text()).get("identity")
        except json.JSONDecodeError:
            old = None
        if old != json.loads(json.dumps(identity)):
            raise ValidateError(
                f"output folder '{out}' holds a different validation run; choose another --out "
                "or pass --no-resume to overwrite it."
            )
        with csv_path.open() as fh:
            done = {row["key"] for row in csv.DictReader(fh)}
    elif csv_path.exists():
        csv_path.unlink()
    return done


def append_row(path: Path, row: dict) -> None:
    """One request to the CSV, on disk before the next starts (a killed run resumes there)."""
    new = not path.exists() or path.stat().st_size == 0
    with path.open("a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(row))
        if new:
            writer.writeheader()
        writer.writerow(row)
        fh.flush()
        os.fsync(fh.fileno())


def save_png(image01, path: Path) -> None:
    """A (C, H, W) tensor in [0, 1] as an 8-bit PNG."""
    from PIL import Image

    arr = (image01.permute(1, 2, 0).numpy() * 255).round().clip(0, 255).astype(np.uint8)
    Image.fromarray(arr).save(path)


def load_rows(out: Path):
    """requests.csv as a DataFrame, with the (11h) columns as booleans."""
    import pandas as pd

    df = pd.read_csv(out / CSV_NAME)
    for col in ("sim_violated", "meas_violated"):
        df[col] = df[col].astype(str).str.lower() == "true"
    return df
