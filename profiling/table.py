"""The measurement table: one Parquet part file per completed cell, written atomically.

A cell is one unit of work (one image x mask x seed x step count x protocol, or one batched
throughput run). Its rows are written to ``parts/part-<cell hash>.parquet`` via a temp file,
fsync and rename, so a kill at any moment loses at most the cell in progress and never leaves
a half-written file; a rerun skips every cell whose part exists. `consolidate` gathers all
parts into one ``measurements.parquet`` (also atomic). Units are in the column names.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from common.io import atomic_write
from profiling.errors import ProfilingError

S, INT, F, B = pa.string(), pa.int64(), pa.float64(), pa.bool_()

# (column, type, meaning). This list is the table's documentation (docs/profiling.md copies it).
COLUMNS: list[tuple[str, pa.DataType, str]] = [
    ("campaign", S, "campaign name (output folder's name unless given)"),
    ("protocol", S, "trajectory | respaced | start"),
    (
        "record",
        S,
        "step (trajectory, one row per reverse step) | final (respaced, start) | throughput",
    ),
    ("is_warmup", B, "true for warm-up runs; excluded from fits"),
    ("cell_id", S, "hash of the cell's settings (resume key)"),
    ("run_id", S, "one id per process invocation"),
    ("rank", INT, "process rank under accelerate/torchrun (0 otherwise)"),
    ("created_utc", S, "ISO time the cell finished"),
    ("model_id", S, "short model id"),
    ("checkpoint", S, "folder path or hub id as given"),
    ("checkpoint_sha256", S, "sha256 over the weight files"),
    ("storage_size_bytes", INT, "bytes of the weight files"),
    ("output_size_bits", INT, "C*H*W*8 of one generated image"),
    ("image_hwc", S, "H x W x C of one generated image, e.g. 32x32x3"),
    ("image_source", S, "synthetic | digits | folder"),
    ("image_id", S, "image id (batch: ids joined by +)"),
    ("mask_id", S, "mask family and seed, e.g. thick-s0"),
    ("hole_fraction", F, "fraction of pixels inpainted"),
    ("seed", INT, "noise seed of this image (per-image torch.Generator)"),
    ("steps_N", INT, "N: num_inference_steps of the RePaint schedule (its spacing 1000 // N)"),
    (
        "step_n",
        INT,
        "n: reverse steps done (trajectory), N (respaced) or t_T, the start index (start)",
    ),
    ("timestep_t", INT, "schedule timestep t of the step (the sample is x_{t-1000//N})"),
    ("jump_length", INT, "RePaint j"),
    ("jump_n_sample", INT, "RePaint r"),
    ("eta", F, "noise weight (1 = DDPM)"),
    ("unet_calls", INT, "UNet calls so far (trajectory) or of the run (count_unet_calls)"),
    ("batch_size", INT, "images per forward (1 for latency rows)"),
    ("device", S, "torch device"),
    ("device_name", S, "GPU name (NVML) or the CPU's model name"),
    ("driver_version", S, "NVIDIA driver (null without NVML)"),
    ("dtype", S, "UNet dtype fp32|fp16|bf16 (sample is always fp32)"),
    ("channels_last", B, "UNet in channels_last"),
    ("compiled", B, "UNet wrapped in torch.compile"),
    ("cpu_threads", INT, "torch.get_num_threads() during the run"),
    ("torch_version", S, ""),
    ("diffusers_version", S, ""),
    ("piq_version", S, ""),
    ("tv_norm", S, "piq norm_types measured (l1,l2); each tv_* column names its norm"),
    ("tv_l1", F, "l1 TV (sum of |neighbour differences|) of the sample x_t in [0,1]"),
    ("tv_l1_pred", F, "l1 TV of the predicted clean image in [0,1]"),
    ("tv_l1_reference", F, "l1 TV of the clean reference image"),
    ("tv_l2", F, "l2 TV (piq's default: sqrt of summed squared differences) of x_t in [0,1]"),
    ("tv_l2_pred", F, "l2 TV of the predicted clean image in [0,1] (the default fit column)"),
    ("tv_l2_reference", F, "l2 TV of the clean reference image"),
    ("psnr_hole_db", F, "PSNR of x_t vs the clean image over the inpainted pixels"),
    ("psnr_hole_db_pred", F, "same for the predicted clean image"),
    ("ssim_hole", F, "SSIM of x_t on the inpainted region's bounding box"),
    ("ssim_hole_pred", F, "same for the predicted clean image"),
    (
        "latency_s",
        F,
        "wall time (device-synchronised) from request to the sample after step n, metrics excluded",
    ),
    ("unet_time_s", F, "summed UNet forward time so far (CUDA events on GPU, wall clock on CPU)"),
    ("unet_gpu_ms_per_call", F, "mean CUDA-event time per UNet call over the run (null on CPU)"),
    (
        "latency_cpu_s",
        F,
        "CPU time of the request over the span of latency_s (the thread's with one torch thread,"
        " else the process's)",
    ),
    ("unet_cpu_s", F, "summed CPU time of the UNet calls so far (same clock as latency_cpu_s)"),
    (
        "unet_call_min_s",
        F,
        "shortest UNet call of the run (lower envelope; CUDA events on GPU, wall clock on CPU)",
    ),
    ("unet_call_median_s", F, "median UNet call of the run (same clock as unet_call_min_s)"),
    ("load_1min_before", F, "1-minute load average before this model's measurement began"),
    ("load_1min_after", F, "1-minute load average when this cell finished"),
    ("throughput_img_per_s", F, "batched images per second (throughput rows)"),
    ("peak_gpu_mem_bytes", INT, "torch.cuda.max_memory_allocated over the run (null on CPU)"),
    ("peak_rss_bytes", INT, "peak resident memory of the process"),
    ("power_w", F, "NVML power at the end of the run (null without NVML)"),
    ("run_energy_j", F, "NVML energy counter difference over the whole run (null without NVML)"),
]
SCHEMA = pa.schema([(name, typ) for name, typ, _ in COLUMNS])
PARTS = "parts"
TABLE = "measurements.parquet"


def cell_id(settings: dict) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[
        :20
    ]


def part_path(out_dir: Path, cid: str) -> Path:
    return out_dir / PARTS / f"part-{cid}.parquet"


def prepare_output(out_dir: Path) -> None:
    """Create the output folder and check that it is writable (one clear error if not)."""
    try:
        (out_dir / PARTS).mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir / PARTS, prefix=".probe-"):
            pass
    except OSError as exc:
        raise ProfilingError(
            f"output folder '{out_dir}' is not writable ({exc.strerror})."
        ) from None


def set_aside_unreadable_parts(out_dir: Path) -> list[str]:
    """Move every part file that does not read as a parquet table to parts/unreadable/ (kept,
    not deleted), so its cell is measured again; the sentences saying so."""
    said = []
    for path in sorted((out_dir / PARTS).glob("part-*.parquet")):
        try:
            pq.read_metadata(path)
        except (OSError, pa.ArrowException):
            aside = out_dir / PARTS / "unreadable" / path.name
            aside.parent.mkdir(exist_ok=True)
            path.replace(aside)
            said.append(
                f"warning: part file '{path}' does not read; moved to '{aside}', measured again."
            )
    return said


def done_cells(out_dir: Path) -> set[str]:
    return {p.stem.removeprefix("part-") for p in (out_dir / PARTS).glob("part-*.parquet")}


def _write_parquet(table: pa.Table, path: Path) -> None:
    """Atomic and durable (fsync of the file and its folder): a kill loses no finished cell."""
    atomic_write(path, lambda tmp: pq.write_table(table, str(tmp)), durable=True)


def write_cell(out_dir: Path, cid: str, rows: list[dict]) -> Path:
    """Write the rows of one completed cell as its own part file (atomic)."""
    table = pa.Table.from_pylist(
        [{name: row.get(name) for name in SCHEMA.names} for row in rows], schema=SCHEMA
    )
    path = part_path(out_dir, cid)
    _write_parquet(table, path)
    return path


def read_parts(out_dir: Path) -> pa.Table:
    parts = sorted((out_dir / PARTS).glob("part-*.parquet"))
    if not parts:
        return SCHEMA.empty_table()
    return pa.concat_tables([pq.read_table(p, schema=SCHEMA) for p in parts])


def consolidate(out_dir: Path) -> Path:
    """Gather every part into `measurements.parquet` (atomic; parts are kept)."""
    path = out_dir / TABLE
    _write_parquet(read_parts(out_dir), path)
    return path


def read_measurements(path: str | os.PathLike):
    """A measurement table (a .parquet/.csv file or a campaign folder) as a pandas DataFrame."""
    import pandas as pd

    p = Path(path)
    if p.is_dir():
        p = p / TABLE if (p / TABLE).exists() else p
        if p.is_dir():
            if not (p / PARTS).is_dir():
                raise ProfilingError(
                    f"measurement folder '{path}' holds no {TABLE} and no {PARTS}/ folder."
                )
            return read_parts(p).to_pandas()
    if not p.exists():
        raise ProfilingError(f"measurement file '{path}' does not exist.")
    try:
        return pd.read_csv(p) if p.suffix == ".csv" else pq.read_table(p).to_pandas()
    except Exception as exc:
        raise ProfilingError(
            f"measurement file '{path}' cannot be read ({type(exc).__name__})."
        ) from None
