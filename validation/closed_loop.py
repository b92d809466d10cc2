"""Closed-loop validation (issue 7): replay a policy's decisions with real inpainting runs.

Everything the agents learn rests on the fitted curves (7) (TV vs steps) and (8) (delay vs
steps). `main(ValidateArgs)` checks them where it matters:

1. run the `fitted` environment with a trained policy (or a baseline) on one seeded episode,
   exactly as `rl.evaluate.run_seed` does (same seed split, so `t2drl evaluate --seeds S` sees
   the same episode);
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
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from common.errors import UserError
from common.io import sha256_file, write_json
from common.provenance import load_average, versions
from common.provenance import provenance as run_provenance
from testbed.config import EdgeConfig, build_config
from testbed.system_model import generation_delay_s, tv_of_steps

CSV_NAME = "requests.csv"
GOAL_DELAY_MAPE = 10.0
"""Issue 7's goal: delay MAPE <= 10 % per model."""
GOAL_TV_MAPE = 15.0
"""Issue 7's goal: TV MAPE <= 15 % per model."""
QUICK = {"frames": 2, "slots": 2}
"""--quick: 4 slots (40 requests at U = 10), about 3-6 minutes on the 2-core CPU."""
DEFAULT_TRAJECTORY_STEPS = 250
"""N of the trajectory schedule when the fit's measurement table is not available
(profile-models' default)."""


class ValidateError(UserError):
    """Bad validation input: one sentence naming the option or file."""


@dataclass
class ValidateArgs:
    """Arguments of `t2drl validate`."""

    checkpoint: str | None = None
    """A trained agent (run directory or its policy.pt); the environment is the one it was
    trained on (its run.json), which must use the `fitted` preset."""
    algo: str | None = None
    """Instead of a checkpoint: a baseline (rcars, schrs, hcras) on the fitted preset."""
    fitted: str = "zoo-cpu"
    """Fitted-models file (path or bundled name); must match the checkpoint's environment."""
    sets: list[str] = dataclasses.field(default_factory=list)
    """With --algo: environment overrides `name=value` (as `t2drl evaluate --set`); a checkpoint
    always runs on the environment it was trained on."""
    seed: int = 100
    """Episode seed, split like `t2drl evaluate` (environment and policy generators)."""
    frames: int = 4
    """F: frames sampled, evenly spaced over the episode's T frames."""
    slots: int = 3
    """S: slots sampled (seeded, without replacement) in each sampled frame."""
    quick: bool = False
    """2 frames x 2 slots (overrides frames and slots): <= 10 minutes on a 2-core CPU."""
    mask: str | None = None
    """Mask family of the replayed requests (profiling.masks); None = the fit's (its
    measurement table's), else thick."""
    trajectory_steps: int | None = None
    """N of the trajectory schedule; None = the fit's (its measurement table), else 250."""
    device: str = "cpu"
    """Torch device of the generations (the fit's device kind should match: zoo-cpu is cpu)."""
    threads: int = 1
    """torch threads (profile-models measured with 1)."""
    grid: int = 8
    """Requests shown in grid.png."""
    out: str = "runs/validate"
    """Output folder."""
    resume: bool = True
    """Skip requests already in out/requests.csv (same run identity); False starts afresh."""
    progress: bool = True
    """Show a progress bar (UNet calls)."""


# --------------------------------------------------------------------------- inputs


def _check_args(args: ValidateArgs) -> ValidateArgs:
    if (args.checkpoint is None) == (args.algo is None):
        raise ValidateError(
            "give exactly one of --checkpoint (a trained agent) or --algo (rcars, schrs, hcras)."
        )
    if args.checkpoint is not None and args.sets:
        raise ValidateError(
            "--set applies to baselines only; a checkpoint runs on the environment it was "
            "trained on (its run.json)."
        )
    if args.quick:
        args = dataclasses.replace(args, **QUICK)
    for name in ("frames", "slots", "threads"):
        v = getattr(args, name)
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValidateError(f"--{name} must be a positive integer, got {v!r}.")
    if args.grid < 0:
        raise ValidateError(f"--grid must be non-negative, got {args.grid}.")
    if args.seed < 0:
        raise ValidateError(f"--seed must be a non-negative integer, got {args.seed}.")
    if args.trajectory_steps is not None and not 1 <= args.trajectory_steps <= 1000:
        raise ValidateError(
            f"--trajectory-steps must be in [1, 1000], got {args.trajectory_steps}."
        )
    return args


def _load_fitted(fitted: str) -> tuple[dict, Path]:
    from fitted_models.schema import FittedModelsError, load_fitted, resolve_fitted_path

    try:
        return load_fitted(fitted), resolve_fitted_path(fitted)
    except FittedModelsError as exc:
        raise ValidateError(str(exc)) from None


def _same_models(cfg: EdgeConfig, doc: dict) -> str | None:
    """The first model field where `cfg` differs from the fitted file `doc`, or None."""
    models = doc["models"]
    if list(cfg.model_ids) != [m["id"] for m in models]:
        return "model_ids"
    for key, where in (
        ("A1_steps", "tv_model"),
        ("A2_tv", "tv_model"),
        ("A3_steps", "tv_model"),
        ("A4_tv", "tv_model"),
        ("B1_s_per_step", "delay_model"),
        ("B2_s", "delay_model"),
    ):
        mine = getattr(cfg, key)
        if any(
            not math.isclose(a, m[where][key], rel_tol=1e-9)
            for a, m in zip(mine, models, strict=True)
        ):
            return key
    return None


def resolve_policy(args: ValidateArgs, doc: dict, fitted_path: Path):
    """(config, policy, description) for a checkpoint or a baseline on the fitted preset."""
    from rl.harness.evaluate import EvaluateArgs, EvaluationError, build_policy, checkpoint_config

    if args.checkpoint is not None:
        if not Path(args.checkpoint).exists():
            raise ValidateError(f"checkpoint '{args.checkpoint}' does not exist.")
        cfg = checkpoint_config(args.checkpoint)
        if cfg is None:
            raise ValidateError(
                f"checkpoint '{args.checkpoint}' has no readable run.json beside it."
            )
        if cfg.preset != "fitted":
            raise ValidateError(
                f"checkpoint '{args.checkpoint}' was trained on the '{cfg.preset}' preset; "
                "closed-loop validation needs an agent trained with --env-preset fitted."
            )
        key = _same_models(cfg, doc)
        if key is not None:
            raise ValidateError(
                f"checkpoint '{args.checkpoint}' was trained on fitted file "
                f"'{cfg.fitted_file}', whose {key} differs from --fitted '{args.fitted}'."
            )
    else:
        from testbed.config import ConfigError, parse_set_options

        try:
            cfg = build_config(
                "fitted", fitted_file=str(fitted_path), overrides=parse_set_options(args.sets)
            )
        except ConfigError as exc:
            raise ValidateError(str(exc)) from None
    try:
        policy = build_policy(EvaluateArgs(algo=args.algo, checkpoint=args.checkpoint), cfg)
    except EvaluationError as exc:
        raise ValidateError(str(exc)) from None
    return cfg, policy


