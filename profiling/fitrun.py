"""`fit-models`: measurement tables -> one fitted-models JSON (+ a Fig. 3-style PNG) per protocol."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common.cli_types import Positional
from common.io import sha256_file
from common.summary import Summary
from fitted_models.reader import read_fitted
from fitted_models.schema import DELAY_KEYS, SCHEMA_NAME, SCHEMA_VERSION, TV_KEYS, dump_fitted
from profiling import clocks, table
from profiling.errors import ProfilingError
from profiling.fitting import FitError, FitResult, fit_delay, fit_tv

STEPS_AXIS = {
    "trajectory": ("step", "step_n", "n (reverse steps done in one full-schedule run)"),
    "respaced": ("final", "steps_N", "N (num_inference_steps of a complete run)"),
    "start": (
        "final",
        "step_n",
        "t_T (a run of the N-step schedule started from pure noise at respaced index t_T - 1)",
    ),
}
"""protocol -> (record fitted, steps-axis column, what the axis is)."""
TV_COLUMNS = {
    "tv_l2_pred": ("l2", "the predicted clean image"),
    "tv_l2": ("l2", "the sample x_t"),
    "tv_l1_pred": ("l1", "the predicted clean image"),
    "tv_l1": ("l1", "the sample x_t"),
}
"""The quality columns eq. (7) can be fitted to -> (piq norm_type, image measured)."""


def check_tv_column(column: str) -> None:
    """A quality column that is not a TV column of the table is one sentence naming the option."""
    if column not in TV_COLUMNS:
        raise ProfilingError(f"--tv-column '{column}' is not one of {', '.join(TV_COLUMNS)}.")


def check_fit_settings(tv_column: str, n_boot: int, delay_clock: str) -> None:
    """The fit's options, checked before anything is read or measured."""
    check_tv_column(tv_column)
    if not isinstance(n_boot, int) or isinstance(n_boot, bool) or n_boot < 1:
        raise ProfilingError(f"--n-boot must be a positive number of resamples, got {n_boot!r}.")
    clocks.check_clock(delay_clock)


@dataclass
class FitArgs:
    """Settings of `fit-models` (= `t2drl fit`; every field is an option)."""

    measurements: Positional[tuple[Path, ...]] = (Path("runs/zoo-cpu"),)
    """Measurement tables (.parquet/.csv) or campaign folders written by profile-models."""
    out: Path = Path("fitted_models")
    """Folder for the JSON files and PNGs."""
    name: str | None = None
    """File name stem (default: the campaign name); the protocol is appended."""
    protocol_suffix: bool = True
    """Name files `<name>-<protocol>.json`; --no-protocol-suffix writes `<name>.json` (one
    protocol only)."""
    tv_column: str = "tv_l2_pred"
    """Quality column fitted with eq. (7): tv_l2_pred (default: piq's default l2 TV, the paper's
    scale, of the predicted clean image, i.e. the delivered image: what a user gets if generation
    stops after n steps, the final output of a finished run), tv_l2 (l2 TV of the sample x_t),
    or tv_l1_pred / tv_l1 (the l1 norm, sum of absolute differences: the paper's text)."""
    delay_clock: str = clocks.AUTO
    """Clock eq. (8) is fitted from (docs/profiling.md, "Which clock"): cpu (CPU time of the
    request thread; a busy neighbour core does not add its turns), wall (latency_s), envelope
    (the shortest UNet call x calls + the rest of the wall time), cuda (CUDA-event UNet time) or
    auto: cpu on CPU rows, cuda on GPU rows, wall for tables measured before these columns."""
    n_boot: int = 200
    """Bootstrap resamples for the 95 % intervals."""
    seed: int = 0
    """Seed of the bootstrap."""
    plot: bool = True
    """Write the Fig. 3-style PNG beside each JSON."""


@dataclass
class FitAfterArgs:
    """The fit that ends `profile-models`: `fit-models` on the campaign's own table."""

    fit: bool = True
    """Fit eqs. (7) and (8) at the end; --no-fit only measures."""
    fit_out: Path = FitArgs.out
    """Folder for the fitted-models JSON and PNG (`fit-models --out`)."""
    n_boot: int = FitArgs.n_boot
    """Bootstrap resamples of the fit (`fit-models --n-boot`)."""
    tv_column: str = FitArgs.tv_column
    """Quality column fitted with eq. (7): tv_l2_pred (l2 TV of the predicted clean image, the
    paper's scale), tv_l2, tv_l1_pred or tv_l1 (`fit-models --tv-column`)."""
    delay_clock: str = FitArgs.delay_clock
    """Clock eq. (8) is fitted from: auto, cpu, wall, envelope or cuda (`fit-models
    --delay-clock`)."""

    def fit_args(self, table_path: Path, protocol: str) -> FitArgs:
        """`fit-models` on one campaign table; one protocol is named `<campaign>.json`, several
        (`--protocol both|all`) `<campaign>-<protocol>.json`."""
        return FitArgs(
            measurements=(Path(table_path),),
            out=self.fit_out,
            n_boot=self.n_boot,
            tv_column=self.tv_column,
            delay_clock=self.delay_clock,
            protocol_suffix=protocol in ("both", "all"),
        )


