"""Fitting the paper's quality and delay models to measurement tables.

Eq. (7), TV vs steps s (flat-linear-flat, `fitted_models.curves`), is fitted by least squares
in its ramp form A2 + (A4 - A2) w(s), which is linear in (A2, A4): an exhaustive search over
breakpoint pairs (A1, A3) taken from the measured step values, with (A2, A4) solved in closed
form for each pair, then a continuous refinement with scipy. Eq. (8), delay D(s) = B1 s + B2, is
an ordinary least-squares line (scikit-learn). Intervals are percentile bootstrap 95 % intervals, resampling whole curves
(one image x mask x seed) so that the steps of one curve stay together.

The steps axis s is n (reverse steps done) for the trajectory protocol, N (the schedule
length) for the respaced protocol and t_T (the start index) for the start protocol.
`predicted_breakpoints` is what the start protocol's A1 and A3 should be if quality follows the
signal level sqrt(alpha_bar) of the step the chain starts from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fitted_models.curves import generation_delay_s, tv_of_steps_ramped, tv_ramp
from profiling.errors import ProfilingError

MAX_BREAKPOINT_CANDIDATES = 40
BREAKPOINT_LEVELS = (0.75, 0.10)
"""sqrt(alpha_bar) at the start where the paper's A1 = 60 and A3 = 170 sit for N = 250."""
MIN_CURVES_FOR_CURVE_BOOTSTRAP = 5


class FitError(ProfilingError):
    """The data cannot support the model (one sentence saying why)."""


def signal_level(
    t_start,
    num_inference_steps: int = 250,
    *,
    beta_start: float = 1e-4,
    beta_end: float = 0.02,
    num_train_timesteps: int = 1000,
) -> np.ndarray:
    """sqrt(alpha_bar) at respaced index t_T - 1 (training timestep (t_T - 1) * T // N) under
    the linear beta schedule (DDPM's 1e-4..0.02 over 1000 steps: diffusers' RePaintScheduler
    default): the weight of the clean image in the sample a start-protocol chain starts from."""
    betas = np.linspace(beta_start, beta_end, num_train_timesteps, dtype=float)
    alpha_bar = np.cumprod(1.0 - betas)
    index = (np.asarray(t_start, dtype=int) - 1) * (num_train_timesteps // num_inference_steps)
    return np.sqrt(alpha_bar[index])


def predicted_breakpoints(
    num_inference_steps: int = 250, levels: tuple[float, ...] = BREAKPOINT_LEVELS, **schedule
) -> tuple[int | None, ...]:
    """Per level, the first t_T in 1..N whose starting signal level `signal_level` is below it
    (None where none is): (60, 170) for N = 250 and the default levels (0.75, 0.10)."""
    t = np.arange(1, num_inference_steps + 1)
    level = signal_level(t, num_inference_steps, **schedule)
    return tuple(int(t[level < v][0]) if (level < v).any() else None for v in levels)


def _aggregate(x: np.ndarray, y: np.ndarray):
    xs, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=y)
    return xs, sums / counts, counts.astype(float)


def _pair_search(xs, means, counts, a1_cand, a3_cand) -> tuple[np.ndarray, float]:
    """Best (A1, A2, A3, A4) over all pairs a1 in a1_cand < a3 in a3_cand; (A2, A4) in closed form."""
    a1, a3 = (g.ravel()[:, None] for g in np.meshgrid(a1_cand, a3_cand, indexing="ij"))
    valid = (a1 < a3).ravel()
    a1, a3 = a1[valid], a3[valid]
    w = tv_ramp(xs[None, :], a1, a3)  # (pairs, points)
    u = 1.0 - w
    c = counts[None, :]
    suu, svv, suv = (c * u * u).sum(1), (c * w * w).sum(1), (c * u * w).sum(1)
    suy, svy = (c * u * means).sum(1), (c * w * means).sum(1)
    det = suu * svv - suv**2
    ok = det > 1e-12 * np.maximum(suu * svv, 1e-300)
    det = np.where(ok, det, 1.0)
    a2 = (suy * svv - svy * suv) / det
    a4 = (svy * suu - suy * suv) / det
    sse = (c * (means[None, :] - a2[:, None] * u - a4[:, None] * w) ** 2).sum(1)
    sse = np.where(ok, sse, np.inf)
    k = int(np.argmin(sse))
    return np.array([a1[k, 0], a2[k], a3[k, 0], a4[k]]), float(sse[k])


