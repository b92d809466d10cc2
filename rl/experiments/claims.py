"""Every improvement the main paper's section 7.3 states, with where it is stated.

"X% better" is read per metric direction (the paper does not define it):

* hit ratio (higher is better): (H_T2DRL - H_other) / H_other x 100;
* utility (11) (lower is better): (G_other - G_T2DRL) / G_other x 100.

Fig. 8's 20 GB numbers repeat Fig. 7's 10-user numbers exactly (both are the default
setting U = 10, C = 20 GB), so they are one claim stated twice.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Claim:
    experiment: str
    metric: str
    """'hit_ratio' or 'utility'."""
    x: float
    """Value of the swept variable (U or C in GB)."""
    other: str
    """The method T2DRL is compared with."""
    percent: float
    """Claimed improvement of T2DRL over `other`, in percent."""
    where: str
    """Where the paper states it."""


def _claims(experiment, metric, x, where, ddpg_t2drl, schrs, rcars):
    return [
        Claim(experiment, metric, x, "ddpg-t2drl", ddpg_t2drl, where),
        Claim(experiment, metric, x, "schrs", schrs, where),
        Claim(experiment, metric, x, "rcars", rcars, where),
    ]


CLAIMS: tuple[Claim, ...] = (
    *_claims("fig7", "hit_ratio", 10, "7.3.2, Fig. 7a text", 8.28, 22.06, 24.43),
    *_claims("fig7", "hit_ratio", 18, "7.3.2, Fig. 7a text", 9.81, 21.86, 56.01),
    *_claims("fig7", "utility", 10, "7.3.2, Fig. 7b text", 8.98, 22.31, 29.95),
    *_claims("fig7", "utility", 18, "7.3.2, Fig. 7b text", 9.57, 29.79, 37.29),
    *_claims("fig8", "hit_ratio", 20, "7.3.3, Fig. 8a text", 8.28, 22.06, 24.43),
    *_claims("fig8", "hit_ratio", 32, "7.3.3, Fig. 8a text", 14.01, 31.09, 57.56),
    *_claims("fig8", "utility", 20, "7.3.3, Fig. 8b text", 8.98, 22.31, 29.95),
    *_claims("fig8", "utility", 32, "7.3.3, Fig. 8b text", 10.24, 27.87, 39.51),
)

# Qualitative statements of 7.3 (checked by the report where the data allow).
TRENDS: dict[str, list[str]] = {
    "fig6a": [
        "7.3.1: the converged reward first increases, then decreases as L grows; L = 5 is "
        "chosen for the other experiments.",
    ],
    "fig6b": [
        "7.3.1: T2DRL achieves a higher episodic reward than DDPG-based T2DRL.",
    ],
    "fig7": [
        "7.3.2: the hit ratio improves as U grows (Fig. 7a).",
        "7.3.2: the total utility (11) rises as U grows (Fig. 7b).",
        "7.3.2: T2DRL outperforms the other algorithms (highest hit ratio, lowest utility).",
    ],
    "fig8": [
        "7.3.3: the hit ratio of every algorithm improves as C grows (Fig. 8a).",
        "7.3.3: the total utility (11) decreases as C grows (Fig. 8b).",
        "7.3.3: T2DRL outperforms the other algorithms.",
    ],
    "ablation": [
        "(no ablation in the paper) 7.3.1 attributes T2DRL's 8-10 % edge over DDPG-based "
        "T2DRL to the diffusion actor; here each part of our default design is reverted alone.",
    ],
    "table3": [
        "7.3.2, Table 3: SCHRS is by far the slowest; T2DRL is slower than DDPG-based T2DRL "
        "(the reverse process, L = 5) but stays near 1 ms per slot.",
    ],
}

# Table 3 of the paper: ms per slot on an RTX A5000 machine.
TABLE3_PAPER: dict[str, dict[int, float]] = {
    "t2drl": {10: 1.112, 12: 1.162, 14: 1.197, 16: 1.226, 18: 1.272},
    "ddpg-t2drl": {10: 0.302, 12: 0.317, 14: 0.324, 16: 0.339, 18: 0.351},
    "schrs": {10: 624.9, 12: 769.7, 14: 844.1, 16: 973.2, 18: 1128.7},
}


def improvement(metric: str, t2drl: float, other: float) -> float:
    """T2DRL's improvement over `other` in percent, in the reading stated in the module doc."""
    if metric == "utility":
        return 100.0 * (other - t2drl) / other
    return 100.0 * (t2drl - other) / other
