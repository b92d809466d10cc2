"""Compiled inner loops of the slot oracle: the special functions, the Lagrangian minimisers per
user and option, the Newton search for the bandwidth price and the cutting planes for the step
price.

The docstrings of rl/oracle/problem.py and rl/oracle/dual.py derive every formula here; this file
only makes them fast. All compiled code stays in this one file because numba's cache notices
changes to the file a function is defined in, not to the files of the functions it calls. At
U = 18 one dual evaluation is about 160 scalar option minimisations, which NumPy would spend some
hundred array calls on (call overhead, not arithmetic, dominates at that size); numba runs each
(step price, problem) point's whole Newton search as one compiled scalar loop instead.
`error_model="numpy"` gives IEEE results (inf, nan) where Python would raise, as NumPy does.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_JIT = {"cache": True, "error_model": "numpy"}

# --------------------------------------------------------------------------- special functions
# x = b / a.  Q(x) = x ln(1 + 1/x) in (0, 1), increasing;  G(x) = Q'(x) / Q(x)^2, decreasing.


@njit(**_JIT)
def q_of(x):
    """Q(x) = x ln(1 + 1/x) (scalars or arrays)."""
    return x * np.log1p(1.0 / x)


@njit(**_JIT)
def dq_of(x: float) -> float:
    """Q'(x) = ln(1 + 1/x) - 1/(1 + x), by its series for large x (cancellation)."""
    y = 1.0 / x
    if x > 1e3:
        return y * y * (0.5 - y * (2.0 / 3.0 - y * (0.75 - 0.8 * y)))
    return math.log1p(y) - y / (1.0 + y)


@njit(**_JIT)
def log_g_and_slope(logx: float) -> tuple[float, float]:
    """log G and d log G / d log x."""
    x = math.exp(logx)
    q, dq = q_of(x), dq_of(x)
    return math.log(dq) - 2.0 * math.log(q), -1.0 / ((1.0 + x) ** 2 * dq) - 2.0 * x * dq / q


@njit(**_JIT)
def log_q_of(x: float) -> float:
    """log Q(x), accurate at both ends (Q -> 1 - 1/(2x) for large x)."""
    y = 1.0 / x
    if x > 1e3:
        return math.log1p(-y * (0.5 - y * (1.0 / 3.0 - y * (0.25 - 0.2 * y))))
    return math.log(x) + math.log(math.log1p(y))


@njit(**_JIT)
def loglog_q_and_slope(logx: float) -> tuple[float, float]:
    """phi = log(-log Q) (decreasing, well scaled at both ends) and d phi / d log x."""
    x = math.exp(logx)
    log_q = log_q_of(x)
    return math.log(-log_q), x * dq_of(x) / (math.exp(log_q) * log_q)


@njit(**_JIT)
def special_table(logx: np.ndarray) -> np.ndarray:
    """(4, n): log G, its slope, phi = log(-log Q), its slope, over a 1-D array of log x."""
    out = np.empty((4, logx.size))
    for i in range(logx.size):
        out[0, i], out[1, i] = log_g_and_slope(logx[i])
        out[2, i], out[3, i] = loglog_q_and_slope(logx[i])
    return out


NEWTON_STEPS = 2
LOGX_TABLE = np.linspace(-75.0, 75.0, 30001)
LOGX_MIN, LOGX_MAX = float(LOGX_TABLE[0]), float(LOGX_TABLE[-1])
_LOGG, _LOGG_SLOPE, _PHIQ, _ = special_table(LOGX_TABLE)
LOGG_MIN, LOGG_MAX = float(_LOGG[-1]), float(_LOGG[0])
PHIQ_MIN, PHIQ_MAX = float(_PHIQ[-1]), float(_PHIQ[0])
TABLES = np.stack([-_LOGG, LOGX_TABLE, 1.0 / _LOGG_SLOPE, -_PHIQ])
"""Interpolation tables, passed to the kernels (numba would not cache them as globals): -log G
and -phi (increasing in log x, so usable as np.interp's xp), log x, and d log x / d log G."""
NEG_LOGG, LOGX, INV_SLOPE, NEG_PHIQ = range(4)