# --------------------------------------------------------------------------- simulation


@dataclass
class SlotRecord:
    """One sampled slot as the simulator evaluated it (user arrays of shape (U,))."""

    frame: int
    slot: int
    model: np.ndarray
    cache: np.ndarray
    b: np.ndarray
    xi: np.ndarray
    outcome: Any  # testbed.system_model.SlotOutcome for one copy


def sampled_slots(cfg: EdgeConfig, frames: int, slots: int, seed: int) -> dict[int, list[int]]:
    """{frame: sorted slots}: F frames evenly spaced over T, S seeded slots per frame."""
    chosen = np.unique(np.linspace(0, cfg.n_frames - 1, min(frames, cfg.n_frames)).round())
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    k = min(slots, cfg.n_slots)
    return {
        int(f): sorted(int(s) for s in rng.choice(cfg.n_slots, k, replace=False)) for f in chosen
    }


def simulate(policy, cfg: EdgeConfig, seed: int, picks: dict[int, list[int]]) -> list[SlotRecord]:
    """Run one episode as `rl.evaluate.run_seed` does; keep the sampled slots."""
    from testbed.batched import BatchedEdgeSim

    env_seq, policy_seq = np.random.SeedSequence(seed).spawn(2)
    env_rng, policy_rng = np.random.default_rng(env_seq), np.random.default_rng(policy_seq)
    sim = BatchedEdgeSim(cfg, n_envs=1, rng=env_rng)
    sim.reset()
    per_slot_cache = bool(getattr(policy, "per_slot_cache", False))
    records: list[SlotRecord] = []
    last_frame = max(picks)
    for frame in range(last_frame + 1):
        sim.set_cache(policy.choose_cache(sim.gamma, policy_rng))
        for slot in range(cfg.n_slots):
            state = sim.state
            if per_slot_cache:
                slot_cache, b, xi = policy.decide_slot(state, sim.cache, policy_rng)
                sim.set_cache(slot_cache)
            else:
                b, xi = policy.allocate(state, sim.cache, policy_rng)
            cache = sim.cache[0].copy()
            res = sim.step(b, xi)
            if slot in picks.get(frame, ()):
                one = type(res.outcome)(**{k: v[0] for k, v in vars(res.outcome).items()})
                records.append(
                    SlotRecord(frame, slot, state.model[0].copy(), cache, res.b[0], res.xi[0], one)
                )
    return records


# --------------------------------------------------------------------------- requests


def request_key(seed: int, frame: int, slot: int, user: int) -> str:
    return f"s{seed}-f{frame}-k{slot}-u{user}"


def steps_regime(n: int, a1: float, a3: float, n_fit: int | None) -> str:
    """The part of (7) a step count falls in (bins of the error report)."""
    if n == 0:
        return "n = 0"
    if n < a1:
        return "1 <= n < A1"
    if n < a3:
        return "A1 <= n < A3"
    if n_fit is None or n <= n_fit:
        return "n >= A3"
    return "n > N (beyond the fitted schedule)"


CLOUD_REGIME = "cloud: n = round(A3)"
REGIMES = (
    "n = 0",
    "1 <= n < A1",
    "A1 <= n < A3",
    "n >= A3",
    "n > N (beyond the fitted schedule)",
    CLOUD_REGIME,
)


def build_requests(
    records: list[SlotRecord], cfg: EdgeConfig, seed: int, n_fits: list[int | None]
) -> list[dict]:
    """One dict per user of every sampled slot: the decision, the simulator's values, the fit's
    prediction at the integer step count that is actually run. `n_fits[m]`: model m's
    trajectory schedule length (None under the respaced protocol)."""
    L = cfg.total_denoising_steps
    rows = []
    for rec in records:
        o = rec.outcome
        for u, m in enumerate(rec.model.tolist()):
            a1, a2, a3, a4 = (cfg.A1_steps[m], cfg.A2_tv[m], cfg.A3_steps[m], cfg.A4_tv[m])
            b1, b2 = cfg.B1_s_per_step[m], cfg.B2_s[m]
            hit = bool(o.hit[u])
            steps_real = float(rec.xi[u] * L) if hit else float(a3)
            n = int(round(steps_real))
            rows.append(
                {
                    "key": request_key(seed, rec.frame, rec.slot, u),
                    "seed": seed,
                    "frame": rec.frame,
                    "slot": rec.slot,
                    "user": u,
                    "model_index": m,
                    "model_id": cfg.model_ids[m],
                    "served": "edge" if hit else "cloud",
                    "b": float(rec.b[u]),
                    "xi": float(rec.xi[u]),
                    "steps_sim": steps_real,
                    "n": n,
                    "regime": steps_regime(n, a1, a3, n_fits[m]) if hit else CLOUD_REGIME,
                    "pred_tv": float(tv_of_steps(np.float64(n), a1, a2, a3, a4)),
                    "pred_delay_s": float(generation_delay_s(np.float64(n), b1, b2)),
                    "sim_tv": float(o.tv[u]),
                    "sim_D_gt_s": float(o.D_gt_s[u]),
                    "D_up_s": float(o.D_up_s[u]),
                    "D_dw_s": float(o.D_dw_s[u]),
                    "sim_D_tl_s": float(o.D_tl_s[u]),
                    "sim_utility": float(o.utility[u]),
                    "sim_violated": bool(o.violated[u]),
                }
            )
    return rows


# --------------------------------------------------------------------------- replay models


@dataclass
class ReplayModel:
    """What replaying one request type needs: the loaded model and the fit's settings."""

    model_id: str
    spec: str
    info: Any  # profiling.models.ModelInfo
    denoiser: Any  # profiling.loop.UNetDenoiser
    jump_length: int
    jump_n_sample: int
    eta: float
    n_fit: int | None
    mask_family: str
    pool: list[tuple[str, np.ndarray]]
    """Held-out images: the model's own-domain source minus every image the fit measured."""


def _measurement_table(doc: dict):
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