def _table_file(path: Path) -> Path:
    """A campaign folder's consolidated table (written from its parts if missing)."""
    if path.is_dir():
        if (path / table.TABLE).exists():
            return path / table.TABLE
        if (path / table.PARTS).is_dir():
            return table.consolidate(path)
        raise ProfilingError(
            f"measurement folder '{path}' holds no {table.TABLE} and no {table.PARTS}/ folder."
        )
    if not path.exists():
        raise ProfilingError(f"measurement file '{path}' does not exist.")
    return path


def load_tables(paths: list[Path]):
    import pandas as pd

    files = [_table_file(Path(p)) for p in paths]
    frames = [table.read_measurements(f) for f in files]
    df = pd.concat(frames, ignore_index=True) if frames else None
    if df is None or df.empty:
        raise ProfilingError(f"measurement table(s) {', '.join(map(str, paths))} hold no rows.")
    missing = {"protocol", "record", "model_id", "latency_s", "step_n", "steps_N"} - set(df.columns)
    if missing:
        raise ProfilingError(f"measurement table '{files[0]}' lacks the columns {sorted(missing)}.")
    return df, files


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "campaign"


def _result_json(res: FitResult, rmse_key: str) -> dict:
    out = {
        **res.params,
        "ci95": res.ci95,
        "r2": res.r2,
        rmse_key: res.rmse,
        "n_points": res.n_points,
        "bootstrap": f"percentile, 95 %, resampling {res.bootstrap}",
    }
    return out


def fit_model_rows(rows, protocol: str, args: FitArgs, clock: str | None = None):
    """(tv FitResult, delay FitResult) of one model's rows under one protocol, eq. (8) from
    `clock` (default: `args.delay_clock` resolved for these rows); FitError if unsupported."""
    _, axis, _ = STEPS_AXIS[protocol]
    groups = (
        rows["image_id"].astype(str)
        + "|"
        + rows["mask_id"].astype(str)
        + "|"
        + rows["seed"].astype(str)
    ).to_numpy()
    x = rows[axis].to_numpy(dtype=float)
    tv = fit_tv(
        x,
        rows[args.tv_column].to_numpy(dtype=float),
        groups,
        n_boot=args.n_boot,
        seed=args.seed,
        what=f"{args.tv_column} of model '{rows['model_id'].iloc[0]}' ({protocol})",
    )
    clock = clock or clocks.resolve_clock(args.delay_clock, rows)[0]
    delay = fit_delay(
        x, clocks.delay_values(rows, clock), groups, n_boot=args.n_boot, seed=args.seed
    )
    return tv, delay


def _throughput(df, model_id: str, protocol: str) -> list[dict]:
    t = df[
        (df.record == "throughput")
        & (df.model_id == model_id)
        & (df.protocol == protocol)
        & ~df.is_warmup.astype(bool)
    ]
    return [
        {
            "steps_N": int(r.steps_N),
            **({"t_T": int(r.step_n)} if protocol == "start" else {}),
            "batch_size": int(r.batch_size),
            "img_per_s": float(r.throughput_img_per_s),
        }
        for r in t.itertuples()
    ]


def _image_hwc(rows) -> list[int] | None:
    """[H, W, C] of the generated images (the `image_hwc` column), None where the table lacks it."""
    if "image_hwc" not in rows or rows["image_hwc"].isna().all():
        return None
    return [int(v) for v in str(rows["image_hwc"].dropna().iloc[0]).split("x")]


def _check_quality_column(df, args: FitArgs, files: list[Path]) -> None:
    """A --tv-column that is not a TV column, or that the table does not hold, before any fit."""
    check_tv_column(args.tv_column)
    measured = df[df.record != "throughput"]
    if args.tv_column not in measured or measured[args.tv_column].isna().all():
        raise ProfilingError(
            f"measurement table '{files[0]}' holds no values of column '{args.tv_column}' (--tv-column); a table measured before l2 TV existed has only tv_l1 and tv_l1_pred."
        )


