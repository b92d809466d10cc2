"""The oracle: the best allocation per slot (P2) and the best cache per popularity state (P3).

Actions do not change how the state evolves (popularity, mobility, fading and requests follow
their own chains), so the best policy is computable: the best allocation for each slot and, per
popularity state, the cache with the best expected frame reward under that allocation.

Slot problem (P2 over the amender's range)
==========================================
Every method's raw action goes through the amender (6.2.2), so we optimise over its range:
b on the simplex (11e), and xi over the users whose model is cached (11g), summing to 1 under
``step_amender="normalise"`` (the paper: all L steps are always spent) or to at most 1 under
``"cap"``. Write s_u = xi_u L for the steps of a hit user. User u costs (23)

    c_u(b, s) = alpha min(D_u, D_cap) + (1 - alpha) TV_u(s) + chi 1{D_u > tau},
    D_u(b, s) = f_u(b) + K_u + B1_u s                                                (9)

with f_u(b) = d_in / (b W log2(1 + p h / (N0 b W))) the uplink delay (4) (convex and
decreasing in b, infinite at b = 0), K_u the constant rest of (4), (6), (8) (backhaul and cloud
generation for a miss, B2 for a hit), B1_u = 0 and TV_u = A4 for a miss, and TV_u piecewise
linear in s with breakpoints A1, A3 (7). We maximise r = -(1/U) sum_u c_u subject to
sum_u b_u = 1 and sum_{hit} s_u = L (or <= L).

Per user this is a minimum over a few convex pieces (the nonconvexity is all in the choice):

* mode "sat": no penalty, subject to f(b) + B1 s <= R_u := tau - K_u (convex in (b, s));
* mode "unsat": penalty chi, no constraint (the uncapped delay; an upper bound of the true
  cost, equal to it when D <= D_cap);
* mode "abandon": b = 0, cost alpha D_cap + chi + (1 - alpha) TV(s) (a user given no bandwidth;
  any b > 0 with D >= D_cap costs at least this, since bandwidth has a non-negative price);
* TV piece k in {[0, A1], [A1, A3], [A3, L]} (clipped to [0, L]): TV is linear on each.

c_u = min over these 9 options, so min_{b,s} c_u + lam b + mu s is the minimum over options of
convex problems, each solved in closed form up to one scalar root (below).

Upper bound (Lagrangian dual). For any lam >= 0 and mu (mu >= 0 under "cap"),

    g(lam, mu) = sum_u min_{o, b_u in [0,1], s_u in [0,L]} [c_u + lam b_u + mu s_u] - lam - mu L

is a lower bound on the minimum of sum_u c_u (weak duality: on the feasible set the added terms
are zero (normalise) or <= 0 (cap; and for b, sum b < 1 can only raise costs, which are
non-increasing in b)). So -g/U bounds the slot reward (23) from above, whatever lam, mu are.
We maximise g (concave) over (lam, mu); `SlotOracleResult.upper_bound` is -g/U at the best
multipliers found, evaluated with exact inner minimisation (roots polished to machine
precision), plus 1e-9 relative slack for rounding.

Primal (the returned action). At the dual optimum, Lagrangian minimisers at the bracketing
multipliers are mixed so that sum b = 1 and sum s = L hold exactly (each user's (b, s) is a
convex combination of its minimisers; within one option this is feasible and no worse than the
mixture). By Everett's theorem, when every user's mixed point lies in one option the primal is
globally optimal up to the search tolerance; when some user mixes two options (a true duality
gap, from the nonconvexity of the penalty and of TV), we also fix the options and re-solve, and
keep the best. The achieved reward is always evaluated with the testbed's own `amend_action` +
`evaluate_slot` + `slot_reward` on the raw action we return; `gap = upper_bound - reward >= 0`.

Inner minimisation per option (mode, piece [lo, hi], TV slope sigma), with
c = alpha B1 + (1 - alpha) sigma + mu:

* unsat: b* = argmin alpha f(b) + lam b (root of -f'(b) = lam / alpha, or 1), s = lo if c >= 0
  else hi;
* abandon: b = 0, s = lo if (1 - alpha) sigma + mu >= 0 else hi;
* sat: the problem in s after minimising b is convex; if c >= 0, s = lo; if c < 0, on the
  active branch f(b) = R - B1 s the stationarity condition is -f'(b) = lam / (alpha - c / B1),
  giving s_hat = (R - f(b_hat)) / B1, clipped to [lo, min(hi, (R - f(1)) / B1)]; then
  b = max(b*, f^{-1}(R - B1 s)).

Both roots are universal functions of x = b / a with a = p h / (N0 W):
f(b) = C / (a Q(x)) with Q(x) = x ln(1 + 1/x), C = d_in ln 2 / W, and
-f'(b) = (C / a^2) G(x) with G = Q' / Q^2; Q increases and G decreases monotonically, so both
inverses are tabulated once in log-log space and polished with Newton steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from testbed.batched import SlotState
from testbed.config import EdgeConfig
from testbed.processes import Processes, zipf_probabilities
from testbed.system_model import (
    SystemParams,
    amend_action,
    cache_over_capacity,
    channel_gain,
    decode_cache,
    downlink_rate_bps,
    encode_cache,
    evaluate_slot,
    slot_reward,
    tv_of_steps,
)

LN2 = math.log(2.0)
N_PIECES = 3
MODES = ("abandon", "unsat", "sat")
BOUND_SLACK = 1e-9
"""Relative slack added to the dual bound for floating-point rounding."""
SAT_MARGIN_S = 1e-9
"""A satisfied user's delay is kept this far below tau, so rounding never flips (11h)."""

