"""Warnings for settings that make the problem degenerate (printed by `t2drl check-config`).

These are not errors: the paper's own values trip the first one. They tell a researcher what
the numbers imply before a long run.
"""

from __future__ import annotations

import numpy as np

from common.summary import Summary
from testbed.config import EdgeConfig
from testbed.system_model import SystemParams


def degeneracy_warnings(cfg: EdgeConfig) -> list[str]:
    p = SystemParams.from_config(cfg)
    tau, warnings = cfg.slot_duration_s, []
    ids = np.asarray(cfg.model_ids)
    d_in_min_bits = cfg.input_size_min_MB * 8e6

    # Cloud path: generation at A3 steps plus both backhaul legs, before any radio delay.
    cloud = (
        p.cloud_gen_delay_s
        + d_in_min_bits / p.bs_to_cloud_rate_bps
        + p.output_bits / p.cloud_to_bs_rate_bps
    )
    bad = cloud > tau
    if bad.all():
        warnings.append(
            f"every request served from the cloud violates (11h): B1*A3 + B2 plus backhaul is "
            f"{cloud.min():.1f}-{cloud.max():.1f} s > tau = {tau:g} s for all models "
            f"(e.g. the paper's B1*A3 + B2 = 0.18*170 + 5.74 = 36.3 s)"
        )
    elif bad.any():
        warnings.append(
            f"requests served from the cloud always violate (11h) for models {', '.join(ids[bad])} "
            f"(cloud delay {cloud[bad].min():.1f} s or more > tau = {tau:g} s)"
        )
    # Edge path: the fixed generation overhead alone.
    edge_floor = p.B2
    if (edge_floor > tau).any():
        warnings.append(
            f"edge requests always violate (11h) for models {', '.join(ids[edge_floor > tau])}: "
            f"B2 > tau = {tau:g} s"
        )
    # Equal step split among U users.
    steps_each = cfg.total_denoising_steps / cfg.n_users
    gen_equal = p.B1 * steps_each + p.B2
    if (gen_equal > tau).all():
        warnings.append(
            f"an equal step split ({steps_each:.0f} steps per user) takes {gen_equal.min():.1f}-"
            f"{gen_equal.max():.1f} s of generation alone, over tau = {tau:g} s for every model"
        )
    if (steps_each <= p.A1).all():
        warnings.append(
            f"an equal step split ({steps_each:.0f} steps per user) stays on the worst TV plateau "
            f"A2 for every model (A1 >= {p.A1.min():.0f} steps)"
        )
    if p.storage_GB.sum() <= cfg.cache_capacity_GB:
        warnings.append(
            f"the cache holds every model ({p.storage_GB.sum():.3g} GB <= C = "
            f"{cfg.cache_capacity_GB:g} GB): the caching decision is trivial"
        )
    if cfg.alpha in (0.0, 1.0):
        warnings.append(
            f"alpha = {cfg.alpha:g}: the utility (10) ignores {'delay' if cfg.alpha == 0 else 'quality'}"
        )
    if len(set(cfg.popularity_states)) == 1:
        warnings.append("all popularity states are equal: the DDQN's state (30) never changes")
    if cfg.n_models > 16:
        warnings.append(f"M = {cfg.n_models}: the DDQN has 2^M = {2**cfg.n_models} outputs")
    return warnings


def _value_text(value) -> str:
    if isinstance(value, list):
        return ", ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in value)
    return str(value)


def config_summary(cfg: EdgeConfig) -> Summary:
    """`t2drl check-config`: every field, the preset's notes, and the degeneracy warnings."""
    rows = [
        {"field": name, "value": _value_text(value)}
        for name, value in cfg.to_dict().items()
        if name != "notes"
    ]
    out = Summary().table(f"EdgeConfig (preset {cfg.preset}, seed {cfg.seed})", rows)
    for note in cfg.notes:
        out.line(f"note: {note}")
    warnings = degeneracy_warnings(cfg)
    for w in warnings:
        out.line(f"warning: {w}")
    return out.line(
        f"config is valid ({len(warnings)} warning{'s' if len(warnings) != 1 else ''})."
    )