@njit(**_JIT)
def _locate(xp: np.ndarray, x: float) -> int:
    """j with xp[j] <= x < xp[j + 1] (bisection; xp increasing, xp[0] <= x <= xp[-1])."""
    lo, hi = 0, xp.size - 1
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if xp[mid] <= x:
            lo = mid
        else:
            hi = mid
    return lo


@njit(**_JIT)
def _interp_at(j: int, x: float, xp: np.ndarray, fp: np.ndarray) -> float:
    """np.interp(x, xp, fp) on the interval j found by `_locate` (np.interp's own formula;
    numba's np.interp allocates arrays on every scalar call)."""
    if xp[j] == x:
        return fp[j]
    return (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]) * (x - xp[j]) + fp[j]


@njit(**_JIT)
def root_g(log_t: float, exact: bool, tables: np.ndarray) -> tuple[float, float]:
    """log x with log G(x) = log_t, and d log x / d log t. Table interpolation (relative error
    ~1e-6 in x) during the search; `exact` polishes with Newton steps to machine precision."""
    lt = min(max(log_t, LOGG_MIN), LOGG_MAX)
    neg_logg = tables[NEG_LOGG]
    j = _locate(neg_logg, -lt)
    logx = _interp_at(j, -lt, neg_logg, tables[LOGX])
    if exact:
        for _ in range(NEWTON_STEPS):
            val, slope = log_g_and_slope(logx)
            logx = min(max(logx - (val - lt) / slope, LOGX_MIN), LOGX_MAX)
    return logx, _interp_at(j, -lt, neg_logg, tables[INV_SLOPE])


@njit(**_JIT)
def root_q(log_z: float, exact: bool, tables: np.ndarray) -> float:
    """log x with log Q(x) = log_z < 0 (via log(-log Q), decreasing in log x)."""
    phi = math.log(max(-log_z, 1e-300))
    phi = min(max(phi, PHIQ_MIN), PHIQ_MAX)
    neg_phiq = tables[NEG_PHIQ]
    logx = _interp_at(_locate(neg_phiq, -phi), -phi, neg_phiq, tables[LOGX])
    if exact:
        for _ in range(NEWTON_STEPS):
            val, slope = loglog_q_and_slope(logx)
            logx = min(max(logx - (val - phi) / slope, LOGX_MIN), LOGX_MAX)
    return logx


@njit(**_JIT)
def root_g_array(log_t: np.ndarray, exact: bool, tables: np.ndarray):
    logx, dlx = np.empty_like(log_t), np.empty_like(log_t)
    for i in range(log_t.size):
        logx[i], dlx[i] = root_g(log_t[i], exact, tables)
    return logx, dlx


@njit(**_JIT)
def root_q_array(log_z: np.ndarray, exact: bool, tables: np.ndarray):
    out = np.empty_like(log_z)
    for i in range(log_z.size):
        out[i] = root_q(log_z[i], exact, tables)
    return out


# --------------------------------------------------------------------------- Lagrangian minimisers
# Option o = mode * 3 + piece, mode in (abandon, unsat, sat). `arrays` is SlotProblem.kernel_args:
# (users (N, U, 8), pieces (N, U, 11, 3), option_penalty (N, U, 9), budget (N,), tables (4, T)),
# with the fields in the orders below (few, packed arguments keep numba's compile time short).

N_PIECES = 3
N_OPTIONS = 9
USER_FIELDS = ("a", "kappa", "c_over_a", "log_c_over_a", "R", "B1", "b1_safe", "f1")
PIECE_FIELDS = ("lo", "hi", "length", "c0_unsat", "c0_abandon", "base_unsat", "base_abandon",
                "base_sat", "s_hi_sat", "interior_ok", "sat_ok")  # fmt: skip
SCRATCH_ROWS = 7  # evaluate_point's work space: 4 per-option rows, 3 root rows
A, KAPPA, C_OVER_A, LOG_C_OVER_A, R_, B1, B1_SAFE, F1 = range(8)
LO_, HI_, LENGTH, C0U, C0A, BASE_U, BASE_A, BASE_S, S_HI_SAT, INTERIOR_OK, SAT_OK = range(11)