# --------------------------------------------------------------------------- special functions
# x = b / a.  Q(x) = x ln(1 + 1/x) in (0, 1), increasing;  G(x) = Q'(x) / Q(x)^2, decreasing.


def _q(x: np.ndarray) -> np.ndarray:
    return x * np.log1p(1.0 / x)


def _dq(x: np.ndarray) -> np.ndarray:
    """Q'(x) = ln(1 + 1/x) - 1/(1 + x), by its series for large x (cancellation)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        y = 1.0 / x
        direct = np.log1p(y) - y / (1.0 + y)
        series = y * y * (0.5 - y * (2.0 / 3.0 - y * (0.75 - 0.8 * y)))
    return np.where(x > 1e3, series, direct)


def _log_g_and_slope(logx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log G and d log G / d log x."""
    x = np.exp(logx)
    q, dq = _q(x), _dq(x)
    log_g = np.log(dq) - 2.0 * np.log(q)
    slope = -1.0 / ((1.0 + x) ** 2 * dq) - 2.0 * x * dq / q
    return log_g, slope


def _log_q(x: np.ndarray) -> np.ndarray:
    """log Q(x), accurate at both ends (Q -> 1 - 1/(2x) for large x)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        y = 1.0 / x
        big = np.log1p(-y * (0.5 - y * (1.0 / 3.0 - y * (0.25 - 0.2 * y))))
        small = np.log(x) + np.log(np.log1p(y))
    return np.where(x > 1e3, big, small)


def _loglog_q_and_slope(logx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """phi = log(-log Q) (decreasing, well scaled at both ends) and d phi / d log x."""
    x = np.exp(logx)
    log_q = _log_q(x)
    return np.log(-log_q), x * _dq(x) / (np.exp(log_q) * log_q)


_LOGX_TABLE = np.linspace(-75.0, 75.0, 6001)
_LOGG_TABLE = _log_g_and_slope(_LOGX_TABLE)[0]
_PHIQ_TABLE = _loglog_q_and_slope(_LOGX_TABLE)[0]
_NEWTON_STEPS = 3


def _inv_log_g(log_t: np.ndarray) -> np.ndarray:
    """log x with log G(x) = log_t (G decreasing)."""
    lt = np.clip(log_t, _LOGG_TABLE[-1], _LOGG_TABLE[0])
    logx = np.interp(-lt, -_LOGG_TABLE, _LOGX_TABLE)
    for _ in range(_NEWTON_STEPS):
        val, slope = _log_g_and_slope(logx)
        logx = np.clip(logx - (val - lt) / slope, _LOGX_TABLE[0], _LOGX_TABLE[-1])
    return logx


def _inv_log_q(log_z: np.ndarray) -> np.ndarray:
    """log x with log Q(x) = log_z < 0 (Newton on log(-log Q), which decreases in log x)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = np.log(-np.asarray(log_z, dtype=np.float64))
    phi = np.clip(np.nan_to_num(phi, nan=_PHIQ_TABLE[-1]), _PHIQ_TABLE[-1], _PHIQ_TABLE[0])
    logx = np.interp(-phi, -_PHIQ_TABLE, _LOGX_TABLE)
    for _ in range(_NEWTON_STEPS):
        val, slope = _loglog_q_and_slope(logx)
        logx = np.clip(logx - (val - phi) / slope, _LOGX_TABLE[0], _LOGX_TABLE[-1])
    return logx


# --------------------------------------------------------------------------- the slot problem


@dataclass
class SlotProblem:
    """One batch of slot problems, per-user arrays (N, U); per-piece arrays (N, U, 3)."""

    hit: np.ndarray
    log_a: np.ndarray  # log(p h / (N0 W))
    a: np.ndarray
    log_c: np.ndarray  # log(d_in ln2 / W)
    c: np.ndarray
    K: np.ndarray  # delay independent of b and s (s)
    R: np.ndarray  # tau - K: budget for uplink + steps under (11h)
    B1: np.ndarray  # s/step, 0 for a miss
    f1: np.ndarray  # uplink delay with all the bandwidth
    lo: np.ndarray  # piece start (steps)
    hi: np.ndarray  # piece end
    tv_lo: np.ndarray  # TV at the piece start
    slope: np.ndarray  # TV per step on the piece
    has_hit: np.ndarray  # (N,)
    L: float
    alpha: float
    chi: float
    chi_abandon: float
    cap_s: float
    tau: float
    step_amender: str

    @property
    def shape(self) -> tuple[int, int]:
        return self.hit.shape

    def uplink_delay(self, b: np.ndarray, per_piece: bool = False) -> np.ndarray:
        """f(b) (s); inf at b = 0."""
        a, c = (x[..., None] if per_piece else x for x in (self.a, self.c))
        with np.errstate(divide="ignore", invalid="ignore"):
            out = c / (a * _q(b / a))
        return np.where(b > 0, out, np.inf)