def _model_entry(df, model_id: str, rows, fit: tuple, protocol, args, clock: tuple) -> dict:
    """One model's entry of the fitted-models JSON."""
    (tv, delay), (clock_name, clock_note) = fit, clock
    _, axis, axis_doc = STEPS_AXIS[protocol]
    norm, image = TV_COLUMNS[args.tv_column]
    first = rows.iloc[0]
    notes = [
        f"steps axis: {axis_doc}; quality column {args.tv_column} (piq TV, {norm} norm, of {image}, images in [0, 1])."
    ]
    delay_notes = [f"delay clock {clock_name}: eq. (8) fitted to {clocks.COLUMN[clock_name]}."]
    delay_notes += [clock_note] if clock_note else []
    settings = {
        k: _plain(first.get(k))
        for k in ("jump_length", "jump_n_sample", "eta", "dtype", "batch_size", "image_source")
    }
    if protocol != "respaced":
        settings["steps_N"] = int(first["steps_N"])  # the one schedule the steps axis runs on
    return {
        "id": str(model_id),
        "checkpoint": str(first["checkpoint"]),
        "checkpoint_sha256": None
        if first["checkpoint_sha256"] is None
        else str(first["checkpoint_sha256"]),
        "storage_size_bytes": int(first["storage_size_bytes"]),
        "output_size_bits": int(first["output_size_bits"]),
        "tv_model": {
            **_result_json(tv, "rmse"),
            "steps_axis": axis,
            "column": args.tv_column,
            "norm_type": norm,
            "image_size_hwc": _image_hwc(rows),
        },
        "delay_model": {
            **_result_json(delay, "rmse_s"),
            "steps_axis": axis,
            "column": clocks.COLUMN[clock_name],
        },
        "throughput": _throughput(df, model_id, protocol),
        "settings": settings | _load(rows),
        "notes": " ".join(notes + tv.notes + delay_notes + delay.notes),
    }


def _fit_protocol(df, files, campaign: str, protocol: str, args: FitArgs) -> dict:
    """Fit every model of one protocol; write its JSON (+PNG) when any model could be fitted."""
    record, _, _ = STEPS_AXIS[protocol]
    sub = df[(df.protocol == protocol) & (df.record == record)]
    clock = clocks.resolve_clock(args.delay_clock, sub)
    entries, fits, problems, measured = [], {}, [], {}
    for model_id, rows in sub.groupby("model_id", sort=True):
        measured[model_id] = rows
        try:
            tv, delay = fit_model_rows(rows, protocol, args, clock[0])
        except FitError as exc:
            problems.append(str(exc))
            continue
        fits[model_id] = (tv, delay, rows)
        entries.append(_model_entry(df, model_id, rows, (tv, delay), protocol, args, clock))
    result = {
        "protocol": protocol,
        "path": None,
        "fitted": None,
        "png": None,
        "fits": fits,
        "rows": measured,
        "problems": problems,
    }
    if entries:
        doc = _document(df[df.protocol == protocol], files, campaign, protocol, entries, args)
        doc["delay_clock"] = clock[0]
        stem = _slug(campaign) if not args.protocol_suffix else f"{_slug(campaign)}-{protocol}"
        path = dump_fitted(doc, Path(args.out) / f"{stem}.json")
        result["path"] = path
        result["fitted"] = read_fitted(path)
        if args.plot:
            from profiling.plotting import draw_fig3

            result["png"] = draw_fig3(
                fits,
                protocol,
                args.tv_column,
                path.with_suffix(".png"),
                title=f"{campaign} ({protocol})",
                delay_clock=clock[0],
            )
    return result


def run_fit(args: FitArgs) -> list[dict]:
    """Fit every (protocol, model) in the tables; write one JSON (+PNG) per protocol, and with
    several protocols one PNG of them side by side (`<campaign>-protocols.png`).

    Returns one dict per protocol: {'protocol', 'path', 'fitted' (the file as read back,
    `fitted_models.reader.FittedModels`), 'png', 'fits': {model: (tv, delay, rows)}, 'rows':
    {model: rows} (every measured model), 'problems': [sentences], 'comparison_png'}; 'path',
    'fitted' and 'png' are None where no model could be fitted, 'comparison_png' (the same
    in every dict) with one protocol."""
    check_fit_settings(args.tv_column, args.n_boot, args.delay_clock)
    df, files = load_tables(args.measurements)
    df = df[~df["is_warmup"].astype(bool)]
    _check_quality_column(df, args, files)
    campaign = args.name or (
        str(df["campaign"].dropna().iloc[0])
        if "campaign" in df and df["campaign"].notna().any()
        else files[0].stem
    )
    fitted_protocols = [p for p in STEPS_AXIS if p in set(df["protocol"])]
    if not args.protocol_suffix and len(fitted_protocols) > 1:
        raise ProfilingError(
            f"the measurements hold protocols {', '.join(fitted_protocols)}; one file per protocol needs the protocol in its name (drop --no-protocol-suffix)."
        )
    results = [_fit_protocol(df, files, campaign, p, args) for p in fitted_protocols]
    if not results:
        raise ProfilingError(
            f"measurement table(s) {', '.join(map(str, args.measurements))} hold no {', '.join(STEPS_AXIS)} rows to fit."
        )
    comparison = None
    if args.plot and sum(bool(r["rows"]) for r in results) > 1:
        from profiling.plotting import draw_protocols

        Path(args.out).mkdir(parents=True, exist_ok=True)
        comparison = draw_protocols(
            results,
            args.tv_column,
            Path(args.out) / f"{_slug(campaign)}-protocols.png",
            title=f"{campaign}: {args.tv_column} by protocol",
        )
    for r in results:
        r["comparison_png"] = comparison
    return results