@njit(**_JIT)
def _user_roots(us, pc, log_lam, mu, exact, alpha, w_star, tables, b_root, f_root, db_root):
    """Both roots of -f'(b) = lam / w for one user, as (b, f(b), d b / d log lam) into the three
    rows: j = 0 unconstrained (w = alpha), j = 1 + k a satisfied user's interior optimum on
    piece k's active branch (w = alpha - c / B1)."""
    a = us[A]
    for j in range(1 + N_PIECES):
        w = w_star
        if j > 0:
            c_step = pc[C0U, j - 1] + mu
            if c_step < 0 and pc[INTERIOR_OK, j - 1] > 0:
                w = alpha - c_step / us[B1_SAFE]
        lx, dlx = root_g(log_lam + us[KAPPA] - math.log(w), exact, tables)
        b = min(a * math.exp(lx), 1.0)
        b_root[j] = b
        f_root[j] = us[C_OVER_A] / q_of(b / a)
        db_root[j] = b * dlx if b < 1.0 else 0.0


@njit(**_JIT)
def _sat_point(us, pc, k, mu, exact, tables, f_root_k, db_root_k, b_star, f_star, db_star):
    """A satisfied user's argmin on piece k: (b, f(b), d b / d log lam, s), s the interior
    optimum's steps clipped to the piece, b the larger of b* and the least b meeting (11h)."""
    lo = pc[LO_, k]
    neg = pc[C0U, k] + mu < 0
    interior_ok = pc[INTERIOR_OK, k] > 0
    R = us[R_]
    s_hat = (R - f_root_k) / us[B1_SAFE]
    s_top = min(max(s_hat, lo), pc[S_HI_SAT, k]) if interior_ok else pc[S_HI_SAT, k]
    s_sat = s_top if neg else lo
    y = R - us[B1] * s_sat
    if not y < f_star:
        return b_star, f_star, db_star, s_sat
    y_safe = max(y, us[F1])
    lxq = root_q(us[LOG_C_OVER_A] - math.log(y_safe), exact, tables)
    b_sat = min(us[A] * math.exp(lxq), 1.0)
    db_sat = db_root_k if (neg and interior_ok and s_sat == s_hat) else 0.0
    return b_sat, y_safe, db_sat, s_sat


@njit(**_JIT)
def _argmin_with_penalty(values, penalty_u):
    """Add the options' penalties to `values` in place; the first option with the least value."""
    best = 0
    for o in range(N_OPTIONS):
        values[o] += penalty_u[o]
        if values[o] < values[best]:
            best = o
    return best