def _grid_search(xs: np.ndarray, means: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, float]:
    """Coarse search over measured step values, then a fine search around the best pair."""
    cand = (
        xs
        if len(xs) <= MAX_BREAKPOINT_CANDIDATES
        else np.unique(np.quantile(xs, np.linspace(0, 1, MAX_BREAKPOINT_CANDIDATES)))
    )
    coarse, _ = _pair_search(xs, means, counts, cand, cand)
    step = float(np.max(np.diff(cand))) if len(cand) > 1 else 1.0
    lo, hi = xs.min(), xs.max()
    fine = [np.clip(np.linspace(v - step, v + step, 41), lo, hi) for v in (coarse[0], coarse[2])]
    best, sse = _pair_search(xs, means, counts, np.unique(fine[0]), np.unique(fine[1]))
    return best, sse


def _refine(
    params: np.ndarray, xs: np.ndarray, means: np.ndarray, counts: np.ndarray
) -> np.ndarray:
    from scipy.optimize import least_squares

    lo, hi = float(xs.min()), float(xs.max())
    sw = np.sqrt(counts)

    def residuals(p):
        a1, a2, a3, a4 = p
        if a3 <= a1 + 1e-9:
            return sw * 1e6
        return sw * (tv_of_steps_ramped(xs, a1, a2, a3, a4) - means)

    start = np.clip(params, [lo, -np.inf, lo, -np.inf], [hi, np.inf, hi, np.inf])
    try:
        res = least_squares(
            residuals,
            start,
            bounds=([lo, -np.inf, lo, -np.inf], [hi, np.inf, hi, np.inf]),
            method="trf",
        )
    except ValueError:
        return params
    better = (residuals(res.x) ** 2).sum() <= (residuals(params) ** 2).sum() and res.x[0] < res.x[2]
    return res.x if better else params


def _fit_tv_once(x: np.ndarray, y: np.ndarray, *, polish: bool = False) -> np.ndarray:
    xs, means, counts = _aggregate(x, y)
    params, _ = _grid_search(xs, means, counts)
    return _refine(params, xs, means, counts) if polish else params


def _quality(y: np.ndarray, pred: np.ndarray) -> tuple[float, float]:
    sse = float(((y - pred) ** 2).sum())
    sst = float(((y - y.mean()) ** 2).sum())
    return (1.0 - sse / sst if sst > 0 else float("nan")), float(np.sqrt(sse / len(y)))


def _bootstrap(x, y, groups, fit_once, n_boot: int, seed: int) -> tuple[np.ndarray, str]:
    """Percentile samples of the parameters, resampling curves (or points when curves are few)."""
    rng = np.random.default_rng(seed)
    labels, idx = np.unique(groups, return_inverse=True)
    by_curve = len(labels) >= MIN_CURVES_FOR_CURVE_BOOTSTRAP
    members = [np.flatnonzero(idx == k) for k in range(len(labels))] if by_curve else None
    samples = []
    for _ in range(n_boot):
        if by_curve:
            pick = np.concatenate([members[k] for k in rng.integers(0, len(labels), len(labels))])
        else:
            pick = rng.integers(0, len(x), len(x))
        if len(np.unique(x[pick])) < 4:
            continue
        samples.append(fit_once(x[pick], y[pick]))
    return np.array(samples), ("curves" if by_curve else "points")


def _ci(samples: np.ndarray, keys: tuple[str, ...]) -> dict:
    if len(samples) == 0:
        return {}
    lo, hi = np.percentile(samples, [2.5, 97.5], axis=0)
    return {k: [float(a), float(b)] for k, a, b in zip(keys, lo, hi, strict=True)}


