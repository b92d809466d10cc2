"""The paper's fitted curves, eqs. (7) and (8), as pure vectorised functions.

Eq. (7), TV vs denoising steps s (flat-linear-flat; A1 < A3, A2 the worse plateau, A4 the best)::

    B(s) = A2                                      s <= A1
         = A2 + (A4 - A2) (s - A1) / (A3 - A1)     A1 < s < A3
         = A4                                      s >= A3

Eq. (8), generation delay D(s) = B1 s + B2 (seconds).

`tv_of_steps` and `generation_delay_s` are the curves every stage evaluates (the simulator, the
oracle, validation, the Fig. 3 plot, `FittedModel.tv`). `tv_ramp` and `tv_of_steps_ramped` write
(7) as A2 + (A4 - A2) w(s) with the ramp w in [0, 1], the form that is linear in (A2, A4) and
that `profiling.fitting` searches and refines in. The two forms agree to about 1e-13 relative but
not bit for bit; each keeps its own float order so that neither the simulator's numbers nor the
committed fits change.

Arguments broadcast (steps of shape ``(..., P)`` against per-model parameters of shape
``(..., 1)``, or scalars); steps are read as float64.
"""

from __future__ import annotations

import numpy as np


def tv_of_steps(steps, A1, A2, A3, A4) -> np.ndarray:
    """Eq. (7): A2 up to A1 steps, linear down to A4 at A3 steps, A4 beyond."""
    steps = np.asarray(steps, dtype=np.float64)
    slope = (A4 - A2) / (A3 - A1)
    mid = slope * (steps - A1) + A2
    return np.where(steps <= A1, A2, np.where(steps >= A3, A4, mid))


def generation_delay_s(steps, B1, B2) -> np.ndarray:
    """Eq. (8): D^gt = B1 * steps + B2, in seconds."""
    return B1 * np.asarray(steps, dtype=np.float64) + B2


def tv_ramp(steps, A1, A3) -> np.ndarray:
    """How far `steps` is along (7)'s slope: 0 up to A1, 1 from A3, linear in between."""
    return np.clip((np.asarray(steps, dtype=np.float64) - A1) / (A3 - A1), 0.0, 1.0)


def tv_of_steps_ramped(steps, A1, A2, A3, A4) -> np.ndarray:
    """Eq. (7) as A2 + (A4 - A2) w(s), w = `tv_ramp`: the fit's form (see the module docstring)."""
    return A2 + (A4 - A2) * tv_ramp(steps, A1, A3)
