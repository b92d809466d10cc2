"""Closed-loop validation (issue 7): replay a policy's decisions with real inpainting runs.

Everything the agents learn rests on the fitted curves (7) (TV vs steps) and (8) (delay vs
steps). `main(ValidateArgs)` checks them where it matters:

1. run the `fitted` environment (of --fitted-file) with a trained policy (or a baseline) on
   one seeded episode, exactly as `testbed.rollout.run_seed` does (same seed split, so
   `t2drl evaluate --seeds S` sees the same episode);
2. in F sampled frames x S sampled slots, replay every request with the real model behind its
   request type (the fitted file's `checkpoint`, e.g. `zoo:digits`): an edge request with
   n = round(xi * L) steps, a cloud request with n = round(A3) (the paper's cloud), under the
   step protocol the file was fitted with, on a held-out image of the model's domain (one the
   fit never saw) with a seeded mask;
3. measure TV and generation latency with profiling's own code (`profiling.sweep.measure_request`:
   the RePaint loop, the stopwatch and the metrics of `profile-models`);
4. compare with the fit and with the simulator: per model MAPE and bias of TV and delay, the
   utility (10) recomputed from measured values, and the (11h) violations.

Scheduling and D_gt (our reading; the paper's BS runs its L steps per slot for all users and
(8) gives every request its own D_gt = B1 n + B2): requests are replayed one after another at
batch 1, each timed alone from its request to its delivered sample, which is what profiling
measured and (8) was fitted on. The measured latency *is* D_gt of that request; queueing
behind the slot's other requests is not part of (8) and is not added (the summary reports what
back-to-back service of a slot's edge requests would take, for reference).

Step protocols (the fitted file's `protocol`):
- `trajectory`: run the full schedule of N_fit steps (N_fit read from the fit's measurement
  table, 250 on the zoo), stop after n reverse steps, deliver the predicted clean image (or x_t,
  per the file's quality column). n > N_fit has no point on the fitted trajectory; we run a full
  n-step schedule (the finished image, TV on the final plateau A4) and label the request
  `n > N` (outside the measured range: an extrapolation of (8)). n = 0 delivers the initial
  noise (no step runs).
- `respaced`: one complete run of an n-step schedule.

Outputs in `out/`: `requests.csv` (one row per replayed request, appended as it runs: a rerun
skips the requests already in it), `summary.md` + `summary.json`, `scatter-tv.png`,
`scatter-delay.png`, `error-vs-steps.png`, `grid.png`, `run.json`, `outputs/<key>.png`
(every delivered image).

The pieces, one module each: `args` (`ValidateArgs`, the checks), `fits` (the fitted file and
its measurement table), `decisions` (policy, simulated episode, requests), `generation` (the
real runs), `comparison` (statistics, no files), `outputs` (the run folder), `plots` and
`report` (summary.md). This module runs them in order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import platform
import time
from pathlib import Path

from common.io import sha256_file, write_json
from common.provenance import load_average, versions
from common.provenance import provenance as run_provenance
from common.summary import Summary
from fitted_models.reader import FittedModels
from testbed.config import EdgeConfig
from validation.args import ValidateArgs, check_args
from validation.comparison import measured_row, summarise
from validation.decisions import (
    build_requests,
    resolve_policy,
    sampled_keys,
    sampled_slots,
    simulate,
)
from validation.fits import (
    check_protocol,
    fit_context,
    measurement_table,
    quality_column,
    read_fits,
)
from validation.generation import delivered_image, load_replay_model, replay_request, warm_up
from validation.outputs import (
    CSV_NAME,
    append_row,
    checkpoint_file,
    display_path,
    load_rows,
    prepare_out,
    save_png,
)
from validation.plots import write_plots
from validation.report import write_markdown


def _identity(args: ValidateArgs, cfg: EdgeConfig, fitted_sha: str, ckpt_sha: str | None) -> dict:
    """What makes two runs the same run (a resumed run must match it)."""
    return {
        "checkpoint": args.checkpoint,
        "checkpoint_sha256": ckpt_sha,
        "algo": args.algo,
        "fitted_sha256": fitted_sha,
        "seed": args.seed,
        "frames": args.frames,
        "slots": args.slots,
        "mask": args.mask,
        "trajectory_steps": args.trajectory_steps,
        "device": args.device,
        "set": list(args.set),
        "config": cfg.to_dict(),
    }


def provenance(args: ValidateArgs, threads: int) -> dict:
    """`common.provenance.provenance()` plus what the replays ran on."""
    prov = run_provenance()
    prov["versions"].update(versions("diffusers", "piq", python=False, runtime=True))
    prov["device"].update(torch_device=args.device, torch_threads=threads, cpus=os.cpu_count())
    prov["device"]["python_impl"] = platform.python_implementation()
    prov["torch_version"] = versions("torch", python=False, runtime=True)["torch"]
    return prov


def main(args: ValidateArgs) -> dict:
    """Simulate, replay, analyse; return the summary document (also written to out/)."""
    import torch

    args = check_args(args)
    fits = read_fits(args.fitted_file)
    cfg, policy = resolve_policy(args, fits)
    check_protocol(fits, args.fitted_file)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    fitted_sha = sha256_file(fits.path)
    ckpt_sha = sha256_file(checkpoint_file(args.checkpoint)) if args.checkpoint else None
    identity = _identity(args, cfg, fitted_sha, ckpt_sha)
    done = prepare_out(out, identity, args.resume)
    run_doc = {
        "identity": identity,
        "args": dataclasses.asdict(args),
        "fitted_file": display_path(fits.path),
        "policy": getattr(policy, "name", type(policy).__name__),
        "provenance": provenance(args, args.threads),
    }
    write_json(out / "run.json", run_doc, indent=2)

    picks = sampled_slots(cfg, args.frames, args.slots, args.seed)
    records = simulate(policy, cfg, args.seed, picks)
    table = measurement_table(fits)
    n_fits = {m.id: fit_context(fits, m, args, table)["n_fit"] for m in fits.models}
    requests = build_requests(records, cfg, args.seed, [n_fits[mid] for mid in cfg.model_ids])
    todo = [r for r in requests if r["key"] not in done]
    _replay_all(todo, fits, args, table, cfg, out, run_doc)
    summary = analyse(out, cfg, fits, run_doc, picks, table, n_fits)
    return summary


# --------------------------------------------------------------------------- replay


def _fixed_columns(fits: FittedModels, args: ValidateArgs, run_doc: dict) -> dict:
    """The columns every row of this run shares (provenance in the table)."""
    return {
        "protocol": fits.protocol,
        "policy": run_doc["policy"],
        "checkpoint_path": args.checkpoint or "",
        "fitted_sha256": run_doc["identity"]["fitted_sha256"],
        "device": args.device,
        "torch_threads": args.threads,
        "git_commit": run_doc["provenance"].get("git_commit") or "",
    }


def _replay_one(
    model, req: dict, fits: FittedModels, cfg: EdgeConfig, out: Path, fixed: dict
) -> None:
    """Replay one request; its PNG and then its CSV row on disk (the row marks it done)."""
    load_before, cpu_before = load_average(), time.thread_time()
    cols, m = replay_request(model, req, fits.protocol)
    row = measured_row(req, cols, cfg, fits)
    # Diagnostic, not D_gt: this thread's CPU time for the request (torch runs one
    # thread here), which other processes on a shared CPU do not inflate; it also
    # counts the metrics (a few ms).
    row["cpu_s"] = time.thread_time() - cpu_before
    load_after = load_average()
    row["load_avg_1min"] = (
        None if None in (load_before, load_after) else round((load_before + load_after) / 2, 2)
    )
    row["created_utc"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    row.update(fixed)
    save_png(delivered_image(m, quality_column(fits)), out / "outputs" / f"{req['key']}.png")
    append_row(out / CSV_NAME, row)


def _replay_all(todo, fits: FittedModels, args, table, cfg, out, run_doc) -> None:
    """Load the models the requests in `todo` need, warm each up, replay the requests in order."""
    from common.progress import progress_bar

    if not todo:
        return
    needed = sorted({r["model_id"] for r in todo})
    models = {mid: load_replay_model(fits, fits.model(mid), args, table, out) for mid in needed}
    for model in models.values():
        warm_up(model)
    fixed = _fixed_columns(fits, args, run_doc)
    bar = progress_bar(
        total=sum(max(r["n"], 1) for r in todo),
        unit="step",
        desc="replay",
        enabled=args.progress,
        dynamic_ncols=True,
    )
    try:
        for req in todo:
            bar.set_postfix_str(f"{req['model_id']} n={req['n']} ({req['served']})")
            _replay_one(models[req["model_id"]], req, fits, cfg, out, fixed)
            bar.update(max(req["n"], 1))
    finally:
        bar.close()


# --------------------------------------------------------------------------- analysis


def analyse(
    out: Path, cfg: EdgeConfig, fits: FittedModels, run_doc: dict, picks, table, n_fits: dict
) -> dict:
    """Statistics, plots and the markdown summary from out/requests.csv (`n_fits`: each model's
    trajectory schedule N, `fits.fit_context`)."""
    df = load_rows(out)
    keys = sampled_keys(run_doc["identity"]["seed"], picks, cfg.n_users)
    df = df[df["key"].isin(keys)].copy()
    summary = summarise(df, cfg, fits, run_doc, picks, table)
    write_json(out / "summary.json", summary, indent=2)
    write_plots(df, cfg, run_doc, n_fits, out, run_doc["args"]["grid"])
    write_markdown(summary, cfg, fits, out)
    return summary


def _f(x, spec: str = ".1f") -> str:
    return "-" if x is None or not math.isfinite(x) else format(x, spec)


def summary(doc: dict) -> Summary:
    """What `t2drl validate` prints: per model the fit's errors against the measurements and
    the simulated against the measured utility and (11h) share, then the totals."""
    ov = doc["overall"]
    rows = [
        {
            "model": r["model_id"],
            "requests": str(r["requests"]),
            "TV MAPE (bias) %": f"{_f(r['tv_mape'])} ({_f(r['tv_bias'], '+.1f')})",
            "delay MAPE (bias) %": f"{_f(r['delay_mape'])} ({_f(r['delay_bias'], '+.1f')})",
            "G sim / meas.": f"{_f(r['sim_utility'], '.4g')} / {_f(r['meas_utility'], '.4g')}",
            "(11h) sim / meas.": (
                f"{_f(r['sim_violation_share'], '.2f')} / {_f(r['meas_violation_share'], '.2f')}"
            ),
        }
        for r in doc["per_model"]
        if r["served"] == "all"
    ]
    out = doc["run"]["args"]["out"]
    return (
        Summary()
        .table(
            f"{doc['run']['policy']}: {ov['requests']} requests ({ov['edge_requests']} edge, "
            f"{ov['cloud_requests']} cloud) in {ov['slots']} slots",
            rows,
        )
        .line(
            f"utility (10) over slots: simulated {ov['sim_utility']:.5g}, measured "
            f"{ov['meas_utility']:.5g}; (11h): simulated {ov['sim_violation_share']:.3f}, "
            f"measured {ov['meas_violation_share']:.3f}"
        )
        .line(f"wrote {out}/summary.md, {out}/requests.csv and the PNGs beside them")
    )