def load_replay_model(doc: dict, entry: dict, args: ValidateArgs, table, workdir: Path):
    import torch

    from profiling.errors import ProfilingError
    from profiling.hardware import resolve_device, resolve_dtype
    from profiling.images import image_source
    from profiling.loop import UNetDenoiser
    from profiling.masks import MASK_KINDS
    from profiling.models import load_unet
    from profiling.sweep import images_for

    ctx = fit_context(doc, entry, args, table)
    if ctx["mask"] not in MASK_KINDS:
        raise ValidateError(f"--mask must be one of {', '.join(MASK_KINDS)}, got '{ctx['mask']}'.")
    settings = entry.get("settings", {})
    try:
        unet, info = load_unet(entry["checkpoint"], workdir=workdir)
        device = resolve_device(args.device)
        dtype = resolve_dtype(settings.get("dtype", "fp32"))
    except ProfilingError as exc:
        raise ValidateError(f"model '{entry['id']}': {exc}") from None
    source = images_for(entry["checkpoint"], "auto")
    # Synthetic images of another seed than profiling's (0); a zoo domain's whole held-out set.
    images = image_source(source, count=64, seed=1)
    pool = [
        (i, img)
        for i, img in images.images(info.sample_size, info.in_channels)
        if i not in ctx["seen"]
    ]
    if not pool:
        raise ValidateError(
            f"model '{entry['id']}' has no held-out image left: the fit measured all of '{source}'."
        )
    denoiser = UNetDenoiser(unet, device=torch.device(device), dtype=dtype)
    return ReplayModel(
        model_id=entry["id"],
        spec=entry["checkpoint"],
        info=info,
        denoiser=denoiser,
        jump_length=int(settings.get("jump_length", 10)),
        jump_n_sample=int(settings.get("jump_n_sample", 1)),
        eta=float(settings.get("eta", 1.0)),
        n_fit=ctx["n_fit"],
        mask_family=ctx["mask"],
        pool=pool,
    )


def replay_request(model: ReplayModel, req: dict, protocol: str) -> tuple[dict, Any]:
    """Generate one request with its n steps; return (measured columns, delivered image)."""
    from profiling.images import stable_seed
    from profiling.loop import RePaintSettings
    from profiling.masks import make_mask
    from profiling.sweep import measure_request

    n = int(req["n"])
    key = req["key"]
    image_id, image = model.pool[stable_seed("image", key) % len(model.pool)]
    mask_seed = stable_seed("mask", key)
    noise_seed = stable_seed("noise", key)
    mask = make_mask(model.mask_family, model.info.sample_size, mask_seed)
    if protocol == "trajectory":
        schedule = max(model.n_fit or n, n, 1)  # n > N: a full n-step run (see module doc)
        stop_after = n
    else:
        schedule, stop_after = max(n, 1), (0 if n == 0 else None)
    settings = RePaintSettings(schedule, model.jump_length, model.jump_n_sample, model.eta)
    m = measure_request(model.denoiser, image, mask, settings, noise_seed, stop_after=stop_after)
    cols = {
        "checkpoint": model.spec,
        "image_id": image_id,
        "mask_id": f"{model.mask_family}-s{mask_seed}",
        "noise_seed": noise_seed,
        "schedule_N": schedule,
        "unet_calls": m.unet_calls,
        "meas_delay_s": m.latency_s,
        "unet_time_s": m.unet_time_s,
        **{k: m.metrics[k] for k in ("tv_l1", "tv_l1_pred", "psnr_hole_db_pred", "ssim_hole_pred")},
    }
    return cols, m


# --------------------------------------------------------------------------- the run


def _identity(args: ValidateArgs, cfg: EdgeConfig, fitted_sha: str, ckpt_sha: str | None) -> dict:
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
        "sets": list(args.sets),
        "config": cfg.to_dict(),
    }


def _display_path(path: Path) -> str:
    """`path` relative to the working directory when inside it (committed summaries stay
    machine-independent), else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path.resolve())


def _checkpoint_file(checkpoint: str) -> Path:
    p = Path(checkpoint)
    return p / "policy.pt" if p.is_dir() else p


def provenance(args: ValidateArgs, threads: int) -> dict:
    """`common.provenance.provenance()` plus what the replays ran on."""
    import platform

    prov = run_provenance()
    prov["versions"].update(versions("diffusers", "piq", python=False, runtime=True))
    prov["device"].update(torch_device=args.device, torch_threads=threads, cpus=os.cpu_count())
    prov["device"]["python_impl"] = platform.python_implementation()
    prov["torch_version"] = versions("torch", python=False, runtime=True)["torch"]
    return prov


def _prepare_out(out: Path, identity: dict, resume: bool) -> set[str]:
    """Create `out`; return the request keys already measured (resume) or clear them."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "outputs").mkdir(exist_ok=True)
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


