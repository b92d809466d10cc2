"""Synthetic measurements from known curve parameters, for the fit round trips."""

from __future__ import annotations

import numpy as np

from fitted_models.curves import tv_of_steps

TRUE = dict(A1_steps=60.0, A2_tv=110.0, A3_steps=170.0, A4_tv=28.0)


def synthetic(n_curves=8, steps=None, seed=0):
    steps = np.arange(1, 251) if steps is None else steps
    rng = np.random.default_rng(seed)
    x = np.tile(steps, n_curves).astype(float)
    groups = np.repeat(np.arange(n_curves), len(steps))
    tv = (
        tv_of_steps(x, *TRUE.values())
        + rng.normal(0, 2, len(x))
        + np.repeat(rng.normal(0, 1, n_curves), len(steps))
    )
    delay = 0.18 * x + 5.74 + rng.normal(0, 0.05, len(x))
    return x, tv, delay, groups
