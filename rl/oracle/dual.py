"""The Lagrangian dual of the slot problem: its certified bound and the search for its optimum.

Bound (Lagrangian dual). For any lam >= 0 and mu (mu >= 0 under cap),

    g(lam, mu) = sum_u min_{o, b_u in [0, 1], s_u in piece} [c_u + lam b_u + mu s_u]
                 - lam - mu L_budget

is a lower bound on min sum_u c_u (weak duality: on the feasible set the added terms are 0,
or <= 0 for cap; sum b < 1 could only raise costs, which do not increase with b), so -g/U is an
upper bound on the slot reward whatever lam, mu are. Per option the inner minimum is closed form
up to one scalar root: unsat b* solves -f'(b) = lam / alpha, s at the end of the piece given by
the sign of c = alpha B1 + (1 - alpha) TV' + mu; sat with c < 0 sits on the active branch
f(b) = R - B1 s where -f'(b) = lam / (alpha - c / B1), clipped to the piece and to b <= 1,
then b = max(b*, f^{-1}(R - B1 s)); abandon takes the better end. Both roots are universal
functions of x = b / a, a = p h / (N0 W): f(b) = C / (a Q(x)), Q(x) = x ln(1 + 1/x),
C = d_in ln 2 / W, and -f'(b) = (C / a^2) Q'(x) / Q(x)^2; they are tabulated once and, for the
bound and the action, polished by Newton steps to machine precision (a test checks the
per-user minimum against a brute-force grid). `upper_bound` is -g/U at the best multipliers
found, plus 1e-9 relative slack for rounding: valid whether or not the search converged.

Search. g is concave. For a step price mu, the bandwidth price solving sum b = 1 is found by
safeguarded Newton on log lam from a warm start (steps capped until both signs of sum b - 1
are seen); where sum b jumps (an option switch), the tangents of g (concave in lam) at the
bracket's ends meet at the jump, and h(mu) = max_lam g takes its slope from the ends' mixture
with sum b = 1 (Danskin) and its value where the tangents meet. The step price is located
among the kinks -c (where a piece's cost per step changes sign; evaluated as one batch), then,
when the maximum lies between kinks, by cutting planes on h: each step tries where the two
supporting lines of the bracket meet (exact when h is piecewise linear there, an option switch)
and where the secant of their slopes vanishes (exact when h is quadratic), each at mu -/+ delta.

The compiled inner loops are in rl/oracle/kernels.py; rl/oracle/primal.py turns the dual
optimum into an action.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rl.oracle import kernels
from rl.oracle.problem import N_PIECES, SlotProblem
from rl.oracle.special import log_g_and_slope


@dataclass
class Evaluation:
    """Lagrangian argmins at multipliers of shape (P, N): sums (P, N), per user (P, N, U)."""

    log_lam: np.ndarray
    mu: np.ndarray
    g: np.ndarray  # dual function: sum_u min (c_u + lam b + mu s) - lam - mu budget
    b_sum: np.ndarray
    s_sum: np.ndarray
    db_sum: np.ndarray  # d (sum b) / d log lam along the argmins (for Newton)
    option: np.ndarray | None = None
    b: np.ndarray | None = None
    s: np.ndarray | None = None
    user_min: np.ndarray | None = None
    values: np.ndarray | None = None  # (P, N, U, 9)


def evaluate(
    prob: SlotProblem,
    log_lam: np.ndarray,
    mu: np.ndarray,
    exact: bool = False,
    detail: bool = False,
) -> Evaluation:
    """min over b in [0, 1], s in piece of c_u + lam b + mu s, per user and option (module doc;
    compiled in rl/oracle/kernels.py). `log_lam`, `mu`: (P, N). `exact` polishes the scalar
    roots (use it for bounds and actions)."""
    log_lam, mu = (
        np.ascontiguousarray(v, dtype=np.float64) for v in np.broadcast_arrays(log_lam, mu)
    )
    sums, opt, vals = kernels.evaluate_batch(
        log_lam, mu, bool(exact), prob.alpha, prob.log_alpha, prob.kernel_args, bool(detail)
    )
    ev = Evaluation(log_lam=log_lam, mu=mu, g=sums[0], b_sum=sums[1], s_sum=sums[2], db_sum=sums[3])
    if detail:
        ev.option, ev.b, ev.s, ev.user_min = opt, vals[..., 0], vals[..., 1], vals[..., 2]
        ev.values = vals[..., 3:]
    return ev


# --------------------------------------------------------------------------- the dual search

LOG_LAM_MIN, LOG_LAM_MAX = -35.0, 35.0
"""Bracket of log lam (lam: price of the whole band, in cost units); at the low end every user
wants all the band (sum b >= 1), at the high end every user is abandoned (sum b = 0)."""
LAM_TOL = 1e-12
SEARCH_LAM_TOL = 1e-9
SEARCH_BRACKET_TOL = 1e-5
"""Tolerance (on sum b - 1 and on the log-lam bracket) while searching mu; the final two
points are solved to LAM_TOL with exact roots."""
MU_REL_TOL = 1e-11


def _initial_log_lam(prob: SlotProblem) -> np.ndarray:
    """(N,) log lam of an equal split: mean over users of log(alpha (-f'(1/U)))."""
    u = prob.shape[1]
    log_x = -np.log(u * prob.a)
    log_g = log_g_and_slope(log_x)[0]
    return np.mean(log_g - prob.kappa, axis=-1) + prob.log_alpha


def solve_lambda(
    prob: SlotProblem,
    mu: np.ndarray,
    exact: bool = False,
    start: np.ndarray | None = None,
    max_iter: int = 80,
    tol: float = LAM_TOL,
    bracket_tol: float = LAM_TOL,
    step: float | np.ndarray = 1.0,
) -> tuple[np.ndarray, ...]:
    """For each mu (P, N): the bandwidth price with sum b = 1, by safeguarded Newton on log lam
    (compiled: rl/oracle/kernels.solve_lambda_point).

    Until both signs of sum b - 1 are seen, steps from `start` are at most `step`, doubling (a
    warm start needs only a small bracket). Inside a bracket, a failed Newton step is replaced
    by the intersection of the tangents of g (concave in lam) at its ends, nudged across, which
    lands on a jump of sum b (an option switch) in a few steps; bisection when that is not
    strictly inside, and as every fourth move of the same end in a row.
    Returns (x, lo, hi, sum b at x, h, sum s), each (P, N), with sum b >= 1 at lo and <= 1 at hi
    (the bracket collapses onto a jump of sum b when a user's option switches there), and
    h(mu) = max_lam g with the slope sum s of h: where the bracket sits on a jump, g where the
    tangents at its ends meet (exact when g is piecewise linear there; either end's g is off by
    up to |sum b - 1| lam (hi - lo)) and sum s of the ends' mixture with sum b = 1 (by Danskin
    the slope of h is that mixture's, not either end's)."""
    mu = np.ascontiguousarray(mu, dtype=np.float64)
    shape = mu.shape
    x = np.broadcast_to(_initial_log_lam(prob) if start is None else start, shape)
    step = np.broadcast_to(np.asarray(step, dtype=np.float64), shape)
    out = kernels.solve_lambda_batch(
        mu,
        bool(exact),
        prob.alpha,
        prob.log_alpha,
        prob.kernel_args,
        np.array(x, dtype=np.float64, order="C"),  # writeable copies: one numba signature
        np.array(step, order="C"),
        max_iter,
        tol,
        bracket_tol,
        LOG_LAM_MIN,
        LOG_LAM_MAX,
    )
    return tuple(out)


def infeasible(prob: SlotProblem) -> np.ndarray:
    """(N,) problems whose allowed options cannot meet the constraints (a necessary check on
    each resource alone: least steps, most steps, least bandwidth)."""
    allowed = np.isfinite(prob.option_penalty)
    allowed[..., 2 * N_PIECES :] &= prob.sat_ok
    lo3 = np.concatenate([prob.lo] * 3, axis=-1)
    hi3 = np.concatenate([prob.hi, prob.hi, prob.s_hi_sat], axis=-1)
    b_min = np.concatenate([np.zeros_like(prob.lo), np.zeros_like(prob.lo), prob.b_min_sat], -1)
    none = ~allowed.any(-1).all(-1)
    s_min = np.where(allowed, lo3, np.inf).min(-1).sum(-1)
    s_max = np.where(allowed, hi3, -np.inf).max(-1).sum(-1)
    b_need = np.where(allowed, b_min, np.inf).min(-1).sum(-1)
    bad = none | (b_need > 1.0) | (s_min > prob.L)
    if prob.step_amender == "normalise":
        bad |= prob.has_hit & (s_max < prob.L)
    return bad


def _kinks(prob: SlotProblem) -> np.ndarray:
    """(N, J) the step prices where some option's cost per step crosses 0, sorted, NaN-padded."""
    allowed = np.isfinite(prob.option_penalty)  # (N, U, 9)
    live = prob.hit[..., None] & (prob.length > 0)
    k_ab = np.where(live & allowed[..., :3], -prob.c0_abandon, np.nan)
    k_un = np.where(live & (allowed[..., 3:6] | allowed[..., 6:]), -prob.c0_unsat, np.nan)
    k = np.concatenate([k_ab, k_un], axis=-1).reshape(prob.shape[0], -1)
    if prob.step_amender == "cap":
        k = np.where(k > 0, k, np.nan)
        k = np.concatenate([np.zeros((k.shape[0], 1)), k], axis=-1)
    k = np.sort(k, axis=-1)
    # drop duplicates (equal to the previous value)
    dup = np.zeros_like(k, dtype=bool)
    dup[:, 1:] = k[:, 1:] == k[:, :-1]
    k = np.sort(np.where(dup, np.nan, k), axis=-1)
    n = int(np.max(np.sum(np.isfinite(k), axis=-1), initial=0))
    return k[:, : max(n, 1)]


@dataclass
class DualPoint:
    """A step price with its bandwidth-price bracket (arrays (N,))."""

    mu: np.ndarray
    x: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    s_sum: np.ndarray
    g: np.ndarray  # h(mu) = max over lam of the dual function (at the lam found)

    FIELDS = ("mu", "x", "lo", "hi", "s_sum", "g")


def _take(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return np.take_along_axis(a, idx[None], axis=0)[0]


def _points(
    prob: SlotProblem,
    mus: np.ndarray,
    start: np.ndarray | None = None,
    step: float | np.ndarray = 1.0,
) -> DualPoint:
    """Solve lam (table roots, search tolerances) at each of the (P, N) step prices."""
    x, lo, hi, _, g, s_sum = solve_lambda(
        prob,
        mus,
        start=start,
        step=step,
        tol=SEARCH_LAM_TOL,
        bracket_tol=SEARCH_BRACKET_TOL,
    )
    return DualPoint(mu=mus, x=x, lo=lo, hi=hi, s_sum=s_sum, g=g)


def _bracket_mu(prob: SlotProblem) -> tuple[DualPoint, DualPoint]:
    """Step prices mu_a <= mu_b with sum s >= budget at mu_a and <= at mu_b, as close as the
    kinks or the refinement allow (mu_a = mu_b = 0 where the step constraint is slack or absent)."""
    budget = prob.budget
    pts = _scan_kinks(prob)
    covered = pts.s_sum >= budget[None] - 1e-9 * prob.L
    # the last price (in increasing order) that still covers the budget
    idx_a = np.where(covered.any(0), pts.s_sum.shape[0] - 1 - np.argmax(covered[::-1], axis=0), 0)
    idx_b = np.minimum(idx_a + 1, pts.mu.shape[0] - 1)
    a = DualPoint(*(_take(getattr(pts, f), idx_a) for f in DualPoint.FIELDS))
    b = DualPoint(*(_take(getattr(pts, f), idx_b) for f in DualPoint.FIELDS))
    # slack or absent step constraint: mu = 0
    slack = (~prob.steps_constrained) | (
        (prob.step_amender == "cap") & (a.mu <= 0) & (a.s_sum <= budget)
    )
    for fld in DualPoint.FIELDS:
        getattr(b, fld)[slack] = getattr(a, fld)[slack]
    _cut_refine(prob, a, b, ~slack)
    for pt in (a, b):
        pt.mu = np.where(slack, 0.0, pt.mu)
    return a, b


def _scan_kinks(prob: SlotProblem) -> DualPoint:
    """The dual at `_scan_prices` (P, N): around every kink, and at a top price where no step is
    worth taking and a bottom one where (normalise) sum s covers the budget."""
    kinks = _kinks(prob)
    finite = np.isfinite(kinks)
    lowest = np.where(finite.any(-1), np.nanmin(np.where(finite, kinks, np.inf), -1), 0.0)
    highest = np.where(finite.any(-1), np.nanmax(np.where(finite, kinks, -np.inf), -1), 0.0)
    spread = np.maximum(highest - lowest, 1.0)
    top = highest + spread  # every step has a positive price: sum s = 0
    bottom = np.zeros(prob.shape[0]) if prob.step_amender == "cap" else lowest - spread
    for _ in range(12):  # lower the bottom until sum s covers the budget there (normalise)
        pts = _points(prob, _scan_prices(prob, kinks, bottom, top))
        short = (pts.s_sum[0] < prob.budget) & prob.has_hit & (prob.step_amender == "normalise")
        if not short.any():
            break
        bottom = np.where(short, 4.0 * bottom - spread, bottom)
    return pts


def _scan_prices(
    prob: SlotProblem, kinks: np.ndarray, bottom: np.ndarray, top: np.ndarray
) -> np.ndarray:
    """(P, N) increasing step prices: bottom, each kink -/+ delta, top (NaN kinks at bottom)."""
    finite = np.isfinite(kinks)
    delta = 1e-9 * np.maximum(1.0, np.abs(kinks))
    k_filled = np.where(finite, kinks, bottom[:, None])
    d_filled = np.where(finite, delta, 0.0)
    mus = np.concatenate(
        [bottom[:, None], k_filled - d_filled, k_filled + d_filled, top[:, None]], axis=-1
    )
    if prob.step_amender == "cap":
        mus = np.maximum(mus, 0.0)
    return np.sort(mus, axis=-1).T


MAX_CUTS = 40


def _cut_refine(prob: SlotProblem, a: DualPoint, b: DualPoint, active: np.ndarray) -> None:
    """Shrink [a.mu, b.mu] onto the maximiser of the concave h(mu) = max_lam g(lam, mu), in place
    (compiled: rl/oracle/kernels.cut_refine_batch).

    h is piecewise smooth with slope sum s - budget. Each step tries two predictions of the
    maximiser at once: where the supporting lines at the ends meet (exact when h is piecewise
    linear around a kink, an option switch, but only a bisection when h is smooth there) and
    the root of the slopes' secant (exact when h is quadratic). Each is solved at mu -/+ delta,
    so a maximiser at a kink is recognised by the sign change; the bracket keeps the closest
    points on either side. A step that does not halve the bracket makes the next one bisect."""
    ends = [np.stack([getattr(pt, f) for f in DualPoint.FIELDS]) for pt in (a, b)]
    kernels.cut_refine_batch(
        *ends,
        np.ascontiguousarray(active, dtype=np.bool_),
        prob.alpha,
        prob.log_alpha,
        prob.kernel_args,
        prob.L,
        MAX_CUTS,
        MU_REL_TOL,
        SEARCH_LAM_TOL,
        SEARCH_BRACKET_TOL,
        LOG_LAM_MIN,
        LOG_LAM_MAX,
    )
    for pt, packed in zip((a, b), ends, strict=True):
        for f, row in zip(DualPoint.FIELDS, packed, strict=True):
            setattr(pt, f, row)


@dataclass
class DualSolution:
    """The dual optimum's neighbourhood: four exact Lagrangian argmins (detail) whose mixture
    meets both constraints, the mixing weights, and the best dual value found."""

    ev: Evaluation  # (4, N): (lam_lo, mu_a), (lam_hi, mu_a), (lam_lo, mu_b), (lam_hi, mu_b)
    weights: np.ndarray  # (4, N)
    b: np.ndarray  # (N, U) mixed primal
    s: np.ndarray
    residual: np.ndarray  # (N,) constraint violation of the mixture (b and s/L)
    tie: np.ndarray  # (N, U) users whose mixed point spans two options


def _pair_weight(high: np.ndarray, low: np.ndarray, target) -> np.ndarray:
    """w in [0, 1] with w high + (1 - w) low = target (1 where high == low)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        w = (target - low) / (high - low)
    return np.clip(np.where(np.abs(high - low) > 0, w, 1.0), 0.0, 1.0)


def _mixing_weights(prob: SlotProblem, ev: Evaluation) -> np.ndarray:
    """(4, N) convex weights of the four argmins: sum b = 1 and sum s = budget (sum s <= L for
    a slack cap). Pairwise first; where that misses, any triple whose hull holds the target."""
    B, S = ev.b_sum, ev.s_sum
    one = np.ones(B.shape[1])
    wa = _pair_weight(B[0], B[1], one)
    wb = _pair_weight(B[2], B[3], one)
    sa, sb = wa * S[0] + (1 - wa) * S[1], wb * S[2] + (1 - wb) * S[3]
    target = prob.budget
    slack_cap = (prob.step_amender == "cap") & (sa <= target)
    phi = np.where(slack_cap | ~prob.steps_constrained, 1.0, _pair_weight(sa, sb, target))
    w = np.stack([phi * wa, phi * (1 - wa), (1 - phi) * wb, (1 - phi) * (1 - wb)])
    bad = _residual(prob, w, ev) > 1e-9
    if bad.any():
        w = _triple_weights(prob, ev, w, bad)
    return w


def _triple_weights(prob: SlotProblem, ev: Evaluation, w: np.ndarray, bad: np.ndarray):
    """`w` with the `bad` problems' weights replaced by those of the first triple of argmins
    whose convex hull holds (sum b, sum s / L) = (1, budget / L), where one does."""
    B, S = ev.b_sum, ev.s_sum
    one = np.ones(B.shape[1])
    target = prob.budget
    for tri in ((0, 1, 2), (0, 1, 3), (0, 2, 3), (1, 2, 3)):
        m = np.stack(
            [
                np.stack([B[i] for i in tri], -1),
                np.stack([S[i] / prob.L for i in tri], -1),
                np.ones(B.shape[1:] + (3,)),
            ],
            axis=-2,
        )  # (N, 3, 3)
        rhs = np.stack([one, target / prob.L, one], -1)
        with np.errstate(all="ignore"):
            ok_det = np.abs(np.linalg.det(m)) > 1e-14
            safe = np.where(ok_det[:, None, None], m, np.eye(3))
            sol = np.linalg.solve(safe, rhs[..., None])[..., 0]
        valid = bad & ok_det & (sol >= -1e-12).all(-1) & prob.steps_constrained
        if valid.any():
            cand = np.zeros_like(w)
            for j, i in enumerate(tri):
                cand[i] = np.clip(sol[:, j], 0.0, 1.0)
            cand /= cand.sum(0, keepdims=True)
            w = np.where(valid[None], cand, w)
            bad &= ~valid
    return w


def _residual(prob: SlotProblem, w: np.ndarray, ev: Evaluation) -> np.ndarray:
    rb = np.abs((w * ev.b_sum).sum(0) - 1.0)
    ss = (w * ev.s_sum).sum(0)
    rs = np.abs(ss - prob.budget) / prob.L
    rs = np.where(prob.step_amender == "cap", np.maximum(ss - prob.budget, 0.0) / prob.L, rs)
    return rb + np.where(prob.steps_constrained, rs, 0.0)


def solve_dual(prob: SlotProblem) -> DualSolution:
    """Maximise the dual (search with table roots), then four exact argmins around the optimum."""
    a, b = _bracket_mu(prob)
    mus = np.stack([a.mu, b.mu])
    # the search's brackets are within the table roots' error of the exact ones
    step = np.maximum(np.stack([a.hi - a.lo, b.hi - b.lo]), 4.0 * SEARCH_BRACKET_TOL)
    x, lo, hi, b_sum, _, _ = solve_lambda(
        prob, mus, exact=True, start=np.stack([a.x, b.x]), step=np.minimum(step, 1.0)
    )
    conv = np.abs(b_sum - 1.0) <= LAM_TOL
    lo, hi = np.where(conv, x, lo), np.where(conv, x, hi)
    log_lam = np.stack([lo[0], hi[0], lo[1], hi[1]])
    mu4 = np.stack([mus[0], mus[0], mus[1], mus[1]])
    ev4 = evaluate(prob, log_lam, mu4, exact=True, detail=True)
    w = _mixing_weights(prob, ev4)
    b_mix = (w[..., None] * ev4.b).sum(0)
    s_mix = (w[..., None] * ev4.s).sum(0)
    used = w[..., None] > 1e-12
    opt = np.where(used, ev4.option, -1)
    tie = opt.max(0) != np.where(used, ev4.option, 99).min(0)
    return DualSolution(
        ev=ev4, weights=w, b=b_mix, s=s_mix, residual=_residual(prob, w, ev4), tie=tie
    )


def dual_bound(prob: SlotProblem, sol: DualSolution) -> np.ndarray:
    """(N,) the best certified lower bound on sum_u c_u among multipliers near the optimum,
    evaluated exactly on `prob` (which should have no (11h) margin)."""
    ev = sol.ev
    mid = 0.5 * (ev.mu[0] + ev.mu[2])
    log_lam = np.concatenate([ev.log_lam, ev.log_lam])
    mu = np.concatenate([ev.mu, np.broadcast_to(mid, ev.mu.shape)])
    if prob.step_amender == "cap":
        mu = np.maximum(mu, 0.0)
    g = evaluate(prob, log_lam, mu, exact=True).g
    return g.max(axis=0)
