"""The `fitted` preset at the paper's ratios (``fitted_scaling = "paper-ratios"``).

The zoo's models are measured on a CPU: a 32x32 UNet takes B1 ~ 0.017 s per step, so the
cloud's generation delay B1 A3 + B2 is about 2 s against the paper's tau = 20 s, and its TV is
l1 on 32x32 images (hundreds to thousands). Taken at Table 2's absolute values, the cloud then
meets every deadline, the quality term swamps the delay term of the utility (10), and the oracle
caches nothing. This module expresses the fields that set those scales relative to the measured
models, so that the dimensionless groups of the paper's own problem hold.

Notation, for a set of models (means over models): G = mean (B1 A3 + B2), the cloud's
generation delay; A3 = mean A3; dTV = mean (A2 - A4), the quality swing of (7); d_in = the mean
input size (d_in_min + d_in_max) / 2; d_op = mean output size. "p" is the paper preset
(`build_config("paper", 0)`: Table 2 and the seed-0 draw from section 7.1's ranges), "f" the
fitted models; s = G_f / G_p is the time factor. Each field below is set by its rule unless it
is given explicitly (`--set`, a config file), and a given field is then used by the rules after
it:

=====================  ===========================================  ===============================
field                  rule                                         group kept (paper's value)
=====================  ===========================================  ===============================
input_size_min/max_MB  d_in p * s                                   uplink delay / G (same radio)
bs_to_cloud_rate_bps   R^bc p * (d_in f / d_in p) / s               (d_in / R^bc) / G
cloud_to_bs_rate_bps   R^cb p * (d_op f / d_op p) / s               (d_op / R^cb) / G
slot_duration_s        tau p * s                                    G / tau
total_denoising_steps  L p * A3 f / A3 p                            L / A3
alpha                  solves (1 - a) dTV / (a G) = paper's         (1 - a) dTV / (a G)
slot_penalty           chi p * (alpha f G_f) / (alpha p G_p)        chi / (alpha G)
frame_penalty          Xi p * (alpha f G_f) / (alpha p G_p)         Xi / (alpha G)
delay_cap_s            D_cap p * s                                  D_cap / G
=====================  ===========================================  ===============================

The rest stays as measured or as Table 2 has it: the curves' shapes (A1, A2, A3, A4, B1, B2
themselves), the output sizes, the storage sizes and the capacity rule, the radio, the chains.
The downlink delay d_op / R^dw is not matched (negligible in both: 0.1% of G in the paper, far
less with 32x32 outputs). The first five rows are the issue's three ratios (generation over
tau, backhaul over generation, L over A3) plus the uplink, without which the scaled tau is
shorter than the uplink alone; the last four are the scales of the utility (10) and of the
penalties (23), (32), which a fitted TV in its own units would otherwise set (docs/oracle.md,
"Value of caching", measures the effect of each part).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from common.errors import UserError

DEFAULT_FITTED_SCALING = "paper-ratios"
FITTED_SCALINGS = (DEFAULT_FITTED_SCALING, "raw")
"""Values of `EdgeConfig.fitted_scaling`: the rule of this module, or Table 2's absolute values."""
SCALED_FIELDS = (
    "input_size_min_MB",
    "input_size_max_MB",
    "bs_to_cloud_rate_bps",
    "cloud_to_bs_rate_bps",
    "slot_duration_s",
    "total_denoising_steps",
    "alpha",
    "slot_penalty",
    "frame_penalty",
    "delay_cap_s",
)
"""The fields the rule sets, in the order it sets them (later rules read earlier results)."""
BITS_PER_MB = 8e6
"""As `testbed.config.BITS_PER_MB` (which imports this module)."""


class ScalingError(UserError):
    """The fitted models give the rule nothing to scale by (one sentence naming what)."""


@dataclass(frozen=True)
class Scales:
    """The means of one set of models and its scale fields that the groups are made of."""

    generation_s: float
    """G = mean over models of B1 A3 + B2 (s)."""
    a3_steps: float
    """Mean A3 (steps)."""
    tv_swing: float
    """dTV = mean over models of A2 - A4 (TV units)."""
    input_MB: float
    """(d_in_min + d_in_max) / 2."""
    output_MB: float
    """Mean d_op."""

    @classmethod
    def of(cls, fields: Mapping[str, Any]) -> Scales:
        arr = lambda k: np.asarray(fields[k], dtype=np.float64)  # noqa: E731
        return cls(
            generation_s=float(np.mean(arr("B1_s_per_step") * arr("A3_steps") + arr("B2_s"))),
            a3_steps=float(np.mean(arr("A3_steps"))),
            tv_swing=float(np.mean(arr("A2_tv") - arr("A4_tv"))),
            input_MB=mean_input_MB(fields),
            output_MB=float(np.mean(arr("model_output_MB"))),
        )


def mean_input_MB(fields: Mapping[str, Any]) -> float:
    """(d_in_min + d_in_max) / 2, the mean of the uniform input size."""
    return 0.5 * (float(fields["input_size_min_MB"]) + float(fields["input_size_max_MB"]))