@njit(**_JIT)
def evaluate_point(n, log_lam, mu, exact, alpha, log_alpha, arrays, scratch, detail, out_opt,
                   out_vals):  # fmt: skip
    """min over b in [0, 1], s in piece of c_u + lam b + mu s for problem n at (lam, mu), per user
    and option. Returns (g, sum b, sum s, d sum b / d log lam) at the per-user argmins; with
    `detail`, also writes each user's option (out_opt[u]) and (b, s, minimum) (out_vals[u, :3])
    and its nine option values (out_vals[u, 3:]). `scratch`: (SCRATCH_ROWS, 9) work space."""
    users, pieces, penalty, budget, tables = arrays
    lam = math.exp(log_lam)
    w_star = math.exp(log_alpha)  # alpha, kept > 0 for the log
    g = b_sum = s_sum = db_sum = 0.0
    values, bs, ss, dbs = scratch[0], scratch[1], scratch[2], scratch[3]
    b_root, f_root, db_root = scratch[4], scratch[5], scratch[6]  # first 1 + N_PIECES used
    for u in range(users.shape[1]):
        us, pc = users[n, u], pieces[n, u]
        _user_roots(us, pc, log_lam, mu, exact, alpha, w_star, tables, b_root, f_root, db_root)
        b_star, f_star, db_star = b_root[0], f_root[0], db_root[0]
        cost_star = alpha * f_star + lam * b_star
        for k in range(N_PIECES):
            lo, hi, length = pc[LO_, k], pc[HI_, k], pc[LENGTH, k]
            c_step = pc[C0U, k] + mu
            mu_lo = mu * lo
            # abandon and unsat: s at an end of the piece
            c_ab = pc[C0A, k] + mu
            values[k] = pc[BASE_A, k] + mu_lo + min(c_ab * length, 0.0)
            bs[k] = 0.0
            ss[k] = hi if c_ab < 0 else lo
            dbs[k] = 0.0
            values[3 + k] = pc[BASE_U, k] + cost_star + mu_lo + min(c_step * length, 0.0)
            bs[3 + k] = b_star
            ss[3 + k] = hi if c_step < 0 else lo
            dbs[3 + k] = db_star
            b_sat, f_sat, db_sat, s_sat = _sat_point(us, pc, k, mu, exact, tables, f_root[1 + k],
                                                     db_root[1 + k], b_star, f_star, db_star)  # fmt: skip
            pen = 0.0 if pc[SAT_OK, k] > 0 else np.inf
            values[6 + k] = pc[BASE_S, k] + alpha * f_sat + lam * b_sat + c_step * s_sat + pen
            bs[6 + k] = b_sat
            ss[6 + k] = s_sat
            dbs[6 + k] = db_sat
        best = _argmin_with_penalty(values, penalty[n, u])
        g += values[best]
        b_sum += bs[best]
        s_sum += ss[best]
        db_sum += dbs[best]
        if detail:
            out_opt[u] = best
            out_vals[u, 0], out_vals[u, 1], out_vals[u, 2] = bs[best], ss[best], values[best]
            out_vals[u, 3:] = values
    return g - lam - mu * budget[n], b_sum, s_sum, db_sum


@njit(**_JIT)
def evaluate_batch(log_lam, mu, exact, alpha, log_alpha, arrays, detail):
    """`evaluate_point` at every (p, n) of log_lam, mu (P, N): sums (4, P, N) = (g, sum b, sum s,
    d sum b / d log lam) and, with `detail`, option (P, N, U) and (b, s, minimum, nine values)
    (P, N, U, 12) per user."""
    P, N = log_lam.shape
    U = arrays[0].shape[1] if detail else 0
    sums = np.empty((4, P, N))
    opt = np.zeros((P, N, U), dtype=np.int64)
    vals = np.zeros((P, N, U, 3 + N_OPTIONS))
    scratch = np.empty((SCRATCH_ROWS, N_OPTIONS))
    for p in range(P):
        for n in range(N):
            r = evaluate_point(n, log_lam[p, n], mu[p, n], exact, alpha, log_alpha, arrays,
                               scratch, detail, opt[p, n], vals[p, n])  # fmt: skip
            sums[0, p, n], sums[1, p, n], sums[2, p, n], sums[3, p, n] = r
    return sums, opt, vals


# --------------------------------------------------------------------------- bandwidth price