def build_problem(
    state: SlotState, cache: np.ndarray, params: SystemParams, step_amender: str
) -> SlotProblem:
    """The per-user constants of the slot problems of a batch of states with their caches."""
    p = params
    if step_amender not in ("normalise", "cap"):
        raise ValueError(f"step_amender must be 'normalise' or 'cap', got {step_amender!r}.")
    model = np.asarray(state.model, dtype=np.int64)
    cache = np.broadcast_to(np.asarray(cache), model.shape[:-1] + (p.n_models,))
    hit = np.take_along_axis(cache, model, axis=-1) > 0
    h = np.asarray(state.channel_gain, dtype=np.float64)
    d_in = np.asarray(state.input_bits, dtype=np.float64)
    out_bits = p.output_bits[model]
    a = p.user_tx_power_W * h / (p.noise_psd_W_per_Hz * p.uplink_bandwidth_Hz)
    c = d_in * LN2 / p.uplink_bandwidth_Hz
    d_dw = out_bits / downlink_rate_bps(h, p)
    miss_k = d_in / p.bs_to_cloud_rate_bps + out_bits / p.cloud_to_bs_rate_bps
    K = d_dw + np.where(hit, p.B2[model], miss_k + p.cloud_gen_delay_s[model])
    L = float(p.total_denoising_steps)
    B1 = np.where(hit, p.B1[model], 0.0)
    # breakpoints 0, A1, A3, L clipped to [0, L]; a miss has three empty pieces at s = 0
    A1, A3 = np.minimum(p.A1[model], L), np.minimum(p.A3[model], L)
    e = np.stack([np.zeros_like(A1), A1, A3, np.full_like(A1, L)], axis=-1)
    e = np.where(hit[..., None], e, 0.0)
    tv = tv_of_steps(e, *(x[model][..., None] for x in (p.A1, p.A2, p.A3, p.A4)))
    tv = np.where(hit[..., None], tv, p.A4[model][..., None])
    length = np.diff(e, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(length > 0, np.diff(tv, axis=-1) / length, 0.0)
    prob = SlotProblem(
        hit=hit,
        log_a=np.log(a),
        a=a,
        log_c=np.log(c),
        c=c,
        K=K,
        R=p.slot_duration_s - K,
        B1=B1,
        f1=np.zeros_like(a),
        lo=e[..., :-1],
        hi=e[..., 1:],
        tv_lo=tv[..., :-1],
        slope=slope,
        has_hit=hit.any(axis=-1),
        L=L,
        alpha=float(p.alpha),
        chi=float(p.slot_penalty),
        # D > D_cap implies a violation only if D_cap >= tau; otherwise keep the bound valid
        chi_abandon=float(p.slot_penalty) if p.delay_cap_s >= p.slot_duration_s else 0.0,
        cap_s=float(p.delay_cap_s),
        tau=float(p.slot_duration_s),
        step_amender=step_amender,
    )
    prob.f1 = prob.uplink_delay(np.ones_like(a))
    return prob


# --------------------------------------------------------------------------- Lagrangian minimisers


@dataclass
class Minimisers:
    """Per option o = mode * 3 + piece: value of c_u + lam b + mu s at its minimiser (b, s).

    Arrays (P, N, U, 9) for P multiplier pairs; infeasible options hold +inf."""

    val: np.ndarray
    b: np.ndarray
    s: np.ndarray


def _alpha_times(alpha: float, f: np.ndarray) -> np.ndarray:
    """alpha * f with 0 * inf read as 0 (alpha = 0: the delay does not count)."""
    return alpha * f if alpha > 0 else np.zeros_like(f)


def _user(x: np.ndarray, per_piece: bool) -> np.ndarray:
    return x[..., None] if per_piece else x


def _argmin_uplink(
    prob: SlotProblem, lam: np.ndarray, weight: np.ndarray, per_piece: bool = False
) -> np.ndarray:
    """argmin_{b in (0, 1]} weight f(b) + lam b, i.e. the root of -f'(b) = lam / weight."""
    log_a, log_c, a = (_user(x, per_piece) for x in (prob.log_a, prob.log_c, prob.a))
    with np.errstate(divide="ignore"):
        log_t = np.log(lam) - np.log(weight) + 2.0 * log_a - log_c
    b = np.minimum(a * np.exp(_inv_log_g(log_t)), 1.0)
    return np.where(weight > 0, b, 0.0)


def _bandwidth_for_delay(prob: SlotProblem, y: np.ndarray, per_piece: bool = True) -> np.ndarray:
    """f^{-1}(y): the bandwidth share whose uplink delay is y (needs y >= f(1); then <= 1)."""
    log_a, log_c, a = (_user(x, per_piece) for x in (prob.log_a, prob.log_c, prob.a))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_z = log_c - log_a - np.log(y)
    return np.minimum(a * np.exp(_inv_log_q(log_z)), 1.0)


def lagrangian_minimisers(
    prob: SlotProblem, lam: np.ndarray, mu: np.ndarray, margin_s: float = 0.0
) -> Minimisers:
    """Minimise c_u + lam b + mu s per user and option for multipliers lam, mu of shape (P, N).

    `margin_s` tightens the sat constraint to D <= tau - margin (used for the returned action;
    the bound uses 0)."""
    al = prob.alpha
    lam_u = np.asarray(lam, dtype=np.float64)[..., None]  # (P, N, 1)
    lam_p, mu_p = lam_u[..., None], np.asarray(mu, dtype=np.float64)[..., None, None]
    B1 = prob.B1[..., None]
    R = (prob.R - margin_s)[..., None]
    K = prob.K[..., None]
    lo, hi, tv_lo, slope = prob.lo, prob.hi, prob.tv_lo, prob.slope

    # unsat: b* and s at an end of the piece
    b_star = _argmin_uplink(prob, lam_u, np.full_like(lam_u, al))  # (P, N, U)
    f_star = prob.uplink_delay(b_star)
    c_step = al * B1 + (1 - al) * slope + mu_p  # (P, N, U, 3)
    s_unsat = np.where(c_step >= 0, lo, hi) + 0 * c_step
    b_unsat = np.broadcast_to(b_star[..., None], s_unsat.shape)
    tv_part = (1 - al) * (tv_lo + slope * (s_unsat - lo))
    v_unsat = (
        prob.chi
        + _alpha_times(al, K + f_star[..., None] + B1 * s_unsat)
        + tv_part
        + lam_p * b_unsat
        + mu_p * s_unsat
    )

    # abandon: b = 0
    c_ab = (1 - al) * slope + mu_p
    s_ab = np.where(c_ab >= 0, lo, hi) + 0 * c_ab
    v_ab = (
        _alpha_times(al, np.full_like(s_ab, prob.cap_s))
        + prob.chi_abandon
        + (1 - al) * (tv_lo + slope * (s_ab - lo))
        + mu_p * s_ab
    )

    # sat: f(b) + B1 s <= R
    f1 = prob.f1[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        s_hi = np.where(B1 > 0, np.minimum(hi, (R - f1) / B1), np.where(f1 <= R, hi, -np.inf))
    feasible = s_hi >= lo
    interior = (c_step < 0) & (B1 > 0) & feasible
    with np.errstate(divide="ignore", invalid="ignore"):
        w_eff = np.where(interior, al - c_step / np.where(B1 > 0, B1, 1.0), 1.0)
        b_hat = _argmin_uplink(prob, lam_p, w_eff, per_piece=True)
        f_hat = np.where(interior, prob.uplink_delay(b_hat, per_piece=True), 0.0)
        s_hat = np.where(interior, (R - f_hat) / np.where(B1 > 0, B1, 1.0), lo)
    s_sat = np.where(c_step >= 0, lo, np.where(B1 > 0, s_hat, s_hi))
    s_sat = np.where(feasible, np.clip(s_sat, lo, np.maximum(s_hi, lo)), lo)
    y = R - B1 * s_sat
    need = feasible & (y < f_star[..., None])
    b_req = np.where(need, _bandwidth_for_delay(prob, np.where(need, y, 1.0)), 0.0)
    b_sat = np.maximum(b_star[..., None], b_req)
    f_sat = prob.uplink_delay(b_sat, per_piece=True)
    v_sat = (
        _alpha_times(al, K + f_sat + B1 * s_sat)
        + (1 - al) * (tv_lo + slope * (s_sat - lo))
        + lam_p * b_sat
        + mu_p * s_sat
    )
    v_sat = np.where(feasible, v_sat, np.inf)

    val = np.concatenate([v_ab, v_unsat, v_sat], axis=-1)
    b = np.concatenate([np.zeros_like(s_ab), b_unsat, b_sat], axis=-1)
    s = np.concatenate([s_ab, s_unsat, s_sat], axis=-1)
    return Minimisers(val=val, b=b, s=s)


# --------------------------------------------------------------------------- dual search

LOG_LAM_RANGE = (-35.0, 35.0)
"""Bracket of log lam; lam is the price of the whole band in cost units."""


@dataclass
class Choice:
    """Argmin over the allowed options at one multiplier pair per problem, arrays (N, U)."""

    lam: np.ndarray  # (N,)
    mu: np.ndarray  # (N,)
    option: np.ndarray
    b: np.ndarray
    s: np.ndarray
    value: np.ndarray  # (N,) g(lam, mu)

    @property
    def b_sum(self) -> np.ndarray:
        return self.b.sum(axis=-1)

    @property
    def s_sum(self) -> np.ndarray:
        return self.s.sum(axis=-1)


def step_budget(prob: SlotProblem) -> np.ndarray:
    """The right-hand side of the relaxed step constraint per problem (N,)."""
    if prob.step_amender == "cap":
        return np.full(prob.has_hit.shape, prob.L)
    return np.where(prob.has_hit, prob.L, 0.0)


def choose(
    prob: SlotProblem,
    lam: np.ndarray,
    mu: np.ndarray,
    allowed: np.ndarray | None = None,
    margin_s: float = 0.0,
) -> Choice:
    """Lagrangian argmin per user among the `allowed` options (N, U, 9) at one (lam, mu)."""
    m = lagrangian_minimisers(prob, lam[None], mu[None], margin_s)
    val = m.val[0] if allowed is None else np.where(allowed, m.val[0], np.inf)
    opt = np.argmin(val, axis=-1)
    pick = lambda a: np.take_along_axis(a, opt[..., None], axis=-1)[..., 0]  # noqa: E731
    v = pick(val)
    g = v.sum(axis=-1) - lam - mu * step_budget(prob)
    return Choice(lam=lam, mu=mu, option=opt, b=pick(m.b[0]), s=pick(m.s[0]), value=g)


def solve_lambda(
    prob: SlotProblem,
    mu: np.ndarray,
    allowed: np.ndarray | None,
    iters: int = 60,
    margin_s: float = 0.0,
) -> tuple[Choice, Choice]:
    """For fixed mu, the bandwidth price bracket: sum b >= 1 at the first, <= 1 at the second."""
    n = prob.shape[0]
    lo = np.full(n, LOG_LAM_RANGE[0])
    hi = np.full(n, LOG_LAM_RANGE[1])
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        c = choose(prob, np.exp(mid), mu, allowed, margin_s)
        above = c.b_sum >= 1.0
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    return (
        choose(prob, np.exp(lo), mu, allowed, margin_s),
        choose(prob, np.exp(hi), mu, allowed, margin_s),
    )


def _s_response(prob, mu, allowed, lam_iters, margin_s) -> tuple[Choice, Choice]:
    return solve_lambda(prob, mu, allowed, lam_iters, margin_s)


def maximise_dual(
    prob: SlotProblem,
    allowed: np.ndarray | None = None,
    mu_iters: int = 60,
    lam_iters: int = 60,
    margin_s: float = 0.0,
) -> list[Choice]:
    """Nested bisection: mu outer (sum s against the budget), lam inner (sum b against 1).

    Returns the four Lagrangian argmins at (lam bracket) x (mu bracket): [mu_lo: lam_lo,
    lam_hi, mu_hi: lam_lo, lam_hi], with sum s >= budget at mu_lo and <= at mu_hi."""
    n = prob.shape[0]
    budget = step_budget(prob)
    c0 = prob.alpha * prob.B1[..., None] + (1 - prob.alpha) * prob.slope
    big = np.maximum(
        np.abs(c0).max(axis=(-1, -2)), np.abs((1 - prob.alpha) * prob.slope).max(axis=(-1, -2))
    )
    mu_hi = big + 1.0
    if prob.step_amender == "cap":
        mu_lo = np.zeros(n)
    else:
        mu_lo = -(big + 1.0)
        for _ in range(40):
            lo_pair = _s_response(prob, mu_lo, allowed, lam_iters, margin_s)
            short = (lo_pair[0].s_sum < budget) & prob.has_hit
            if not short.any():
                break
            mu_lo = np.where(short, 4.0 * mu_lo, mu_lo)
    # problems whose budget binds at mu_lo = 0 (cap) or that have no step constraint are done
    at_lo = _s_response(prob, mu_lo, allowed, lam_iters, margin_s)
    fixed = (at_lo[0].s_sum <= budget) | ~prob.has_hit
    lo, hi = mu_lo.copy(), np.where(fixed, mu_lo, mu_hi)
    for _ in range(mu_iters):
        mid = 0.5 * (lo + hi)
        pair = _s_response(prob, mid, allowed, lam_iters, margin_s)
        s_mid = 0.5 * (pair[0].s_sum + pair[1].s_sum)
        above = s_mid >= budget
        lo, hi = np.where(above | fixed, mid, lo), np.where(above & ~fixed, hi, mid)
        lo = np.where(fixed, mu_lo, lo)
        hi = np.where(fixed, mu_lo, hi)
    return [
        *_s_response(prob, lo, allowed, lam_iters, margin_s),
        *_s_response(prob, hi, allowed, lam_iters, margin_s),
    ]


# --------------------------------------------------------------------------- primal


def _mix(a: Choice, b: Choice, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w = weight[:, None]
    return w * a.b + (1 - w) * b.b, w * a.s + (1 - w) * b.s


def _weight(high: np.ndarray, low: np.ndarray, target: np.ndarray) -> np.ndarray:
    """w with w high + (1 - w) low = target, in [0, 1] (1 where high == low)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        w = (target - low) / (high - low)
    return np.clip(np.where(high - low > 0, w, 1.0), 0.0, 1.0)


def primal_from_brackets(prob: SlotProblem, ch: list[Choice]) -> tuple[np.ndarray, np.ndarray]:
    """Mix the four bracketing argmins so that sum b = 1 and sum s = budget (sum s <= L, cap)."""
    one = np.ones(prob.shape[0])
    b_lo, s_lo = _mix(ch[0], ch[1], _weight(ch[0].b_sum, ch[1].b_sum, one))
    b_hi, s_hi = _mix(ch[2], ch[3], _weight(ch[2].b_sum, ch[3].b_sum, one))
    budget = step_budget(prob)
    w = _weight(s_lo.sum(-1), s_hi.sum(-1), budget)
    b = w[:, None] * b_lo + (1 - w[:, None]) * b_hi
    s = w[:, None] * s_lo + (1 - w[:, None]) * s_hi
    return b, s


def raw_action(prob: SlotProblem, b: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Raw (b~, xi~) that the amender maps to (b / sum b, s / L) (exactly, up to rounding)."""
    b = np.clip(b, 0.0, 1.0)
    total = b.sum(axis=-1, keepdims=True)
    b = np.where(total > 0, b / np.where(total > 0, total, 1.0), 1.0 / b.shape[-1])
    xi = np.where(prob.hit, np.clip(s / prob.L, 0.0, 1.0), 0.0)
    if prob.step_amender == "normalise":
        tot = xi.sum(axis=-1, keepdims=True)
        xi = np.where(tot > 0, xi / np.where(tot > 0, tot, 1.0), xi)
    else:
        xi = xi / np.maximum(xi.sum(axis=-1, keepdims=True), 1.0)
    return b, xi


def achieved_reward(
    state: SlotState,
    cache: np.ndarray,
    params: SystemParams,
    step_amender: str,
    b_raw: np.ndarray,
    xi_raw: np.ndarray,
) -> np.ndarray:
    """Slot reward (23) of a raw action, exactly as `BatchedEdgeSim.step` scores it."""
    cache = np.broadcast_to(np.asarray(cache), state.model.shape[:-1] + (params.n_models,))
    b, xi = amend_action(b_raw, xi_raw, state.model, cache, step_amender)
    out = evaluate_slot(
        state.distance_m, state.fading, state.model, state.input_bits, cache, b, xi, params
    )
    return slot_reward(out, params)


@dataclass
class SlotOracleResult:
    """The slot oracle's answer for N slots."""

    b: np.ndarray
    """(N, U) raw bandwidth shares for `BatchedEdgeSim.step` (already on the simplex)."""
    xi: np.ndarray
    """(N, U) raw step shares (0 for misses)."""
    reward: np.ndarray
    """(N,) slot reward (23) the simulator gives this action."""
    upper_bound: np.ndarray
    """(N,) certified upper bound on the best slot reward (Lagrangian dual, module docstring)."""
    gap: np.ndarray
    """(N,) upper_bound - reward >= 0: 0 (to rounding) means proven optimal."""
    lam: np.ndarray
    """(N,) bandwidth price of the bound."""
    mu: np.ndarray
    """(N,) step price of the bound."""


def fixed_option_feasible(prob: SlotProblem, option: np.ndarray) -> np.ndarray:
    """(N,) whether the convex problem with every user's option fixed has a feasible point."""
    piece = option % N_PIECES
    mode = option // N_PIECES
    lo = np.take_along_axis(prob.lo, piece[..., None], -1)[..., 0]
    hi = np.take_along_axis(prob.hi, piece[..., None], -1)[..., 0]
    sat = mode == 2
    with np.errstate(divide="ignore", invalid="ignore"):
        s_cap = np.where(prob.B1 > 0, (prob.R - SAT_MARGIN_S - prob.f1) / prob.B1, np.inf)
    s_cap = np.where(sat & (prob.B1 == 0) & (prob.f1 > prob.R - SAT_MARGIN_S), -np.inf, s_cap)
    hi = np.where(sat, np.minimum(hi, s_cap), hi)
    ok = (hi >= lo).all(axis=-1)
    y = prob.R - SAT_MARGIN_S - prob.B1 * lo
    need = sat & (y > 0)
    b_min = np.where(need, _bandwidth_for_delay(prob, np.where(need, y, 1.0), per_piece=False), 0.0)
    ok &= b_min.sum(axis=-1) <= 1.0
    budget = step_budget(prob)
    ok &= lo.sum(axis=-1) <= budget
    if prob.step_amender == "normalise":
        ok &= (hi.sum(axis=-1) >= budget) | ~prob.has_hit
    return ok


def one_hot_options(option: np.ndarray) -> np.ndarray:
    return option[..., None] == np.arange(3 * N_PIECES)


def slot_oracle(
    state: SlotState,
    cache: np.ndarray,
    params: SystemParams,
    step_amender: str,
    iters: int = 40,
) -> SlotOracleResult:
    """The best allocation (b, xi) per slot over the amender's range, with a certified bound."""
    prob = build_problem(state, cache, params, step_amender)
    u = prob.shape[1]
    # the bound: the dual maximised, exact inner minimisation at the multipliers found
    ch = maximise_dual(prob, None, iters, iters, 0.0)
    values = np.stack([c.value for c in ch])
    k = values.argmax(axis=0)
    lam = np.choose(k, [c.lam for c in ch])
    mu = np.choose(k, [c.mu for c in ch])
    bound_cost = choose(prob, lam, mu).value
    # candidate actions: the mixed dual argmins, and each argmin's options fixed and re-solved
    candidates = [primal_from_brackets(prob, ch)]
    options = {tuple(map(tuple, c.option)): c.option for c in ch}
    for opt in options.values():
        ok = fixed_option_feasible(prob, opt)
        if not ok.any():
            continue
        allowed = np.where(ok[:, None, None], one_hot_options(opt), True)
        b, s = primal_from_brackets(prob, maximise_dual(prob, allowed, iters, iters, SAT_MARGIN_S))
        candidates.append((b, s))
    best_r, best_b, best_xi = None, None, None
    for b, s in candidates:
        b_raw, xi_raw = raw_action(prob, b, s)
        r = achieved_reward(state, cache, params, step_amender, b_raw, xi_raw)
        if best_r is None:
            best_r, best_b, best_xi = r, b_raw, xi_raw
            continue
        better = r > best_r
        best_r = np.where(better, r, best_r)
        best_b = np.where(better[:, None], b_raw, best_b)
        best_xi = np.where(better[:, None], xi_raw, best_xi)
    ub = -bound_cost / u
    ub = ub + BOUND_SLACK * (1.0 + np.abs(ub))
    return SlotOracleResult(
        b=best_b, xi=best_xi, reward=best_r, upper_bound=ub, gap=ub - best_r, lam=lam, mu=mu
    )


# --------------------------------------------------------------------------- frame oracle (P3)


def fitting_caches(params: SystemParams) -> np.ndarray:
    """Every cache vector (31) that satisfies (11d), (n, M), in index order (0 = empty)."""
    idx = np.arange(2**params.n_models)
    caches = decode_cache(idx, params.n_models)
    return caches[~cache_over_capacity(caches, params)]


def sample_slots(
    cfg: EdgeConfig, gamma_value: float, n: int, rng: np.random.Generator
) -> SlotState:
    """n independent slot states of the testbed's own processes with Zipf skewness gamma_value.

    The location chain is drawn from its stationary law (it moves every slot, so a slot inside
    a long run is distributed that way); fading, requests (1) and input sizes as in
    `BatchedEdgeSim._draw_slot`."""
    proc = Processes(cfg)
    params = SystemParams.from_config(cfg)
    loc = proc.initial_location(n, rng)
    pos = proc.positions_m(loc, rng)
    distance = np.hypot(pos[..., 0], pos[..., 1])
    fading = proc.fading(n, rng)
    cdf = np.cumsum(zipf_probabilities(gamma_value, cfg.n_models))
    u = rng.random((n, cfg.n_users))
    model = (u[..., None] >= cdf).sum(axis=-1).clip(max=cfg.n_models - 1)
    return SlotState(
        distance_m=distance,
        fading=fading,
        channel_gain=channel_gain(distance, fading, params.min_distance_m),
        model=model,
        input_bits=proc.input_bits(n, rng),
        output_bits=params.output_bits[model],
        location_state=loc,
        popularity_state=np.full(n, -1),
    )


def _take_state(state: SlotState, rows: np.ndarray) -> SlotState:
    return SlotState(**{f: getattr(state, f)[rows] for f in SlotState.__dataclass_fields__})


@dataclass
class FrameOracleResult:
    """P3 for one popularity state: every fitting cache's expected frame reward (32)."""

    gamma: float
    caches: np.ndarray
    """(C, M) the caches that fit (11d)."""
    mean: np.ndarray
    """(C,) mean slot reward under the slot oracle over the common samples (= frame reward)."""
    stderr: np.ndarray
    """(C,) standard error of `mean`."""
    best_index: int
    runner_up_index: int
    margin: float
    """mean[best] - mean[runner-up]."""
    margin_stderr: float
    """Standard error of the paired difference (common random numbers)."""
    mean_gap: float
    """Mean over the best cache's samples of the slot oracle's certified gap."""
    n_samples: int

    @property
    def best_cache(self) -> np.ndarray:
        return self.caches[self.best_index]

    @property
    def best_mean(self) -> float:
        return float(self.mean[self.best_index])

    @property
    def best_stderr(self) -> float:
        return float(self.stderr[self.best_index])


def frame_oracle(
    cfg: EdgeConfig, gamma_value: float, n_samples: int = 64, seed: int = 0, step_amender=None
) -> FrameOracleResult:
    """Enumerate every cache that fits (11d) and score it by the slot oracle's mean reward on
    `n_samples` common slot samples; frame reward (32) of a fitting cache is that mean."""
    params = SystemParams.from_config(cfg)
    amender = step_amender or cfg.step_amender
    rng = np.random.default_rng(seed)
    state = sample_slots(cfg, gamma_value, n_samples, rng)
    caches = fitting_caches(params)
    n_c = len(caches)
    # a slot's outcome depends on the cache only through which users hit: solve each distinct
    # (sample, hit pattern) once
    hits = caches[:, state.model] > 0  # (C, n, U)
    keys = np.concatenate(
        [np.broadcast_to(np.arange(n_samples)[None, :, None], hits.shape[:2] + (1,)), hits], axis=-1
    )
    flat = keys.reshape(-1, keys.shape[-1])
    uniq, first, inverse = np.unique(flat, axis=0, return_index=True, return_inverse=True)
    rows = uniq[:, 0]
    cache_of = caches[first // n_samples]
    res = slot_oracle(_take_state(state, rows), cache_of, params, amender)
    rewards = res.reward[inverse.reshape(-1)].reshape(n_c, n_samples)
    gaps = res.gap[inverse.reshape(-1)].reshape(n_c, n_samples)
    mean = rewards.mean(axis=1)
    stderr = (
        rewards.std(axis=1, ddof=1) / np.sqrt(n_samples) if n_samples > 1 else np.full(n_c, np.nan)
    )
    order = np.argsort(-mean, kind="stable")
    best, second = int(order[0]), int(order[1]) if n_c > 1 else int(order[0])
    diff = rewards[best] - rewards[second]
    return FrameOracleResult(
        gamma=float(gamma_value),
        caches=caches,
        mean=mean,
        stderr=stderr,
        best_index=best,
        runner_up_index=second,
        margin=float(mean[best] - mean[second]),
        margin_stderr=float(diff.std(ddof=1) / np.sqrt(n_samples))
        if n_samples > 1
        else float("nan"),
        mean_gap=float(gaps[best].mean()),
        n_samples=n_samples,
    )


# --------------------------------------------------------------------------- the policy


class OraclePolicy:
    """`TwoTimescalePolicy`: P3-best cache per popularity state, slot oracle per slot."""

    name = "Oracle"

    def __init__(self, cfg: EdgeConfig, n_frame_samples: int = 64, seed: int = 0):
        if not isinstance(n_frame_samples, int) or n_frame_samples < 2:
            raise OracleError(f"n_frame_samples must be an integer >= 2, got {n_frame_samples!r}.")
        self.cfg = cfg
        self.params = SystemParams.from_config(cfg)
        self.n_frame_samples = n_frame_samples
        self.seed = seed
        self._table: dict[float, FrameOracleResult] = {}

    def frame_result(self, gamma_value: float) -> FrameOracleResult:
        key = float(gamma_value)
        if key not in self._table:
            seq = np.random.SeedSequence([self.seed, int(round(key * 1e6))])
            self._table[key] = frame_oracle(
                self.cfg, key, self.n_frame_samples, int(seq.generate_state(1)[0])
            )
        return self._table[key]

    def choose_cache(self, gamma: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        gamma = np.atleast_1d(np.asarray(gamma, dtype=np.float64))
        return np.stack([self.frame_result(g).best_cache for g in gamma]).astype(np.int8)

    def allocate(
        self, state: SlotState, cache: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        res = slot_oracle(state, cache, self.params, self.cfg.step_amender)
        return res.b, res.xi

    def frame_table(self, gammas=None) -> list[dict]:
        """One row per popularity state: best cache, expected frame reward, its standard error,
        runner-up and margin (computing missing states)."""
        gammas = self.cfg.popularity_states if gammas is None else gammas
        rows = []
        for g in gammas:
            r = self.frame_result(g)
            rows.append(
                {
                    "gamma": r.gamma,
                    "best_cache": r.best_cache.tolist(),
                    "best_cache_index": int(encode_cache(r.best_cache)),
                    "expected_frame_reward": r.best_mean,
                    "stderr": r.best_stderr,
                    "runner_up_cache": r.caches[r.runner_up_index].tolist(),
                    "runner_up_reward": float(r.mean[r.runner_up_index]),
                    "margin": r.margin,
                    "margin_stderr": r.margin_stderr,
                    "mean_slot_gap": r.mean_gap,
                    "n_caches": len(r.caches),
                    "n_samples": r.n_samples,
                }
            )
        return rows


class OracleError(ValueError):
    """Bad oracle input (one sentence)."""

    exit_code = 2