def _load(rows) -> dict:
    """`load_1min_before` (at the start of the earliest measurement) and `load_1min_after` (at
    the end of the latest cell) of these rows; {} for tables measured before these columns."""
    cols = ("load_1min_before", "load_1min_after", "created_utc")
    if not all(c in rows for c in cols) or rows["load_1min_after"].isna().all():
        return {}
    order = rows.sort_values("created_utc", kind="stable")
    before, after = order["load_1min_before"].dropna(), order["load_1min_after"].dropna()
    return {
        "load_1min_before": float(before.iloc[0]) if len(before) else None,
        "load_1min_after": float(after.iloc[-1]),
    }


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    return value


def _document(
    df, files: list[Path], campaign: str, protocol: str, entries: list[dict], args: FitArgs
) -> dict:
    first = df.iloc[0]  # a row: its fields by key (`first.dtype` is the row's own dtype)
    kind = str(first["device"]).split(":")[0]
    norm, image = TV_COLUMNS[args.tv_column]
    sizes = {tuple(e["tv_model"]["image_size_hwc"] or ()) for e in entries}
    return {
        "schema": SCHEMA_NAME,
        "schema_version": SCHEMA_VERSION,
        "name": f"{_slug(campaign)}-{protocol}",
        "description": f"Fitted by profiling.fitrun from campaign '{campaign}' ({protocol} protocol): eq. (7) by breakpoint search + least squares, eq. (8) by OLS, bootstrap 95 % intervals.",
        "protocol": protocol,
        "quality_metric": {
            "name": "total_variation",
            "norm_type": norm,
            "image_range": "[0, 1]",
            "column": args.tv_column,
            "image": image,
            "image_size_hwc": list(sizes.pop()) if len(sizes) == 1 and () not in sizes else None,
        },
        "device": {
            "name": str(first["device_name"]),
            "kind": kind,
            "dtype": str(first["dtype"]),
        }
        | _load(df),
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "source": {
            "kind": "measurements",
            "citation": "profile-models (profiling/), the paper's Fig. 3 experiment",
            "measurements_path": ";".join(str(f) for f in files),
            "measurements_sha256": ";".join(sha256_file(f) for f in files),
        },
        "versions": {k: str(first.get(f"{k}_version")) for k in ("torch", "diffusers", "piq")},
        "models": entries,
    }


def main(args: FitArgs) -> list[dict]:
    """`fit-models`: `run_fit`, and a ProfilingError when no model at all could be fitted."""
    results = run_fit(args)
    if not any(r["path"] for r in results):
        problems = [p for r in results for p in r["problems"]]
        raise ProfilingError("no model could be fitted: " + " ".join(problems))
    return results


def summary(results: list[dict], into: Summary | None = None) -> Summary:
    """One table per fitted protocol (parameters, 95 % intervals, R^2 and RMSE per model), then
    a warning line per model that could not be fitted; added to `into` when given."""
    out = Summary() if into is None else into
    for r in results:
        fitted = r["fitted"]
        if fitted is None:
            continue
        rows = []
        for m in fitted.models:
            for keys, fit, quality in (
                (TV_KEYS, m.tv_fit, f"R²={m.tv_fit.r2:.3f} RMSE={m.tv_fit.rmse:.3g}"),
                (
                    DELAY_KEYS,
                    m.delay_fit,
                    f"R²={m.delay_fit.r2:.3f} RMSE={m.delay_fit.rmse:.3g} s "
                    f"({fitted.delay_clock or 'wall'} clock)",
                ),
            ):
                for i, k in enumerate(keys):
                    lo, hi = fit.ci95.get(k, (float("nan"),) * 2)
                    rows.append(
                        {
                            "model": m.id,
                            "parameter": k,
                            "value": f"{getattr(m, k):.4g}",
                            "95 % interval": f"[{lo:.4g}, {hi:.4g}]",
                            "fit quality": quality if i == 0 else "",
                        }
                    )
        png = f" + {r['png'].name}" if r["png"] else ""
        out.table(f"{r['protocol']}: {fitted.path}{png}", rows)
    for png in {r.get("comparison_png") for r in results} - {None}:
        out.line(f"protocols side by side: {png}")
    for p in (p for r in results for p in r["problems"]):
        out.line(f"warning: cannot fit: {p}")
    return out