@njit(**_JIT)
def solve_lambda_point(n, mu, exact, alpha, log_alpha, arrays, x, step, max_iter, tol,
                       bracket_tol, log_lam_min, log_lam_max):  # fmt: skip
    """rl.oracle.dual.solve_lambda for one (step price, problem): safeguarded Newton on log lam
    from x. Returns (x, lo, hi, sum b at x, h, sum s) where (h, sum s) are `_at_jump`'s at a
    jump of sum b (g where the tangents at the bracket's ends meet, and sum s of their mixture
    with sum b = 1: Danskin), else g and sum s at x."""
    lo, hi = log_lam_min, log_lam_max
    r_lo, r_hi = np.nan, np.nan
    g_lo = g_hi = s_lo = s_hi = 0.0
    both = False
    same_side = 0
    prev = np.inf
    scratch = np.empty((SCRATCH_ROWS, N_OPTIONS))
    no_opt = np.zeros(0, dtype=np.int64)
    no_vals = np.zeros((0, 3 + N_OPTIONS))
    g = b_sum = s_sum = 0.0
    for _ in range(max_iter):
        g, b_sum, s_sum, db_sum = evaluate_point(n, x, mu, exact, alpha, log_alpha, arrays,
                                                 scratch, False, no_opt, no_vals)  # fmt: skip
        r = b_sum - 1.0
        up, down = r >= 0, r <= 0
        if up:
            lo, r_lo, g_lo, s_lo = x, r, g, s_sum
        if down:
            hi, r_hi, g_hi, s_hi = x, r, g, s_sum
        both = not (np.isnan(r_lo) or np.isnan(r_hi))
        same_side = _run_of_one_end(same_side, up, down)
        if abs(r) <= tol or hi - lo <= bracket_tol:
            break
        newton = x - r / db_sum
        good = db_sum < 0 and newton > lo and newton < hi and abs(r) < 0.5 * prev
        prev = abs(r)
        if both:
            if good:
                x = newton
            else:  # where the tangents of g meet, nudged across; bisection if not inside
                nudge = 0.25 * bracket_tol * np.sign(same_side)
                t = math.log(_tangents_meet(lo, hi, r_lo, r_hi, g_lo, g_hi)[0]) + nudge
                ok = t > lo and t < hi and abs(same_side) % 4 != 3
                x = t if ok else 0.5 * (lo + hi)
        else:  # one-sided so far: Newton's step capped at `step`, else `step`; it doubles
            move = min(max(newton - x, -step), step) if good else np.sign(r) * step
            x = min(max(x + move, log_lam_min), log_lam_max)
            step = 2.0 * step
    on_jump = both and abs(b_sum - 1.0) > tol
    if not on_jump:
        return x, lo, hi, b_sum, g, s_sum
    g_top, s_mix = _at_jump(lo, hi, r_lo, r_hi, g_lo, g_hi, s_lo, s_hi)
    return x, lo, hi, b_sum, g_top, s_mix


@njit(**_JIT)
def _run_of_one_end(same_side, up, down):
    """How many moves in a row the same bracket end made: + for lo (sum b >= 1), - for hi; 0
    when sum b = 1 moved both."""
    if up and not down:
        return max(same_side, 0) + 1
    if down and not up:
        return min(same_side, 0) - 1
    return 0


@njit(**_JIT)
def _at_jump(lo, hi, r_lo, r_hi, g_lo, g_hi, s_lo, s_hi):
    """(h, sum s) on a jump of sum b: g where the tangents at the bracket's ends meet (the ends'
    best g if that is not finite) and sum s of the ends' mixture with sum b = 1."""
    w = min(max(r_hi / (r_hi - r_lo), 0.0), 1.0)
    g_meet = _tangents_meet(lo, hi, r_lo, r_hi, g_lo, g_hi)[1]
    g_top = max(g_lo, g_hi)
    if np.isfinite(g_meet):
        g_top = max(g_meet, g_top)
    return g_top, w * s_lo + (1.0 - w) * s_hi


@njit(**_JIT)
def _tangents_meet(lo, hi, r_lo, r_hi, g_lo, g_hi):
    """(lam, g) where the tangents of g (concave in lam) at lam_lo and lam_hi meet."""
    lam_lo, lam_hi = math.exp(lo), math.exp(hi)
    lam = (g_hi - g_lo + r_lo * lam_lo - r_hi * lam_hi) / (r_lo - r_hi)
    return lam, g_lo + r_lo * (lam - lam_lo)


@njit(**_JIT)
def solve_lambda_batch(mu, exact, alpha, log_alpha, arrays, start, step, max_iter, tol,
                       bracket_tol, log_lam_min, log_lam_max):  # fmt: skip
    """`solve_lambda_point` at every (p, n) of mu (P, N): (6, P, N) = (x, lo, hi, sum b, h,
    sum s)."""
    P, N = mu.shape
    out = np.empty((6, P, N))
    for p in range(P):
        for n in range(N):
            r = solve_lambda_point(n, mu[p, n], exact, alpha, log_alpha, arrays, start[p, n],
                                   step[p, n], max_iter, tol, bracket_tol, log_lam_min,
                                   log_lam_max)  # fmt: skip
            for i in range(6):
                out[i, p, n] = r[i]
    return out


