"""Fit vs measurement: the utility (10) and (11h) from measured values, percentage errors,
and the summary's tables (per model, per regime of steps, per slot, overall, goal verdicts).
Pure functions of the replayed rows (a pandas DataFrame of requests.csv); no files."""

from __future__ import annotations

import math

import numpy as np

from fitted_models.reader import FittedModels
from testbed.config import EdgeConfig
from validation.decisions import REGIMES
from validation.fits import quality_column

GOAL_DELAY_MAPE = 10.0
"""Issue 7's goal: delay MAPE <= 10 % per model."""
GOAL_TV_MAPE = 15.0
"""Issue 7's goal: TV MAPE <= 15 % per model."""


def measured_row(req: dict, cols: dict, cfg: EdgeConfig, fits: FittedModels) -> dict:
    """The request with its measurements and the utility (10) / (11h) from measured values."""
    row = {**req, **cols}
    row["meas_tv"] = cols[quality_column(fits)]
    d_tl = req["D_up_s"] + req["D_dw_s"] + cols["meas_delay_s"]  # (9) with the measured D_gt
    row["meas_D_tl_s"] = d_tl
    row["meas_utility"] = cfg.alpha * min(d_tl, cfg.delay_cap_s) + (1 - cfg.alpha) * row["meas_tv"]
    row["meas_violated"] = bool(d_tl > cfg.slot_duration_s)
    return row


# --------------------------------------------------------------------------- errors


def pct_errors(pred, meas) -> np.ndarray:
    """(pred - meas) / meas in percent."""
    pred, meas = np.asarray(pred, float), np.asarray(meas, float)
    return 100.0 * (pred - meas) / meas


def error_stats(pred, meas) -> dict:
    """MAPE and bias (mean signed percentage error, + = the fit predicts more than measured)."""
    e = pct_errors(pred, meas)
    e = e[np.isfinite(e)]
    if e.size == 0:
        return {"n": 0, "mape": math.nan, "bias": math.nan}
    return {"n": int(e.size), "mape": float(np.abs(e).mean()), "bias": float(e.mean())}


def error_columns(part) -> dict:
    """MAPE and bias of TV and delay against the fit, and of the delay against CPU time, for
    the requests in `part` (the summary's per-model and per-regime columns)."""
    out = {}
    for name, pred, meas in (
        ("tv", part.pred_tv, part.meas_tv),
        ("delay", part.pred_delay_s, part.meas_delay_s),
        ("delay_cpu", part.pred_delay_s, part.cpu_s),
    ):
        e = error_stats(pred, meas)
        out[f"{name}_mape"], out[f"{name}_bias"] = e["mape"], e["bias"]
    return out


def in_sample_mape(table, fits: FittedModels, model_id: str, ns, column: str) -> dict:
    """The fit's own per-point errors at the same step counts (the spread between images that
    any per-request comparison carries), from the fit's measurement table."""
    if table is None:
        return {"tv": math.nan, "delay": math.nan}
    axis = "step_n" if fits.protocol == "trajectory" else "steps_N"
    record = "step" if fits.protocol == "trajectory" else "final"
    rows = table[
        (table["model_id"] == model_id)
        & (table["record"] == record)
        & (~table["is_warmup"].astype(bool))
        & (table["protocol"] == fits.protocol)
        & (table["batch_size"] == 1)
    ]
    model = fits.model(model_id)
    tv_e, d_e = [], []
    for n in ns:
        at = rows[rows[axis] == n]
        if at.empty:
            continue
        tv_e += list(np.abs(pct_errors(model.tv(float(n)), at[column])))
        d_e += list(np.abs(pct_errors(model.delay_s(float(n)), at["latency_s"])))
    return {
        "tv": float(np.mean(tv_e)) if tv_e else math.nan,
        "delay": float(np.mean(d_e)) if d_e else math.nan,
    }


# --------------------------------------------------------------------------- tables


def per_model_rows(df, cfg: EdgeConfig, fits: FittedModels, table) -> list[dict]:
    """Per model and where it was served (all, edge, cloud): errors, utility, violations."""
    rows = []
    for mid in cfg.model_ids:
        sub = df[df["model_id"] == mid]
        for where, part in (
            ("all", sub),
            ("edge", sub[sub.served == "edge"]),
            ("cloud", sub[sub.served == "cloud"]),
        ):
            if part.empty:
                continue
            ref = in_sample_mape(table, fits, mid, part.n.tolist(), quality_column(fits))
            rows.append(
                {
                    "model_id": mid,
                    "served": where,
                    "requests": int(len(part)),
                    "n_min": int(part.n.min()),
                    "n_max": int(part.n.max()),
                    **error_columns(part),
                    "fit_in_sample_tv_mape": ref["tv"],
                    "fit_in_sample_delay_mape": ref["delay"],
                    "sim_utility": float(part.sim_utility.mean()),
                    "meas_utility": float(part.meas_utility.mean()),
                    "sim_violation_share": float(part.sim_violated.mean()),
                    "meas_violation_share": float(part.meas_violated.mean()),
                }
            )
    return rows