def reward_unit(fields: Mapping[str, Any]) -> float:
    """alpha G: the rule keeps every term of the rewards (23) and (32) at the paper's ratio to it
    (the delay term alpha D, the quality term through alpha, chi and Xi), so a fitted config at
    the paper's ratios is the paper's problem with rewards in units of its alpha G."""
    return float(fields["alpha"]) * Scales.of(fields).generation_s


def paper_groups(paper: Mapping[str, Any]) -> dict[str, float]:
    """The dimensionless groups of the paper preset (its field values), as the rule keeps them."""
    sc = Scales.of(paper)
    g = sc.generation_s
    alpha = float(paper["alpha"])
    return {
        "generation_over_tau": g / paper["slot_duration_s"],
        "backhaul_in_over_generation": sc.input_MB
        * BITS_PER_MB
        / paper["bs_to_cloud_rate_bps"]
        / g,
        "backhaul_out_over_generation": sc.output_MB
        * BITS_PER_MB
        / paper["cloud_to_bs_rate_bps"]
        / g,
        "steps_over_A3": paper["total_denoising_steps"] / sc.a3_steps,
        "quality_over_delay": (1.0 - alpha) * sc.tv_swing / (alpha * g),
        "slot_penalty_over_delay": paper["slot_penalty"] / (alpha * g),
        "frame_penalty_over_delay": paper["frame_penalty"] / (alpha * g),
        "delay_cap_over_generation": paper["delay_cap_s"] / g,
    }


def _rules(paper: Mapping[str, Any], fitted: Scales):
    """(field, function of the values so far, what it keeps) in `SCALED_FIELDS` order."""
    ref = Scales.of(paper)
    s = fitted.generation_s / ref.generation_s
    groups = paper_groups(paper)
    penalty = lambda v, name: (  # noqa: E731
        paper[name] * (v["alpha"] * fitted.generation_s) / (paper["alpha"] * ref.generation_s)
    )

    odds = groups["quality_over_delay"] * fitted.generation_s / fitted.tv_swing  # (1 - a) / a

    return (
        ("input_size_min_MB", lambda v: paper["input_size_min_MB"] * s, "uplink delay / G"),
        ("input_size_max_MB", lambda v: paper["input_size_max_MB"] * s, "uplink delay / G"),
        (
            "bs_to_cloud_rate_bps",
            lambda v: paper["bs_to_cloud_rate_bps"] * (mean_input_MB(v) / ref.input_MB) / s,
            "(d_in / R^bc) / G",
        ),
        (
            "cloud_to_bs_rate_bps",
            lambda v: paper["cloud_to_bs_rate_bps"] * (fitted.output_MB / ref.output_MB) / s,
            "(d_op / R^cb) / G",
        ),
        ("slot_duration_s", lambda v: paper["slot_duration_s"] * s, "G / tau"),
        (
            "total_denoising_steps",
            lambda v: paper["total_denoising_steps"] * fitted.a3_steps / ref.a3_steps,
            "L / A3",
        ),
        ("alpha", lambda v: 1.0 / (1.0 + odds), "(1 - alpha) dTV / (alpha G)"),
        ("slot_penalty", lambda v: penalty(v, "slot_penalty"), "chi / (alpha G)"),
        ("frame_penalty", lambda v: penalty(v, "frame_penalty"), "Xi / (alpha G)"),
        ("delay_cap_s", lambda v: paper["delay_cap_s"] * s, "D_cap / G"),
    )


def paper_ratio_fields(
    paper: Mapping[str, Any], values: Mapping[str, Any], given: Collection[str]
) -> tuple[dict[str, float], list[str]]:
    """The rule (module docstring): the fields it sets and one note per field.

    Args:
        paper: the paper preset's field values (`build_config("paper", 0)`).
        values: every field of the fitted config before the rule (the models, Table 2's
            defaults, the given fields).
        given: names of the explicitly given fields, which the rule leaves as they are.
    """
    fitted = Scales.of(values)
    if not fitted.generation_s > 0 or not fitted.tv_swing > 0:
        raise ScalingError(
            "fitted_scaling 'paper-ratios' needs models with a positive mean generation delay "
            f"B1 A3 + B2 (got {fitted.generation_s:g} s) and a positive mean quality swing "
            f"A2 - A4 (got {fitted.tv_swing:g}); use --set fitted_scaling=raw."
        )
    ref = Scales.of(paper)
    s = fitted.generation_s / ref.generation_s
    current = dict(values)
    out: dict[str, float] = {}
    notes = [
        f"fitted_scaling 'paper-ratios' (testbed/scaling.py): the fields below set so that the "
        f"paper preset's dimensionless ratios hold; time factor s = G_fitted / G_paper = "
        f"{fitted.generation_s:.4g} s / {ref.generation_s:.4g} s = {s:.4g} (G = mean cloud "
        f"generation delay B1 A3 + B2); --set fitted_scaling=raw keeps Table 2's values"
    ]
    groups = paper_groups(paper)
    for name, rule, kept in _rules(paper, fitted):
        if name in given:
            notes.append(f"{name} = {current[name]:.6g} given: the rule ({kept}) not applied")
            continue
        current[name] = out[name] = float(rule(current))
        notes.append(f"{name} = {current[name]:.6g}: {kept} as in the paper preset")
    notes.append("paper preset's ratios: " + ", ".join(f"{k} = {v:.4g}" for k, v in groups.items()))
    return out, notes