# --------------------------------------------------------------------------- step price
# A bracket end of the step price is a DualPoint packed as a column of 6: (mu, x, lo, hi,
# sum s, h), the first four as in rl.oracle.dual.DualPoint.

MU, X, LO, HI, S_SUM, H = range(6)


@njit(**_JIT)
def cut_refine_batch(a, b, active, alpha, log_alpha, arrays, L, max_cuts, mu_rel_tol,
                     lam_tol, bracket_tol, log_lam_min, log_lam_max):  # fmt: skip
    """rl.oracle.dual._cut_refine for each active problem n: shrink [a.mu, b.mu] (a, b: (6, N), in
    place) onto the maximiser of the concave h(mu) by cutting planes (that docstring)."""
    budget_ = arrays[3]
    N = a.shape[1]
    mus = np.empty(4)
    pts = np.empty((4, 6))
    for n in range(N):
        if not active[n]:
            continue
        budget = budget_[n]
        slow = False
        for _ in range(max_cuts):
            width = b[MU, n] - a[MU, n]
            delta = 1e-9 * max(1.0, abs(a[MU, n]))
            if not (width > 2.1 * delta and width > mu_rel_tol * max(1.0, abs(a[MU, n]))):
                break
            lo_mu, hi_mu = a[MU, n], b[MU, n]
            d = min(delta, 0.25 * (hi_mu - lo_mu))
            mid = 0.5 * (lo_mu + hi_mu)
            # where h's supporting lines at a and b meet, and where the secant of its slopes is 0
            da, db = a[S_SUM, n] - budget, b[S_SUM, n] - budget
            kink = (b[H, n] - a[H, n] + da * a[MU, n] - db * b[MU, n]) / (da - db)
            root = a[MU, n] + da * (b[MU, n] - a[MU, n]) / (da - db)
            if not (kink > lo_mu + 2 * d and kink < hi_mu - 2 * d):
                kink = mid
            if slow or not (root > lo_mu + 2 * d and root < hi_mu - 2 * d):
                root = mid
            mus[0], mus[1], mus[2], mus[3] = kink - d, kink + d, root - d, root + d
            # warm start for log lam: linear between the ends' solutions, a first step as wide
            # as they are apart (log lam moves little with mu near the optimum)
            xa, xb = a[X, n], b[X, n]
            step = max(abs(xb - xa), 4.0 * bracket_tol)
            for i in range(4):
                t = (mus[i] - a[MU, n]) / (b[MU, n] - a[MU, n])
                t = min(max(t, 0.0), 1.0) if np.isfinite(t) else 0.5
                r = solve_lambda_point(n, mus[i], False, alpha, log_alpha, arrays,
                                       xa + t * (xb - xa), step, 80, lam_tol, bracket_tol,
                                       log_lam_min, log_lam_max)  # fmt: skip
                pts[i, MU] = mus[i]
                pts[i, X], pts[i, LO], pts[i, HI] = r[0], r[1], r[2]
                pts[i, H], pts[i, S_SUM] = r[4], r[5]
            _keep_closest(a, b, n, pts, budget - 1e-9 * L)
            slow = b[MU, n] - a[MU, n] > 0.5 * (hi_mu - lo_mu)


@njit(**_JIT)
def _keep_closest(a, b, n, pts, covers):
    """Move a to the highest new point that covers the budget (sum s >= `covers`) and b to the
    lowest above it that does not."""
    ia, top = -1, -np.inf
    for i in range(pts.shape[0]):
        if pts[i, S_SUM] >= covers and pts[i, MU] > top:
            ia, top = i, pts[i, MU]
    floor = a[MU, n]
    if ia >= 0 and top > a[MU, n]:
        floor = top
        a[:, n] = pts[ia]
    ib, low = -1, np.inf
    for i in range(pts.shape[0]):
        if not (pts[i, S_SUM] >= covers) and pts[i, MU] > floor and pts[i, MU] < low:
            ib, low = i, pts[i, MU]
    if ib >= 0 and low < b[MU, n]:
        b[:, n] = pts[ib]