def per_regime_rows(df, cfg: EdgeConfig) -> list[dict]:
    """Per model and regime of steps (`REGIMES`) with requests: the error columns."""
    rows = []
    for mid in cfg.model_ids:
        sub = df[df["model_id"] == mid]
        for regime in REGIMES:
            part = sub[sub.regime == regime]
            if part.empty:
                continue
            rows.append(
                {
                    "model_id": mid,
                    "regime": regime,
                    "requests": int(len(part)),
                    "n_range": f"{int(part.n.min())}-{int(part.n.max())}",
                    **error_columns(part),
                }
            )
    return rows


def per_slot_table(df):
    """Per sampled slot: mean utility, violations and the edge's generation work."""
    return (
        df.groupby(["frame", "slot"])
        .agg(
            sim_utility=("sim_utility", "mean"),
            meas_utility=("meas_utility", "mean"),
            sim_violations=("sim_violated", "sum"),
            meas_violations=("meas_violated", "sum"),
            edge_requests=("served", lambda s: int((s == "edge").sum())),
            edge_steps=("n", lambda s: int(s[df.loc[s.index, "served"] == "edge"].sum())),
            edge_gen_s=(
                "meas_delay_s",
                lambda s: float(s[df.loc[s.index, "served"] == "edge"].sum()),
            ),
        )
        .reset_index()
    )


def overall_stats(df, slots) -> dict:
    """All requests together (utility averaged over the slots of `per_slot_table`)."""
    return {
        "requests": int(len(df)),
        "edge_requests": int((df.served == "edge").sum()),
        "cloud_requests": int((df.served == "cloud").sum()),
        "slots": int(len(slots)),
        "sim_utility": float(slots.sim_utility.mean()),
        "meas_utility": float(slots.meas_utility.mean()),
        "sim_violation_share": float(df.sim_violated.mean()),
        "meas_violation_share": float(df.meas_violated.mean()),
        "violation_disagreements": int((df.sim_violated != df.meas_violated).sum()),
        "tv": error_stats(df.pred_tv, df.meas_tv),
        "delay": error_stats(df.pred_delay_s, df.meas_delay_s),
        "delay_cpu": error_stats(df.pred_delay_s, df.cpu_s),
        "load_avg_1min_mean": float(df.load_avg_1min.mean()),
        "load_avg_1min_max": float(df.load_avg_1min.max()),
        "max_slot_edge_gen_s": float(slots.edge_gen_s.max()),
    }


def _miss(row: dict, per_regime: list[dict], q: str, goal: float) -> dict:
    """A missed goal of quantity q and the regime the fit gets most wrong (largest MAPE among
    regimes with requests)."""
    regs = [r for r in per_regime if r["model_id"] == row["model_id"]]
    regs = [r for r in regs if math.isfinite(r[f"{q}_mape"])]
    worst = max(regs, key=lambda r: r[f"{q}_mape"])
    return {
        "quantity": q,
        "mape": row[f"{q}_mape"],
        "goal": goal,
        "cpu_mape": row["delay_cpu_mape"] if q == "delay" else None,
        "cpu_bias": row["delay_cpu_bias"] if q == "delay" else None,
        "worst_regime": worst["regime"],
        "worst_regime_mape": worst[f"{q}_mape"],
        "worst_regime_bias": worst[f"{q}_bias"],
        "worst_regime_requests": worst["requests"],
        "worst_regime_n_range": worst["n_range"],
    }


def goal_verdicts(per_model: list[dict], per_regime: list[dict]) -> list[dict]:
    """Per model: does it meet the delay and TV MAPE goals; if not, where the fit misses most."""
    verdicts = []
    for row in (r for r in per_model if r["served"] == "all"):
        v = {"model_id": row["model_id"], "delay_ok": None, "tv_ok": None, "misses": []}
        for q, goal in (("delay", GOAL_DELAY_MAPE), ("tv", GOAL_TV_MAPE)):
            mape = row[f"{q}_mape"]
            ok = bool(mape <= goal) if math.isfinite(mape) else None
            v[f"{q}_ok"] = ok
            if ok is False:
                v["misses"].append(_miss(row, per_regime, q, goal))
        verdicts.append(v)
    return verdicts


def summarise(df, cfg: EdgeConfig, fits: FittedModels, run_doc: dict, picks, table) -> dict:
    """The summary document of the replayed rows `df` (already restricted to the run's
    sampled slots)."""
    per_model = per_model_rows(df, cfg, fits, table)
    per_regime = per_regime_rows(df, cfg)
    slots = per_slot_table(df)
    return {
        "overall": overall_stats(df, slots),
        "per_model": per_model,
        "per_regime": per_regime,
        "per_slot": slots.to_dict(orient="records"),
        "goals": goal_verdicts(per_model, per_regime),
        "run": run_doc,
        "sampled_slots": {str(k): v for k, v in picks.items()},
    }