def _append_row(path: Path, row: dict) -> None:
    new = not path.exists() or path.stat().st_size == 0
    with path.open("a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(row))
        if new:
            writer.writeheader()
        writer.writerow(row)
        fh.flush()
        os.fsync(fh.fileno())


def _save_png(image01, path: Path) -> None:
    from PIL import Image

    arr = (image01.permute(1, 2, 0).numpy() * 255).round().clip(0, 255).astype(np.uint8)
    Image.fromarray(arr).save(path)


def _warm_up(model: ReplayModel) -> None:
    """One short untimed generation per model (profile-models does the same)."""
    from profiling.loop import RePaintSettings
    from profiling.masks import make_mask
    from profiling.sweep import measure_request

    image = model.pool[0][1]
    mask = make_mask(model.mask_family, model.info.sample_size, 0)
    measure_request(model.denoiser, image, mask, RePaintSettings(20, model.jump_length), 0)


def main(args: ValidateArgs) -> dict:
    """Simulate, replay, analyse; return the summary document (also written to out/)."""
    import torch

    args = _check_args(args)
    doc, fitted_path = _load_fitted(args.fitted)
    cfg, policy = resolve_policy(args, doc, fitted_path)
    if doc["protocol"] not in ("trajectory", "respaced"):
        raise ValidateError(
            f"fitted file '{args.fitted}' has protocol '{doc['protocol']}'; only measured fits "
            "(trajectory or respaced) name models that can be run."
        )
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    fitted_sha = sha256_file(fitted_path)
    ckpt_sha = sha256_file(_checkpoint_file(args.checkpoint)) if args.checkpoint else None
    identity = _identity(args, cfg, fitted_sha, ckpt_sha)
    done = _prepare_out(out, identity, args.resume)
    run_doc = {
        "identity": identity,
        "args": dataclasses.asdict(args),
        "fitted_file": _display_path(fitted_path),
        "policy": getattr(policy, "name", type(policy).__name__),
        "provenance": provenance(args, args.threads),
    }
    write_json(out / "run.json", run_doc, indent=2)

    picks = sampled_slots(cfg, args.frames, args.slots, args.seed)
    records = simulate(policy, cfg, args.seed, picks)
    table = _measurement_table(doc)
    models_by_id = {e["id"]: e for e in doc["models"]}
    contexts = {mid: fit_context(doc, e, args, table) for mid, e in models_by_id.items()}
    n_fits = [contexts[mid]["n_fit"] for mid in cfg.model_ids]
    requests = build_requests(records, cfg, args.seed, n_fits)
    todo = [r for r in requests if r["key"] not in done]
    _replay_all(todo, doc, args, table, cfg, out, run_doc)
    summary = analyse(out, cfg, doc, run_doc, picks, table)
    return summary


def _replay_all(todo, doc, args, table, cfg, out, run_doc) -> None:
    from tqdm.auto import tqdm

    if not todo:
        return
    needed = sorted({r["model_id"] for r in todo})
    entries = {e["id"]: e for e in doc["models"]}
    models = {mid: load_replay_model(doc, entries[mid], args, table, out) for mid in needed}
    for model in models.values():
        _warm_up(model)
    prov = run_doc["provenance"]
    fixed = {
        "protocol": doc["protocol"],
        "policy": run_doc["policy"],
        "checkpoint_path": args.checkpoint or "",
        "fitted_sha256": run_doc["identity"]["fitted_sha256"],
        "device": args.device,
        "torch_threads": args.threads,
        "git_commit": prov.get("git_commit") or "",
    }
    bar = tqdm(
        total=sum(max(r["n"], 1) for r in todo),
        unit="step",
        desc="replay",
        disable=not args.progress,
        dynamic_ncols=True,
    )
    try:
        for req in todo:
            model = models[req["model_id"]]
            bar.set_postfix_str(f"{req['model_id']} n={req['n']} ({req['served']})")
            load_before, cpu_before = load_average(), time.thread_time()
            cols, m = replay_request(model, req, doc["protocol"])
            row = _measured_row(req, cols, cfg, doc)
            # Diagnostic, not D_gt: this thread's CPU time for the request (torch runs one
            # thread here), which other processes on a shared CPU do not inflate; it also
            # counts the metrics (a few ms).
            row["cpu_s"] = time.thread_time() - cpu_before
            load_after = load_average()
            row["load_avg_1min"] = (
                None
                if None in (load_before, load_after)
                else round((load_before + load_after) / 2, 2)
            )
            row["created_utc"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            row.update(fixed)
            delivered = m.pred01 if _quality_column(doc) == "tv_l1_pred" else m.sample01
            _save_png(delivered, out / "outputs" / f"{req['key']}.png")
            _append_row(out / CSV_NAME, row)
            bar.update(max(req["n"], 1))
    finally:
        bar.close()


def _quality_column(doc: dict) -> str:
    return doc.get("quality_metric", {}).get("column", "tv_l1_pred")


def _measured_row(req: dict, cols: dict, cfg: EdgeConfig, doc: dict) -> dict:
    """The request with its measurements and the utility (10) / (11h) from measured values."""
    row = {**req, **cols}
    row["meas_tv"] = cols[_quality_column(doc)]
    d_tl = req["D_up_s"] + req["D_dw_s"] + cols["meas_delay_s"]  # (9) with the measured D_gt
    row["meas_D_tl_s"] = d_tl
    row["meas_utility"] = cfg.alpha * min(d_tl, cfg.delay_cap_s) + (1 - cfg.alpha) * row["meas_tv"]
    row["meas_violated"] = bool(d_tl > cfg.slot_duration_s)
    return row


# --------------------------------------------------------------------------- analysis


def _pct_errors(pred, meas) -> np.ndarray:
    pred, meas = np.asarray(pred, float), np.asarray(meas, float)
    return 100.0 * (pred - meas) / meas


def error_stats(pred, meas) -> dict:
    """MAPE and bias (mean signed percentage error, + = the fit predicts more than measured)."""
    e = _pct_errors(pred, meas)
    e = e[np.isfinite(e)]
    if e.size == 0:
        return {"n": 0, "mape": math.nan, "bias": math.nan}
    return {"n": int(e.size), "mape": float(np.abs(e).mean()), "bias": float(e.mean())}


def _error_columns(part) -> dict:
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


def load_rows(out: Path):
    import pandas as pd

    df = pd.read_csv(out / CSV_NAME)
    for col in ("sim_violated", "meas_violated"):
        df[col] = df[col].astype(str).str.lower() == "true"
    return df


def in_sample_mape(table, doc: dict, model_id: str, ns, column: str) -> dict:
    """The fit's own per-point errors at the same step counts (the spread between images that
    any per-request comparison carries), from the fit's measurement table."""
    from testbed.system_model import generation_delay_s as gd
    from testbed.system_model import tv_of_steps as tv

    if table is None:
        return {"tv": math.nan, "delay": math.nan}
    axis = "step_n" if doc["protocol"] == "trajectory" else "steps_N"
    record = "step" if doc["protocol"] == "trajectory" else "final"
    rows = table[
        (table["model_id"] == model_id)
        & (table["record"] == record)
        & (~table["is_warmup"].astype(bool))
        & (table["protocol"] == doc["protocol"])
        & (table["batch_size"] == 1)
    ]
    entry = next(e for e in doc["models"] if e["id"] == model_id)
    t, d = entry["tv_model"], entry["delay_model"]
    tv_e, d_e = [], []
    for n in ns:
        at = rows[rows[axis] == n]
        if at.empty:
            continue
        p_tv = tv(float(n), t["A1_steps"], t["A2_tv"], t["A3_steps"], t["A4_tv"])
        p_d = gd(float(n), d["B1_s_per_step"], d["B2_s"])
        tv_e += list(np.abs(_pct_errors(p_tv, at[column])))
        d_e += list(np.abs(_pct_errors(p_d, at["latency_s"])))
    return {
        "tv": float(np.mean(tv_e)) if tv_e else math.nan,
        "delay": float(np.mean(d_e)) if d_e else math.nan,
    }


def analyse(out: Path, cfg: EdgeConfig, doc: dict, run_doc: dict, picks, table) -> dict:
    """Statistics, plots and the markdown summary from out/requests.csv."""
    df = load_rows(out)
    keys = {
        request_key(run_doc["identity"]["seed"], f, k, u)
        for f, ks in picks.items()
        for k in ks
        for u in range(cfg.n_users)
    }
    df = df[df["key"].isin(keys)].copy()
    per_model = []
    for mid in cfg.model_ids:
        sub = df[df["model_id"] == mid]
        for where, part in (
            ("all", sub),
            ("edge", sub[sub.served == "edge"]),
            ("cloud", sub[sub.served == "cloud"]),
        ):
            if part.empty:
                continue
            ref = in_sample_mape(table, doc, mid, part.n.tolist(), _quality_column(doc))
            per_model.append(
                {
                    "model_id": mid,
                    "served": where,
                    "requests": int(len(part)),
                    "n_min": int(part.n.min()),
                    "n_max": int(part.n.max()),
                    **_error_columns(part),
                    "fit_in_sample_tv_mape": ref["tv"],
                    "fit_in_sample_delay_mape": ref["delay"],
                    "sim_utility": float(part.sim_utility.mean()),
                    "meas_utility": float(part.meas_utility.mean()),
                    "sim_violation_share": float(part.sim_violated.mean()),
                    "meas_violation_share": float(part.meas_violated.mean()),
                }
            )
    per_regime = []
    for mid in cfg.model_ids:
        sub = df[df["model_id"] == mid]
        for regime in REGIMES:
            part = sub[sub.regime == regime]
            if part.empty:
                continue
            per_regime.append(
                {
                    "model_id": mid,
                    "regime": regime,
                    "requests": int(len(part)),
                    "n_range": f"{int(part.n.min())}-{int(part.n.max())}",
                    **_error_columns(part),
                }
            )
    slots = (
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
    overall = {
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
    goals = goal_verdicts(per_model, per_regime)
    summary = {
        "overall": overall,
        "per_model": per_model,
        "per_regime": per_regime,
        "per_slot": slots.to_dict(orient="records"),
        "goals": goals,
        "run": run_doc,
        "sampled_slots": {str(k): v for k, v in picks.items()},
    }
    write_json(out / "summary.json", summary, indent=2)
    write_plots(df, cfg, run_doc, contexts_of(df, cfg), out, run_doc["args"]["grid"])
    write_markdown(summary, cfg, doc, out)
    return summary


def goal_verdicts(per_model: list[dict], per_regime: list[dict]) -> list[dict]:
    """Per model: does it meet the delay and TV MAPE goals; if not, the regime the fit gets
    most wrong (largest MAPE among regimes with requests)."""
    verdicts = []
    for row in (r for r in per_model if r["served"] == "all"):
        v = {"model_id": row["model_id"], "delay_ok": None, "tv_ok": None, "misses": []}
        for q, goal in (("delay", GOAL_DELAY_MAPE), ("tv", GOAL_TV_MAPE)):
            mape = row[f"{q}_mape"]
            ok = bool(mape <= goal) if math.isfinite(mape) else None
            v[f"{q}_ok"] = ok
            if ok is False:
                regs = [r for r in per_regime if r["model_id"] == row["model_id"]]
                regs = [r for r in regs if math.isfinite(r[f"{q}_mape"])]
                worst = max(regs, key=lambda r: r[f"{q}_mape"])
                v["misses"].append(
                    {
                        "quantity": q,
                        "mape": mape,
                        "goal": goal,
                        "cpu_mape": row["delay_cpu_mape"] if q == "delay" else None,
                        "cpu_bias": row["delay_cpu_bias"] if q == "delay" else None,
                        "worst_regime": worst["regime"],
                        "worst_regime_mape": worst[f"{q}_mape"],
                        "worst_regime_bias": worst[f"{q}_bias"],
                        "worst_regime_requests": worst["requests"],
                        "worst_regime_n_range": worst["n_range"],
                    }
                )
        verdicts.append(v)
    return verdicts


# --------------------------------------------------------------------------- plots


def contexts_of(df, cfg: EdgeConfig) -> dict[str, dict]:
    """Per model: A1, A3 and the trajectory schedule N seen in the rows (for plot markers)."""
    out = {}
    for m, mid in enumerate(cfg.model_ids):
        sub = df[(df.model_id == mid) & (df.n <= df.schedule_N)]
        n_fit = None
        if (sub.protocol == "trajectory").any():
            n_fit = int(sub.schedule_N.min())
        out[mid] = {"A1": cfg.A1_steps[m], "A3": cfg.A3_steps[m], "n_fit": n_fit}
    return out


def _footer(run_doc: dict) -> str:
    ident, prov = run_doc["identity"], run_doc["provenance"]
    who = (
        f"checkpoint {ident['checkpoint']}" if ident["checkpoint"] else f"baseline {ident['algo']}"
    )
    return (
        f"{run_doc['policy']} ({who}); fitted {Path(run_doc['fitted_file']).name} "
        f"sha256 {ident['fitted_sha256'][:12]}; seed {ident['seed']}; "
        f"{prov['device']['cpu']}, torch {prov['torch_version']}, "
        f"{prov['device']['torch_threads']} thread(s); commit {(prov.get('git_commit') or '?')[:10]}"
    )


def _panels(n: int, rows: int = 1, size: float = 3.4):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(rows, n, figsize=(size * n + 0.6, size * rows + 0.9), squeeze=False)
    return fig, axes


def _scatter(
    df, cfg, run_doc, out: Path, pred: str, meas: str, goal: float, label: str, name, cpu=False
):
    import matplotlib.pyplot as plt
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    fig, axes = _panels(cfg.n_models)
    steps = Normalize(0, max(1, int(df.n.max())))
    for ax, mid in zip(axes[0], cfg.model_ids, strict=True):
        sub = df[df.model_id == mid]
        if (df.served == "edge").any():
            fig.colorbar(
                ScalarMappable(steps, "viridis"), ax=ax, fraction=0.046, pad=0.02
            ).set_label("steps n (edge)", fontsize=8)
        ax.set_title(mid, fontsize=10)
        ax.set_xlabel(f"measured {label}")
        ax.set_ylabel(f"fit-predicted {label}")
        if sub.empty:
            ax.text(0.5, 0.5, "no request", ha="center", va="center", transform=ax.transAxes)
            continue
        xs = [sub[meas], sub.cpu_s] if cpu else [sub[meas]]
        lo = 0.9 * min(sub[pred].min(), *(x.min() for x in xs))
        hi = 1.1 * max(sub[pred].max(), *(x.max() for x in xs))
        line = np.linspace(lo, hi, 50)
        ax.plot(line, line, color="black", lw=0.8, label="prediction = measurement")
        ax.fill_between(
            line,
            line * (1 - goal / 100),
            line * (1 + goal / 100),
            color="green",
            alpha=0.12,
            label=f"within {goal:.0f} % (goal)",
        )
        edge, cloud = sub[sub.served == "edge"], sub[sub.served == "cloud"]
        if cpu:
            ax.scatter(
                sub.cpu_s,
                sub[pred],
                s=14,
                facecolors="none",
                edgecolors="gray",
                lw=0.6,
                label="same requests at their CPU time (diagnostic)",
            )
        if not edge.empty:
            ax.scatter(
                edge[meas],
                edge[pred],
                c=edge.n,
                cmap="viridis",
                norm=steps,
                s=22,
                label="edge (colour = n)",
            )
        if not cloud.empty:
            ax.scatter(
                cloud[meas], cloud[pred], marker="x", color="tab:red", s=26, label="cloud (n = A3)"
            )
        stats = error_stats(sub[pred], sub[meas])
        ax.text(
            0.03,
            0.97,
            f"{len(sub)} requests\nMAPE {stats['mape']:.1f} %\nbias {stats['bias']:+.1f} %",
            transform=ax.transAxes,
            va="top",
            fontsize=8,
        )
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
    handles, labels = [], []
    for ax in axes[0]:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, bbox_to_anchor=(0.5, 0.04))
    fig.suptitle(
        f"Closed-loop check of the fitted {label.split(' [')[0]} model: every replayed request",
        fontsize=11,
    )
    fig.text(0.5, 0.005, _footer(run_doc), ha="center", fontsize=6.5, color="dimgray")
    fig.tight_layout(rect=(0, 0.12, 1, 0.95))
    fig.savefig(out / name, dpi=110)
    plt.close(fig)


def _error_vs_steps(df, cfg, run_doc, ctx, out: Path) -> None:
    import matplotlib.pyplot as plt

    fig, axes = _panels(cfg.n_models, rows=2)
    for j, mid in enumerate(cfg.model_ids):
        sub = df[df.model_id == mid]
        for i, (pred, meas, goal, label) in enumerate(
            (
                ("pred_tv", "meas_tv", GOAL_TV_MAPE, "TV"),
                ("pred_delay_s", "meas_delay_s", GOAL_DELAY_MAPE, "delay"),
            )
        ):
            ax = axes[i][j]
            ax.axhspan(-goal, goal, color="green", alpha=0.12)
            ax.axhline(0, color="black", lw=0.8)
            for x, name in (
                (ctx[mid]["A1"], "A1"),
                (ctx[mid]["A3"], "A3"),
                (ctx[mid]["n_fit"], "N"),
            ):
                if x is not None:
                    ax.axvline(x, color="gray", ls="--", lw=0.8)
                    ax.text(
                        x,
                        1.0,
                        name,
                        transform=ax.get_xaxis_transform(),
                        ha="center",
                        va="bottom",
                        fontsize=7,
                        color="gray",
                    )
            if label == "delay" and not sub.empty:
                ax.scatter(
                    sub.n,
                    _pct_errors(sub[pred], sub.cpu_s),
                    s=14,
                    facecolors="none",
                    edgecolors="gray",
                    lw=0.6,
                    label="delay vs CPU time (diagnostic)",
                )
            for where, mk, color in (("edge", "o", "tab:blue"), ("cloud", "x", "tab:red")):
                part = sub[sub.served == where]
                if not part.empty:
                    ax.scatter(
                        part.n,
                        _pct_errors(part[pred], part[meas]),
                        marker=mk,
                        s=18,
                        color=color,
                        label=where,
                    )
            ax.set_xlim(left=0)
            ax.set_xlabel("steps n")
            ax.set_ylabel(f"{label} error (fit - measured) / measured [%]", fontsize=8)
            if i == 0:
                ax.set_title(mid, fontsize=10, pad=12)

    handles, labels = [], []
    for ax in axes.ravel():
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    if handles:
        fig.legend(handles, labels, loc="upper right", fontsize=8)
    fig.suptitle(
        "Where along the steps axis the fits (7) and (8) miss (green: the goal band)", fontsize=11
    )
    fig.text(0.5, 0.005, _footer(run_doc), ha="center", fontsize=6.5, color="dimgray")
    fig.tight_layout(rect=(0, 0.03, 1, 0.95))
    fig.savefig(out / "error-vs-steps.png", dpi=110)
    plt.close(fig)


def pick_grid_rows(df, k: int):
    """Up to k requests spread over models and step counts (deterministic)."""
    if k == 0 or df.empty:
        return df.iloc[:0]
    ordered = df.sort_values(["n", "key"]).reset_index(drop=True)
    idx = np.unique(np.linspace(0, len(ordered) - 1, min(k, len(ordered))).round().astype(int))
    return ordered.iloc[idx]


def _grid(df, cfg, run_doc, out: Path, k: int) -> None:
    import matplotlib.pyplot as plt
    from PIL import Image

    from profiling.masks import make_mask

    rows = pick_grid_rows(df, k)
    if rows.empty:
        return
    images = _held_out_lookup(rows, run_doc, out)
    fig, axes = plt.subplots(3, len(rows), figsize=(1.9 * len(rows) + 0.4, 7.6), squeeze=False)
    for j, (_, r) in enumerate(rows.iterrows()):
        clean = images[(r.model_id, r.image_id)]
        family, seed = r.mask_id.rsplit("-s", 1)
        mask = make_mask(family, clean.shape[1], int(seed))[0]
        shown = clean.transpose(1, 2, 0).copy()
        masked = shown.copy()
        masked[mask < 0.5] = 0.5
        delivered = np.asarray(Image.open(out / "outputs" / f"{r.key}.png")) / 255.0
        for i, (img, title) in enumerate(
            (
                (shown, f"{r.model_id}\n{r.image_id}"),
                (masked, f"{r.served}, n = {r.n}"),
                (
                    delivered,
                    f"TV {r.meas_tv:.0f} (fit {r.pred_tv:.0f})\n"
                    f"{r.meas_delay_s:.2f} s (fit {r.pred_delay_s:.2f})",
                ),
            )
        ):
            ax = axes[i][j]
            ax.imshow(img, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if i < 2:
                ax.set_title(title, fontsize=7)
            else:  # below the image, so it never covers the row above
                ax.set_xlabel(title, fontsize=7)
    for i, name in enumerate(("held-out image", "masked input (grey)", "delivered")):
        axes[i][0].set_ylabel(name, fontsize=8)
    fig.suptitle("Replayed requests at their allocated steps (sorted by n)", fontsize=10)
    fig.text(0.5, 0.005, _footer(run_doc), ha="center", fontsize=6, color="dimgray")
    fig.tight_layout(rect=(0, 0.02, 1, 0.96), h_pad=2.0)
    fig.savefig(out / "grid.png", dpi=120)
    plt.close(fig)


def _held_out_lookup(rows, run_doc, out: Path) -> dict:
    """(model_id, image_id) -> the clean image (C, H, W) in [0, 1], from the image sources."""
    from profiling.images import image_source
    from profiling.models import load_unet
    from profiling.sweep import images_for

    found = {}
    for (mid, spec), part in rows.groupby(["model_id", "checkpoint"]):
        _, info = load_unet(spec, workdir=out)
        wanted = set(part.image_id)
        source = image_source(images_for(spec, "auto"), count=64, seed=1)
        for image_id, img in source.images(info.sample_size, info.in_channels):
            if image_id in wanted:
                found[(mid, image_id)] = img
    return found


def write_plots(df, cfg, run_doc, ctx, out: Path, grid: int) -> None:
    _scatter(df, cfg, run_doc, out, "pred_tv", "meas_tv", GOAL_TV_MAPE, "TV", "scatter-tv.png")
    _scatter(
        df,
        cfg,
        run_doc,
        out,
        "pred_delay_s",
        "meas_delay_s",
        GOAL_DELAY_MAPE,
        "delay [s]",
        "scatter-delay.png",
        cpu=True,
    )
    _error_vs_steps(df, cfg, run_doc, ctx, out)
    _grid(df, cfg, run_doc, out, grid)


# --------------------------------------------------------------------------- markdown


def _f(x, fmt: str = ".1f") -> str:
    return "-" if x is None or (isinstance(x, float) and not math.isfinite(x)) else format(x, fmt)


def reproduce_commands(run_doc: dict) -> list[str]:
    """The commands that reproduce this run (training from the checkpoint's run.json)."""
    a, ident = run_doc["args"], run_doc["identity"]
    cmds = []
    if a["checkpoint"]:
        meta = _checkpoint_file(a["checkpoint"]).with_name("run.json")
        try:
            rec = json.loads(meta.read_text())
            cfg = rec["config"]
            fitted = f" --fitted-file {cfg['fitted_file']}" if cfg.get("fitted_file") else ""
            cmds.append(
                f"t2drl train --algo {rec['algo']} --preset {rec['preset']} --env-preset "
                f"{rec['env_preset']}{fitted} --seed {rec['seed']} --episodes {rec['episodes']} "
                f"--out {Path(a['checkpoint'])}"
            )
        except (OSError, json.JSONDecodeError, KeyError):
            pass
        who = f"--checkpoint {a['checkpoint']}"
    else:
        who = f"--algo {a['algo']}"
    opts = [who, f"--fitted {a['fitted']}", *(f"--set {x}" for x in a["sets"])]
    opts.append(f"--seed {ident['seed']}")
    opts += (
        ["--quick"] if a["quick"] else [f"--frames {ident['frames']}", f"--slots {ident['slots']}"]
    )
    for name in ("mask", "trajectory_steps"):
        if a[name] is not None:
            opts.append(f"--{name.replace('_', '-')} {a[name]}")
    if a["device"] != "cpu":
        opts.append(f"--device {a['device']}")
    if a["threads"] != 1:
        opts.append(f"--threads {a['threads']}")
    cmds.append(f"t2drl validate {' '.join(opts)} --out {a['out']}")
    return cmds


def write_markdown(summary: dict, cfg: EdgeConfig, doc: dict, out: Path) -> Path:
    run, ov = summary["run"], summary["overall"]
    ident, prov = run["identity"], run["provenance"]
    lines = [
        f"# Closed-loop validation: {run['policy']} on the `fitted` preset ({doc['name']})",
        "",
        "Written by `t2drl validate` (validation/closed_loop.py; method in docs/validation.md). "
        "Reproduce with:",
        "",
        "```bash",
        *reproduce_commands(run),
        "```",
        "",
        "## What was run",
        "",
        f"- Policy: {run['policy']}, "
        + (
            f"checkpoint `{ident['checkpoint']}` (policy.pt sha256 `{ident['checkpoint_sha256'][:16]}`)"
            if ident["checkpoint"]
            else f"baseline `{ident['algo']}`"
        ),
        f"- Fitted file: `{run['fitted_file']}` (sha256 `{ident['fitted_sha256'][:16]}`), "
        f"protocol `{doc['protocol']}`, quality column `{_quality_column(doc)}`, fitted on "
        f"{doc['device'].get('kind')} ({doc['device'].get('name')})",
        f"- Environment: U = {cfg.n_users}, L = {cfg.total_denoising_steps:g} steps, "
        f"tau = {cfg.slot_duration_s:g} s, alpha = {cfg.alpha:g}, amender "
        f"`{cfg.step_amender}`, cache capacity {cfg.cache_capacity_GB:.4g} GB; model types "
        + ", ".join(f"{m} = {i}" for m, i in enumerate(cfg.model_ids)),
        f"- Episode seed {ident['seed']} (same episode as `t2drl evaluate --seeds "
        f"{ident['seed']}`); sampled slots (frame: slots) "
        + "; ".join(f"{f}: {', '.join(map(str, s))}" for f, s in summary["sampled_slots"].items()),
        f"- {ov['requests']} requests replayed ({ov['edge_requests']} at the edge, "
        f"{ov['cloud_requests']} in the cloud at n = round(A3)), sequentially at batch 1, "
        f"one request timed alone; the measured latency is the request's D_gt.",
        f"- Machine: {prov['device']['cpu']} ({prov['device']['cpus']} CPUs), torch "
        f"{prov['torch_version']}, {prov['device']['torch_threads']} thread(s), device "
        f"`{prov['device']['torch_device']}`; 1-min load average during the replay: mean "
        f"{ov['load_avg_1min_mean']:.2f}, max {ov['load_avg_1min_max']:.2f}; commit "
        f"`{(prov.get('git_commit') or '?')[:12]}`, {prov['time_utc']}",
        "",
        "## Fit vs measurement, per model",
        "",
        "MAPE = mean |fit - measured| / measured; bias = mean (fit - measured) / measured "
        "(+ = the fit predicts more than was measured). The fit is evaluated at the integer "
        "step count n that was run. *In-sample* = the same statistic of the fit on its own "
        "measurement table at the same n (the spread between images, which no curve of n "
        "alone can remove). *Delay vs CPU time*: the fit against the request's CPU time instead "
        "of its wall time, a diagnostic of how much other processes on a shared CPU inflated "
        "the wall time. G = utility (10), lower is better; (11h) = share of requests with "
        f"D_tl > tau. Goals: delay MAPE <= {GOAL_DELAY_MAPE:g} %, TV MAPE <= {GOAL_TV_MAPE:g} %.",
        "",
        "| model | served | requests | n | TV MAPE [%] | TV bias [%] | TV in-sample [%] | "
        "delay MAPE [%] | delay bias [%] | delay in-sample [%] | delay vs CPU time: MAPE "
        "(bias) [%] | G sim | G measured | (11h) sim | (11h) measured |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in summary["per_model"]:
        lines.append(
            f"| {r['model_id']} | {r['served']} | {r['requests']} | {r['n_min']}-{r['n_max']} | "
            f"{_f(r['tv_mape'])} | {_f(r['tv_bias'], '+.1f')} | {_f(r['fit_in_sample_tv_mape'])} | "
            f"{_f(r['delay_mape'])} | {_f(r['delay_bias'], '+.1f')} | "
            f"{_f(r['fit_in_sample_delay_mape'])} | {_f(r['delay_cpu_mape'])} "
            f"({_f(r['delay_cpu_bias'], '+.1f')}) | {_f(r['sim_utility'], '.4g')} | "
            f"{_f(r['meas_utility'], '.4g')} | {_f(r['sim_violation_share'], '.2f')} | "
            f"{_f(r['meas_violation_share'], '.2f')} |"
        )
    lines += [
        "",
        f"All requests: TV MAPE {_f(ov['tv']['mape'])} % (bias {_f(ov['tv']['bias'], '+.1f')} %), "
        f"delay MAPE {_f(ov['delay']['mape'])} % (bias {_f(ov['delay']['bias'], '+.1f')} %; "
        f"against CPU time {_f(ov['delay_cpu']['mape'])} %, bias "
        f"{_f(ov['delay_cpu']['bias'], '+.1f')} %). "
        f"Utility (10) averaged over the {ov['slots']} slots: simulated {_f(ov['sim_utility'], '.5g')}, "
        f"from measured values {_f(ov['meas_utility'], '.5g')} "
        f"({_f(100 * (ov['meas_utility'] - ov['sim_utility']) / ov['sim_utility'], '+.2f')} %). "
        f"(11h) violated: {_f(100 * ov['sim_violation_share'])} % of requests in the simulation, "
        f"{_f(100 * ov['meas_violation_share'])} % with measured delays "
        f"({ov['violation_disagreements']} requests disagree).",
        "",
        "## Goals",
        "",
    ]
    for v in summary["goals"]:
        status = []
        for q, name in (("delay", "delay"), ("tv", "TV")):
            ok = v[f"{q}_ok"]
            status.append(f"{name} {'met' if ok else ('missed' if ok is False else 'n/a')}")
        lines.append(f"- **{v['model_id']}**: {', '.join(status)}.")
        for miss in v["misses"]:
            q = "TV" if miss["quantity"] == "tv" else "delay"
            direction = "over-predicts" if miss["worst_regime_bias"] > 0 else "under-predicts"
            lines.append(
                f"  - {q} MAPE {miss['mape']:.1f} % > {miss['goal']:g} %: the fit is worst for "
                f"`{miss['worst_regime']}` (n = {miss['worst_regime_n_range']}, "
                f"{miss['worst_regime_requests']} requests, MAPE {miss['worst_regime_mape']:.1f} %, "
                f"bias {miss['worst_regime_bias']:+.1f} %: it {direction} {q} there)."
            )
            if miss["cpu_mape"] is not None and math.isfinite(miss["cpu_mape"]):
                holds = miss["cpu_mape"] <= miss["goal"]
                lines.append(
                    f"    Against the requests' CPU time the delay MAPE is {miss['cpu_mape']:.1f} % "
                    f"(bias {miss['cpu_bias']:+.1f} %)"
                    + (
                        ": B1 and B2 hold, and the wall time was stretched by other processes "
                        f"on the shared CPU (1-min load average {ov['load_avg_1min_mean']:.1f} "
                        f"on {prov['device']['cpus']} CPUs during the replay)."
                        if holds
                        else ", so the miss is not contention alone."
                    )
                )
    lines += [
        "",
        "## Errors by regime of steps",
        "",
        "Regimes of (7): n < A1 (first plateau), A1 <= n < A3 (slope), n >= A3 (final "
        "plateau), n > N (beyond the fitted trajectory schedule: a full n-step run, an "
        "extrapolation of (8)).",
        "",
        "| model | regime | requests | n | TV MAPE [%] | TV bias [%] | delay MAPE [%] | "
        "delay bias [%] | delay vs CPU time: MAPE (bias) [%] |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in summary["per_regime"]:
        lines.append(
            f"| {r['model_id']} | {r['regime']} | {r['requests']} | {r['n_range']} | "
            f"{_f(r['tv_mape'])} | {_f(r['tv_bias'], '+.1f')} | {_f(r['delay_mape'])} | "
            f"{_f(r['delay_bias'], '+.1f')} | {_f(r['delay_cpu_mape'])} "
            f"({_f(r['delay_cpu_bias'], '+.1f')}) |"
        )
    lines += [
        "",
        "## Slots",
        "",
        "Per sampled slot: mean utility (10) simulated and recomputed from measured TV and D_gt "
        "(plus the simulator's transmission delays), (11h) violations, and the edge's "
        "generation work. `edge gen s` is what serving the slot's edge requests back to back "
        f"would take (their summed measured D_gt; compare with tau = {cfg.slot_duration_s:g} s): "
        "(8) treats requests as if served in parallel, so this queueing is outside the model.",
        "",
        "| frame | slot | G sim | G measured | (11h) sim | (11h) measured | edge requests | "
        "edge steps | edge gen s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in summary["per_slot"]:
        lines.append(
            f"| {s['frame']} | {s['slot']} | {s['sim_utility']:.5g} | {s['meas_utility']:.5g} | "
            f"{s['sim_violations']} | {s['meas_violations']} | {s['edge_requests']} | "
            f"{s['edge_steps']} | {s['edge_gen_s']:.2f} |"
        )
    lines += [
        "",
        "## Figures",
        "",
        "![TV: fit vs measured](scatter-tv.png)",
        "",
        "![Delay: fit vs measured](scatter-delay.png)",
        "",
        "![Errors vs steps](error-vs-steps.png)",
        "",
        "![Replayed requests](grid.png)",
        "",
        f"Every replayed request: [{CSV_NAME}]({CSV_NAME}).",
        "",
    ]
    path = out / "summary.md"
    path.write_text("\n".join(lines))
    return path