@dataclass
class FitResult:
    params: dict
    ci95: dict
    r2: float
    rmse: float
    n_points: int
    bootstrap: str
    notes: list[str]


def fit_tv(
    steps, tv, groups=None, *, n_boot: int = 200, seed: int = 0, what: str = "TV"
) -> FitResult:
    """Fit eq. (7); raise FitError when the data cannot support a plateau-slope-plateau shape."""
    x, y = np.asarray(steps, dtype=float), np.asarray(tv, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    groups = np.zeros(len(x)) if groups is None else np.asarray(groups)[keep]
    xs = np.unique(x)
    if len(xs) < 5:
        raise FitError(f"{what}: eq. (7) needs at least 5 distinct step counts, got {len(xs)}.")
    a1, a2, a3, a4 = _fit_tv_once(x, y, polish=True)
    r2, rmse = _quality(y, tv_of_steps_ramped(x, a1, a2, a3, a4))
    if a2 <= a4:
        raise FitError(
            f"{what} does not fall with the number of steps (best fit A2 = {a2:.4g} <= A4 = {a4:.4g}); eq. (7) does not apply."
        )
    if (xs <= a1 + 1e-9).sum() < 2:
        raise FitError(
            f"{what}: no initial plateau inside the measured range (the fall starts at the first measured steps, A1 = {a1:.4g}); measure fewer steps."
        )
    if (xs >= a3 - 1e-9).sum() < 2:
        raise FitError(
            f"{what}: no final plateau inside the measured range (still falling at the largest measured steps, A3 = {a3:.4g}); measure more steps."
        )
    samples, how = _bootstrap(x, y, groups, _fit_tv_once, n_boot, seed)
    keys = ("A1_steps", "A2_tv", "A3_steps", "A4_tv")
    notes = []
    if len(samples) and np.percentile(samples[:, 1] - samples[:, 3], 2.5) <= 0:
        raise FitError(
            f"{what}: the drop A2 - A4 = {a2 - a4:.4g} is not distinguishable from zero (its bootstrap 95 % interval includes 0); eq. (7) is flat here."
        )
    params = dict(zip(keys, (float(a1), float(a2), float(a3), float(a4)), strict=True))
    return FitResult(params, _ci(samples, keys), r2, rmse, len(x), how, notes)


def _fit_line(x: np.ndarray, y: np.ndarray, intercept: bool = True) -> np.ndarray:
    from sklearn.linear_model import LinearRegression

    reg = LinearRegression(fit_intercept=intercept).fit(x[:, None], y)
    return np.array([float(reg.coef_[0]), float(reg.intercept_) if intercept else 0.0])


def fit_delay(steps, delay_s, groups=None, *, n_boot: int = 200, seed: int = 0) -> FitResult:
    """Fit eq. (8) by ordinary least squares; a negative intercept is refitted through 0 (noted)."""
    x, y = np.asarray(steps, dtype=float), np.asarray(delay_s, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    groups = np.zeros(len(x)) if groups is None else np.asarray(groups)[keep]
    if len(np.unique(x)) < 2:
        raise FitError(
            f"delay: eq. (8) needs at least 2 distinct step counts, got {len(np.unique(x))}."
        )
    b1, b2 = _fit_line(x, y)
    notes, intercept = [], True
    if b2 < 0:
        notes.append(
            f"the free intercept was negative ({b2:.3g} s); B2 is fitted as 0 (line through the origin)."
        )
        intercept = False
        b1, b2 = _fit_line(x, y, intercept=False)
    if b1 < 0:
        raise FitError(
            f"delay falls with the number of steps (B1 = {b1:.3g} s/step); eq. (8) does not apply."
        )
    r2, rmse = _quality(y, generation_delay_s(x, b1, b2))
    samples, how = _bootstrap(x, y, groups, lambda a, b: _fit_line(a, b, intercept), n_boot, seed)
    keys = ("B1_s_per_step", "B2_s")
    return FitResult(
        dict(zip(keys, (float(b1), float(b2)), strict=True)),
        _ci(samples, keys),
        r2,
        rmse,
        len(x),
        how,
        notes,
    )
