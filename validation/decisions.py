"""The policy's side of a validation run: the policy and its environment, one simulated
episode, the sampled slots, and one request per user of those slots with the fit's
prediction at the step count that will actually be run."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fitted_models.curves import generation_delay_s, tv_of_steps
from fitted_models.reader import FittedModels
from fitted_models.schema import DELAY_KEYS, TV_KEYS
from rl.harness.evaluate import EvaluateArgs, EvaluationError, build_policy, checkpoint_config
from testbed.config import ConfigError, EdgeConfig, build_config
from testbed.rollout import policy_steps, seeded_sim
from testbed.sources import parse_set_options
from validation.args import ValidateArgs, ValidateError

CLOUD_REGIME = "cloud: n = round(A3)"
REGIMES = (
    "n = 0",
    "1 <= n < A1",
    "A1 <= n < A3",
    "n >= A3",
    "n > N (beyond the fitted schedule)",
    CLOUD_REGIME,
)
"""The bins of the per-regime error report, in report order (`steps_regime`)."""


# --------------------------------------------------------------------------- policy


def same_models(cfg: EdgeConfig, fits: FittedModels) -> str | None:
    """The first model field where `cfg` differs from the fitted file `fits`, or None."""
    if list(cfg.model_ids) != list(fits.ids):
        return "model_ids"
    for key in (*TV_KEYS, *DELAY_KEYS):
        mine = getattr(cfg, key)
        if any(
            not math.isclose(a, getattr(m, key), rel_tol=1e-9)
            for a, m in zip(mine, fits.models, strict=True)
        ):
            return key
    return None


def _checkpoint_env(args: ValidateArgs, fits: FittedModels) -> EdgeConfig:
    """The environment a checkpoint was trained on, checked against --fitted-file."""
    if not Path(args.checkpoint).exists():
        raise ValidateError(f"checkpoint '{args.checkpoint}' does not exist.")
    cfg = checkpoint_config(args.checkpoint)
    if cfg.preset != "fitted":
        raise ValidateError(
            f"checkpoint '{args.checkpoint}' was trained on the '{cfg.preset}' preset; "
            "closed-loop validation needs an agent trained with --env-preset fitted."
        )
    key = same_models(cfg, fits)
    if key is not None:
        raise ValidateError(
            f"checkpoint '{args.checkpoint}' was trained on fitted file "
            f"'{cfg.fitted_file}', whose {key} differs from --fitted-file '{args.fitted_file}'."
        )
    return cfg


def _baseline_env(args: ValidateArgs, fitted_path: Path) -> EdgeConfig:
    """The `fitted` preset built from --fitted-file plus the --set overrides."""
    try:
        return build_config(
            "fitted", fitted_file=str(fitted_path), overrides=parse_set_options(list(args.set))
        )
    except ConfigError as exc:
        raise ValidateError(str(exc)) from None


def resolve_policy(args: ValidateArgs, fits: FittedModels):
    """(config, policy) for a checkpoint or a baseline on the fitted preset."""
    if args.checkpoint is not None:
        cfg = _checkpoint_env(args, fits)
    else:
        cfg = _baseline_env(args, fits.path)
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
    """Run one episode with the evaluator's loop and seed split (`testbed.rollout`); keep the
    sampled slots (frame -> slots in `picks`) with their state and outcome."""
    sim, policy_rng = seeded_sim(cfg, seed)
    records: list[SlotRecord] = []
    n_slots = (max(picks) + 1) * cfg.n_slots
    for i, step in enumerate(policy_steps(policy, sim, policy_rng)):
        frame, slot = divmod(i, cfg.n_slots)
        if slot in picks.get(frame, ()):
            res = step.result
            one = type(res.outcome)(**{k: v[0] for k, v in vars(res.outcome).items()})
            model, cache = step.state.model[0].copy(), step.cache[0].copy()
            records.append(SlotRecord(frame, slot, model, cache, res.b[0], res.xi[0], one))
        if i + 1 == n_slots:
            break
    return records


# --------------------------------------------------------------------------- requests


def request_key(seed: int, frame: int, slot: int, user: int) -> str:
    return f"s{seed}-f{frame}-k{slot}-u{user}"


def sampled_keys(seed: int, picks: dict[int, list[int]], n_users: int) -> set[str]:
    """The request keys of every user in the sampled slots."""
    return {
        request_key(seed, f, k, u) for f, ks in picks.items() for k in ks for u in range(n_users)
    }


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


def _request(rec: SlotRecord, u: int, m: int, cfg: EdgeConfig, seed: int, n_fit) -> dict:
    """User u's request in slot `rec` (request type m)."""
    o = rec.outcome
    a1, a2, a3, a4 = (cfg.A1_steps[m], cfg.A2_tv[m], cfg.A3_steps[m], cfg.A4_tv[m])
    b1, b2 = cfg.B1_s_per_step[m], cfg.B2_s[m]
    hit = bool(o.hit[u])
    steps_real = float(rec.xi[u] * cfg.total_denoising_steps) if hit else float(a3)
    n = int(round(steps_real))
    return {
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
        "regime": steps_regime(n, a1, a3, n_fit) if hit else CLOUD_REGIME,
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


def build_requests(
    records: list[SlotRecord], cfg: EdgeConfig, seed: int, n_fits: list[int | None]
) -> list[dict]:
    """One dict per user of every sampled slot: the decision, the simulator's values, the fit's
    prediction at the integer step count that is actually run. `n_fits[m]`: model m's
    trajectory schedule length (None under the respaced protocol)."""
    return [
        _request(rec, u, m, cfg, seed, n_fits[m])
        for rec in records
        for u, m in enumerate(rec.model.tolist())
    ]
