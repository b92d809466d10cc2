"""The oracle: the best allocation per slot (P2) and the best cache per popularity state (P3).

Actions do not change how the state evolves (popularity, mobility, fading and requests follow
their own chains), so the best policy is computable: the best allocation for each slot and, per
popularity state, the cache with the best expected frame reward under that allocation.

Slot problem (P2 over the amender's range)
==========================================
Every method's raw action goes through the amender (6.2.2), so we optimise over its range:
b on the simplex (11e), and xi over the users whose model is cached (11g), summing to 1 under
``step_amender="normalise"`` (the paper: all L steps are always spent) or to at most 1 under
``"cap"``. With s_u = xi_u L the steps of a hit user, user u costs (23)

    c_u(b, s) = alpha min(D_u, D_cap) + (1 - alpha) TV_u(s) + chi 1{D_u > tau},
    D_u(b, s) = f_u(b) + K_u + B1_u s                                                (9)

with f_u(b) = d_in / (b W log2(1 + p h / (N0 b W))) the uplink delay (2), (4) (convex and
decreasing in b, infinite at b = 0), K_u the rest of (4), (6), (8) (backhaul and cloud
generation for a miss, B2 for a hit), B1_u = 0 and TV_u = A4 for a miss, TV_u piecewise
linear in s with breakpoints A1, A3 (7). We maximise r = -(1/U) sum_u c_u subject to
sum_u b_u = 1 and sum_{hit} s_u = L (normalise) or <= L (cap).

Options. c_u is the minimum of 9 functions that are convex on convex domains ("options"):
mode x piece, with piece k in {[0, A1], [A1, A3], [A3, L]} (clipped to [0, L]; TV is linear on
each) and mode

* sat: no penalty, constraint f(b) + B1 s <= R_u := tau - K_u (convex);
* unsat: penalty chi, no constraint, uncapped delay (>= the true cost; equal when D <= D_cap);
* abandon: b = 0, cost alpha D_cap + chi + (1 - alpha) TV(s) (any b > 0 with D >= D_cap costs
  at least this when bandwidth has a price >= 0; chi is dropped if D_cap < tau).

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

Action (primal). At the dual optimum, the Lagrangian argmins at the bracketing multipliers are
mixed so that sum b = 1 and sum s = L hold exactly. If every user's mixture stays within one
option, the mixture is optimal up to the search tolerance (Everett): the gap closes. Otherwise
some users mix two options (the nonconvexity of the penalty and of TV(s): e.g. several users of
one model tied at the same kink, or the user that absorbs the forced excess steps under
normalise). Those users are rounded to whole options (all assignments for up to 3 tied users;
else k "high" / the rest "low" for k around the mixture's own count, ranked by Lagrangian
preference), each rounding's convex fixed-option problem is solved by the same machinery, and
the best is kept. `max_nodes > 1` adds branch and bound on the tied users' options (the dual of
each node bounds its subtree; the leaves' bounds give `upper_bound`).

The reward reported is always the testbed's own `amend_action` + `evaluate_slot` +
`slot_reward` on the raw action returned (a fixed point of the amender), and
`gap = upper_bound - reward >= 0`.

Where the bound is weak. When the step budget binds and a model's TV is flat up to A1 (no gain
before A1 steps), the dual prices the leftover steps at the chord of TV over [0, A3] while a
real user gains nothing below A1: the gap is about one user's worth of that chord (seen with the
`fitted` preset, 4-10 reward units at U = 18). Branch and bound on identical tied users does not
close it within a useful node budget; the action there is still never beaten by the baselines,
the GA or random search in our tests, but optimality is not proven. docs/oracle.md has the
measured gaps.

Frame problem (P3). For a popularity state gamma, every cache that fits (11d) (at most 2^M) is
scored by the mean slot reward of the slot oracle over `n_samples` slots drawn from the
testbed's own processes (stationary location chain, Rayleigh fading, Zipf(gamma) requests,
input sizes), the same slots for every cache (common random numbers); for a fitting cache the
frame reward (32) is that mean. A slot depends on the cache only through which users hit, so
each distinct (slot, hit pattern) is solved once.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from tqdm.auto import tqdm

from common.errors import UserError
from common.io import write_json
from rl import oracle_kernels as kernels
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
# The scalar definitions are compiled in rl/oracle_kernels.py; these are their array forms.


def _q(x: np.ndarray) -> np.ndarray:
    return kernels.q_of(np.asarray(x, dtype=np.float64))


def _flat(x) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float64).ravel()


def _special(logx: np.ndarray) -> np.ndarray:
    return kernels.special_table(_flat(logx)).reshape((4,) + np.shape(logx))


def _log_g_and_slope(logx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log G and d log G / d log x."""
    return tuple(_special(logx)[:2])


def _loglog_q_and_slope(logx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """phi = log(-log Q) (decreasing, well scaled at both ends) and d phi / d log x."""
    return tuple(_special(logx)[2:])


def _root_g(log_t: np.ndarray, exact: bool) -> tuple[np.ndarray, np.ndarray]:
    """log x with log G(x) = log_t, and d log x / d log t. Table interpolation (relative error
    ~1e-6 in x) during the search; `exact` polishes with Newton steps to machine precision."""
    logx, dlx = kernels.root_g_array(_flat(log_t), exact, kernels.TABLES)
    return logx.reshape(np.shape(log_t)), dlx.reshape(np.shape(log_t))


def _root_q(log_z: np.ndarray, exact: bool) -> np.ndarray:
    """log x with log Q(x) = log_z < 0 (via log(-log Q), decreasing in log x)."""
    return kernels.root_q_array(_flat(log_z), exact, kernels.TABLES).reshape(np.shape(log_z))


# --------------------------------------------------------------------------- the slot problem

N_OPTIONS = 3 * N_PIECES
ABANDON, UNSAT, SAT = 0, 1, 2


@dataclass
class SlotProblem:
    """A batch of N slot problems: per-user arrays (N, U), per-piece arrays (N, U, 3).

    Option o = mode * 3 + piece, mode in (abandon, unsat, sat), piece k = [lo_k, hi_k]."""

    hit: np.ndarray
    a: np.ndarray  # p h / (N0 W): SNR with the whole band is a / 1
    c: np.ndarray  # d_in ln2 / W, so f(b) = c / (a Q(b / a))
    kappa: np.ndarray  # 2 log a - log c: -f'(b) = t  <=>  log G(b / a) = log t + ... (see roots)
    log_c_over_a: np.ndarray
    K: np.ndarray  # delay independent of b and s (s)
    R: np.ndarray  # tau - K - margin: budget for uplink + steps of a satisfied user
    B1: np.ndarray  # s/step (0 for a miss)
    b1_safe: np.ndarray  # B1, or 1 where B1 = 0 (divisions)
    f1: np.ndarray  # uplink delay with the whole band
    lo: np.ndarray
    hi: np.ndarray
    length: np.ndarray
    tv_lo: np.ndarray
    slope: np.ndarray  # TV per step on the piece
    c0_unsat: np.ndarray  # alpha B1 + (1 - alpha) slope: cost per step (unsat, sat)
    c0_abandon: np.ndarray  # (1 - alpha) slope
    base_unsat: np.ndarray  # chi + alpha (K + B1 lo) + (1 - alpha) TV(lo)
    base_abandon: np.ndarray  # alpha D_cap + chi + (1 - alpha) TV(lo)
    base_sat: np.ndarray  # alpha K + (1 - alpha) (TV(lo) - slope lo)
    s_hi_sat: np.ndarray  # most steps a satisfied user can take on the piece (b = 1)
    sat_ok: np.ndarray  # the piece has a satisfied point
    interior_ok: np.ndarray  # sat_ok and B1 > 0
    option_penalty: np.ndarray  # (N, U, 9): 0 where allowed, inf where not
    has_hit: np.ndarray  # (N,)
    budget: np.ndarray  # (N,) right-hand side of the step constraint (L, or 0: none)
    step_amender: str
    L: float
    alpha: float
    log_alpha: float
    margin_s: float

    @property
    def shape(self) -> tuple[int, int]:
        return self.hit.shape

    # per-piece views of per-user constants (N, U, 1), and other derived constants
    @cached_property
    def kappa_alpha(self) -> np.ndarray:
        return self.kappa - self.log_alpha

    @cached_property
    def kappa_p(self) -> np.ndarray:
        return self.kappa[..., None]

    @cached_property
    def a_p(self) -> np.ndarray:
        return self.a[..., None]

    @cached_property
    def c_over_a(self) -> np.ndarray:
        return self.c / self.a

    @cached_property
    def c_over_a_p(self) -> np.ndarray:
        return (self.c / self.a)[..., None]

    @cached_property
    def log_c_over_a_p(self) -> np.ndarray:
        return self.log_c_over_a[..., None]

    @cached_property
    def b1_p(self) -> np.ndarray:
        return self.b1_safe[..., None]

    @cached_property
    def B1_p(self) -> np.ndarray:
        return self.B1[..., None]

    @cached_property
    def R_p(self) -> np.ndarray:
        return self.R[..., None]

    @cached_property
    def f1_p(self) -> np.ndarray:
        return self.f1[..., None]

    @cached_property
    def kernel_args(self) -> tuple:
        """The arrays rl/oracle_kernels.py reads, packed in its field orders."""
        users = np.stack([getattr(self, k) for k in kernels.USER_FIELDS], axis=-1)
        pieces = np.stack([getattr(self, k) for k in kernels.PIECE_FIELDS], axis=-2)
        return (
            np.ascontiguousarray(users, dtype=np.float64),
            np.ascontiguousarray(pieces, dtype=np.float64),
            np.ascontiguousarray(self.option_penalty, dtype=np.float64),
            np.ascontiguousarray(self.budget, dtype=np.float64),
            kernels.TABLES,
        )

    @cached_property
    def b_min_sat(self) -> np.ndarray:
        """(N, U, 3) least bandwidth of a satisfied user on each piece (at its fewest steps)."""
        y = np.maximum(self.R_p - self.B1_p * self.lo, self.f1_p)
        b = np.minimum(self.a_p * np.exp(_root_q(self.log_c_over_a_p - np.log(y), True)), 1.0)
        return np.where(self.sat_ok, b, np.inf)

    @cached_property
    def sat_penalty(self) -> np.ndarray:
        return np.where(self.sat_ok, 0.0, np.inf)

    @property
    def steps_constrained(self) -> np.ndarray:
        """(N,) whether sum s is constrained at all (normalise without hits: no)."""
        return self.has_hit | (self.step_amender == "cap")

    def uplink_delay(self, b: np.ndarray) -> np.ndarray:
        """f(b) (s) for b of shape (..., N, U); inf at b = 0."""
        with np.errstate(divide="ignore", invalid="ignore"):
            out = self.c / (self.a * _q(b / self.a))
        return np.where(b > 0, out, np.inf)

    def take(self, rows: np.ndarray) -> SlotProblem:
        """The sub-batch of problems `rows` (self when that is all of them, in order, so the
        cached derived constants are kept)."""
        if _all_rows(rows, self.shape[0]):
            return self
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            out[f.name] = v[rows] if isinstance(v, np.ndarray) else v
        return SlotProblem(**out)

    def restrict(self, allowed: np.ndarray) -> SlotProblem:
        """The same problems with only the `allowed` (N, U, 9) options."""
        if allowed.all():
            return self
        pen = np.where(allowed, 0.0, np.inf) + self.option_penalty
        return dataclasses.replace(self, option_penalty=pen)

    def with_margin(self, margin_s: float) -> SlotProblem:
        """The same problems with (11h) tightened to D <= tau - margin."""
        return _with_sat_budget(self, self.R + self.margin_s - margin_s, margin_s)


def _all_rows(rows: np.ndarray, n: int) -> bool:
    """Whether the index array `rows` is 0, 1, ..., n - 1."""
    return len(rows) == n and bool((rows == np.arange(n)).all())


def _with_sat_budget(prob: SlotProblem, R: np.ndarray, margin_s: float) -> SlotProblem:
    Rp, B1 = R[..., None], prob.B1[..., None]
    f1 = prob.f1[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        s_hi = np.where(
            B1 > 0,
            np.minimum(prob.hi, (Rp - f1) / prob.b1_safe[..., None]),
            np.where(f1 <= Rp, prob.hi, -np.inf),
        )
    sat_ok = s_hi >= prob.lo
    return dataclasses.replace(
        prob,
        R=R,
        s_hi_sat=np.where(sat_ok, s_hi, prob.lo),
        sat_ok=sat_ok,
        interior_ok=sat_ok & (B1 > 0),
        margin_s=margin_s,
    )


def build_problem(
    state: SlotState,
    cache: np.ndarray,
    params: SystemParams,
    step_amender: str,
    margin_s: float = 0.0,
) -> SlotProblem:
    """The per-user constants of the slot problems of a batch of states with their caches."""
    p = params
    if step_amender not in ("normalise", "cap"):
        raise OracleError(f"step_amender must be 'normalise' or 'cap', got {step_amender!r}.")
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
    # breakpoints 0, A1, A3, L clipped to [0, L]; a miss has three pieces at s = 0
    A1, A3 = np.minimum(p.A1[model], L), np.minimum(p.A3[model], L)
    e = np.stack([np.zeros_like(A1), A1, A3, np.full_like(A1, L)], axis=-1)
    e = np.where(hit[..., None], e, 0.0)
    tv = tv_of_steps(e, *(x[model][..., None] for x in (p.A1, p.A2, p.A3, p.A4)))
    tv = np.where(hit[..., None], tv, p.A4[model][..., None])
    length = np.diff(e, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(length > 0, np.diff(tv, axis=-1) / length, 0.0)
    lo, hi, tv_lo = e[..., :-1], e[..., 1:], tv[..., :-1]
    al, chi = float(p.alpha), float(p.slot_penalty)
    # D > D_cap implies a violation only when D_cap >= tau; otherwise drop chi (bound stays valid)
    chi_abandon = chi if p.delay_cap_s >= p.slot_duration_s else 0.0
    Kp, B1p = K[..., None], B1[..., None]
    has_hit = hit.any(axis=-1)
    budget = np.full(has_hit.shape, L) if step_amender == "cap" else np.where(has_hit, L, 0.0)
    f1 = c / (a * _q(1.0 / a))
    prob = SlotProblem(
        hit=hit,
        a=a,
        c=c,
        kappa=2.0 * np.log(a) - np.log(c),
        log_c_over_a=np.log(c) - np.log(a),
        K=K,
        R=p.slot_duration_s - K,
        B1=B1,
        b1_safe=np.where(B1 > 0, B1, 1.0),
        f1=f1,
        lo=lo,
        hi=hi,
        length=length,
        tv_lo=tv_lo,
        slope=slope,
        c0_unsat=al * B1p + (1 - al) * slope,
        c0_abandon=(1 - al) * slope,
        base_unsat=chi + al * (Kp + B1p * lo) + (1 - al) * tv_lo,
        base_abandon=al * p.delay_cap_s + chi_abandon + (1 - al) * tv_lo,
        base_sat=al * Kp + (1 - al) * (tv_lo - slope * lo),
        s_hi_sat=lo,
        sat_ok=np.zeros(lo.shape, dtype=bool),
        interior_ok=np.zeros(lo.shape, dtype=bool),
        option_penalty=np.zeros(hit.shape + (N_OPTIONS,)),
        has_hit=has_hit,
        budget=budget,
        step_amender=step_amender,
        L=L,
        alpha=al,
        log_alpha=math.log(max(al, 1e-300)),
        margin_s=0.0,
    )
    return _with_sat_budget(prob, p.slot_duration_s - K - margin_s, margin_s)


# --------------------------------------------------------------------------- Lagrangian minimisers


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
    compiled in rl/oracle_kernels.py). `log_lam`, `mu`: (P, N). `exact` polishes the scalar
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
    log_g = _log_g_and_slope(log_x)[0]
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
    (compiled: rl/oracle_kernels.solve_lambda_point).

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
    n = prob.shape[0]
    budget = prob.budget
    kinks = _kinks(prob)
    finite = np.isfinite(kinks)
    lowest = np.where(finite.any(-1), np.nanmin(np.where(finite, kinks, np.inf), -1), 0.0)
    highest = np.where(finite.any(-1), np.nanmax(np.where(finite, kinks, -np.inf), -1), 0.0)
    spread = np.maximum(highest - lowest, 1.0)
    top = highest + spread  # every step has a positive price: sum s = 0
    bottom = np.zeros(n) if prob.step_amender == "cap" else lowest - spread
    for _ in range(12):  # lower the bottom until sum s covers the budget there (normalise)
        pts = _points(prob, _scan_prices(prob, kinks, bottom, top))
        short = (pts.s_sum[0] < budget) & prob.has_hit & (prob.step_amender == "normalise")
        if not short.any():
            break
        bottom = np.where(short, 4.0 * bottom - spread, bottom)
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
    (compiled: rl/oracle_kernels.cut_refine_batch).

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
    res = _residual(prob, w, ev)
    bad = res > 1e-9
    if bad.any():
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
                sol = np.linalg.solve(
                    np.where(ok_det[:, None, None], m, np.eye(3)), rhs[..., None]
                )[..., 0]
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


# --------------------------------------------------------------------------- primal and API


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


MAX_TIE_COMBOS = 8


def _tie_candidates(prob: SlotProblem, sol: DualSolution) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-option problems that round the tied users' mixtures to whole options.

    Every non-tied user keeps its option. A tied user mixes (at least) two options; call the
    one with more steps its "high" option. With few tied users every assignment is tried; with
    more, k of them (ranked by how much their Lagrangian prefers "high") get "high" and the
    rest "low", for k around the mixture's own count sum_u w_high,u (Shapley-Folkman rounding).
    Returns (row of the original problem, allowed (R, U, 9))."""
    rows, allowed = [], []
    w = sol.weights  # (4, N)
    ev = sol.ev
    main = np.take_along_axis(ev.option, np.argmax(w, 0)[None, :, None], 0)[0]
    heavy = np.argmax(w, 0)
    for n in np.flatnonzero(sol.tie.any(-1)):
        tied = np.flatnonzero(sol.tie[n])
        pairs, w_high, pref = [], [], []
        for u in tied:
            weight_of: dict[int, float] = {}
            steps_of: dict[int, float] = {}
            for i in range(4):
                if w[i, n] > 1e-12:
                    o = int(ev.option[i, n, u])
                    weight_of[o] = weight_of.get(o, 0.0) + w[i, n]
                    steps_of[o] = ev.s[i, n, u]
            two = sorted(weight_of, key=weight_of.get, reverse=True)[:2]
            low, high = sorted(two, key=lambda o: (steps_of[o], o))
            pairs.append((low, high))
            w_high.append(weight_of[high])
            v = ev.values[heavy[n], n, u]
            pref.append(v[high] - v[low])
        if len(tied) <= 3:
            assignments = [
                [pairs[j][(mask >> j) & 1] for j in range(len(tied))]
                for mask in range(2 ** len(tied))
            ]
        else:
            order = np.argsort(pref, kind="stable")
            m = float(np.sum(w_high))
            ks = sorted(
                {
                    k
                    for k in (math.floor(m) - 1, math.floor(m), math.ceil(m), math.ceil(m) + 1)
                    if 0 <= k <= len(tied)
                }
            )
            assignments = []
            for k in ks:
                high = set(order[:k].tolist())
                assignments.append([pairs[j][1 if j in high else 0] for j in range(len(tied))])
        for assign in assignments[:MAX_TIE_COMBOS]:
            opt = main[n].copy()
            opt[tied] = assign
            rows.append(n)
            allowed.append(opt[:, None] == np.arange(N_OPTIONS))
    if not rows:
        return np.zeros(0, dtype=int), np.zeros((0,) + prob.shape[1:] + (N_OPTIONS,), bool)
    return np.asarray(rows), np.stack(allowed)


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
    """(N,) upper_bound - reward >= 0: ~0 (rounding) means proven optimal."""


def _candidate_actions(prob: SlotProblem, sol: DualSolution) -> tuple[np.ndarray, ...]:
    """Primal candidates of a solved batch: the mixture, and the tied users' options fixed and
    re-solved. Returns (row, b, s) with row the problem each candidate belongs to."""
    rows = [np.arange(prob.shape[0])]
    bs, ss = [sol.b], [sol.s]
    tie_rows, allowed = _tie_candidates(prob, sol)
    if len(tie_rows):
        sub_prob = prob.take(tie_rows).restrict(allowed & _allowed(prob)[tie_rows])
        ok = ~infeasible(sub_prob)
        tie_rows, sub_prob = tie_rows[ok], sub_prob.take(np.flatnonzero(ok))
    if len(tie_rows):
        sub = solve_dual(sub_prob)
        rows.append(tie_rows)
        bs.append(sub.b)
        ss.append(sub.s)
    return np.concatenate(rows), np.concatenate(bs), np.concatenate(ss)


def _allowed(prob: SlotProblem) -> np.ndarray:
    return np.isfinite(prob.option_penalty)


def _children(allowed: np.ndarray, sol: DualSolution, n: int) -> list[np.ndarray]:
    """Split one tied user's options in two, each half excluding one of the mixed options."""
    u = int(np.flatnonzero(sol.tie[n])[0])
    used = sol.weights[:, n] > 1e-12
    opts = sorted(set(sol.ev.option[used, n, u].tolist()))
    o1, o2 = opts[0], opts[1]
    idx = np.arange(N_OPTIONS)
    if o1 // N_PIECES != o2 // N_PIECES:
        side = idx // N_PIECES == o1 // N_PIECES
    else:
        side = idx % N_PIECES == o1 % N_PIECES
    out = []
    for part in (side, ~side):
        child = allowed.copy()
        child[u] &= part
        if child[u].any():
            out.append(child)
    return out


@dataclass
class _Best:
    reward: np.ndarray
    b: np.ndarray
    xi: np.ndarray

    def offer(self, rows, reward, b, xi) -> None:
        for i, n in enumerate(rows):
            if reward[i] > self.reward[n]:
                self.reward[n], self.b[n], self.xi[n] = reward[i], b[i], xi[i]


def slot_oracle(
    state: SlotState,
    cache: np.ndarray,
    params: SystemParams,
    step_amender: str,
    max_nodes: int = 1,
    tol: float = 1e-7,
) -> SlotOracleResult:
    """The best allocation (b, xi) per slot over the amender's range, with a certified bound.

    Lagrangian dual (bound) and its mixed argmins (action); where a gap remains, branch and
    bound on the options of the users whose argmins mix two options, up to `max_nodes` nodes
    per slot. `gap` is what is left (~0: proven optimal up to rounding)."""
    exact_prob = build_problem(state, cache, params, step_amender)
    prob = exact_prob.with_margin(SAT_MARGIN_S)
    n, u = prob.shape
    cache_rows = np.broadcast_to(np.asarray(cache), state.model.shape[:-1] + (params.n_models,))

    def score(node_rows, b, s):
        b_raw, xi_raw = raw_action(prob.take(node_rows), b, s)
        r = achieved_reward(
            _take_state(state, node_rows),
            cache_rows[node_rows],
            params,
            step_amender,
            b_raw,
            xi_raw,
        )
        return r, b_raw, xi_raw

    best = _Best(np.full(n, -np.inf), np.zeros((n, u)), np.zeros((n, u)))
    node_row = np.arange(n)
    node_allowed = np.ones((n, u, N_OPTIONS), dtype=bool)
    leaf_ub = np.full(n, -np.inf)  # the leaves partition each problem: max of their bounds
    used = np.zeros(n, dtype=int)
    while len(node_row):
        sub = prob.take(node_row).restrict(node_allowed)
        ok = ~infeasible(sub)  # an infeasible node is a leaf holding no point
        node_row, node_allowed, sub = node_row[ok], node_allowed[ok], sub.take(np.flatnonzero(ok))
        if not len(node_row):
            break
        sol = solve_dual(sub)
        ub = -dual_bound(exact_prob.take(node_row).restrict(node_allowed), sol) / u
        ub = ub + BOUND_SLACK * (1.0 + np.abs(ub))
        rows, b, s = _candidate_actions(sub, sol)
        r, b_raw, xi_raw = score(node_row[rows], b, s)
        best.offer(node_row[rows], r, b_raw, xi_raw)
        used += np.bincount(node_row, minlength=n)
        next_row, next_allowed = [], []
        for i, m in enumerate(node_row):
            if ub[i] <= best.reward[m] + tol or not sol.tie[i].any() or used[m] >= max_nodes:
                # a leaf: nothing better here, or its mixture is one option per user, or the
                # node budget is spent
                leaf_ub[m] = max(leaf_ub[m], ub[i])
                continue
            for child in _children(node_allowed[i], sol, i):
                next_row.append(m)
                next_allowed.append(child)
        node_row = np.asarray(next_row, dtype=int)
        node_allowed = np.stack(next_allowed) if next_allowed else np.zeros((0, u, N_OPTIONS), bool)
    upper = np.maximum(leaf_ub, best.reward)
    return SlotOracleResult(
        b=best.b, xi=best.xi, reward=best.reward, upper_bound=upper, gap=upper - best.reward
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
    if _all_rows(rows, len(state.model)):
        return state
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
    cfg: EdgeConfig,
    gamma_value: float,
    n_samples: int = 64,
    seed: int = 0,
    max_nodes: int = 1,
    chunk: int = 256,
    progress: bool = False,
) -> FrameOracleResult:
    """Enumerate every cache that fits (11d) and score it by the slot oracle's mean reward on
    `n_samples` common slot samples (the same samples for every cache); the frame reward (32)
    of a fitting cache is that mean. `max_nodes` is the slot oracle's branch-and-bound budget
    (1: the dual's rounded primal, which the tests show is never beaten by the baselines)."""
    params = SystemParams.from_config(cfg)
    amender = cfg.step_amender
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
    reward, gap = np.empty(len(rows)), np.empty(len(rows))
    parts = np.array_split(np.arange(len(rows)), max(1, math.ceil(len(rows) / chunk)))
    for part in tqdm(parts, desc=f"P3 gamma={gamma_value:g}", disable=not progress, leave=False):
        res = slot_oracle(
            _take_state(state, rows[part]), cache_of[part], params, amender, max_nodes=max_nodes
        )
        reward[part], gap[part] = res.reward, res.gap
    rewards = reward[inverse.reshape(-1)].reshape(n_c, n_samples)
    gaps = gap[inverse.reshape(-1)].reshape(n_c, n_samples)
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
    """`TwoTimescalePolicy`: P3-best cache per popularity state, slot oracle per slot.

    Args:
        cfg: the environment (its `step_amender` is honoured).
        n_frame_samples: common slot samples per popularity state for P3 (>= 2).
        seed: seed of those samples (per gamma value: SeedSequence([seed, round(1e6 gamma)])).
        max_nodes: the slot oracle's branch-and-bound budget per slot in `allocate` (1: the
            rounded dual primal with its certified bound; more tightens the bound and sometimes
            the action, at several times the cost).
        frame_max_nodes: the same for the P3 samples.
        progress: show a progress bar while a P3 table is computed.
    """

    name = "Oracle"

    def __init__(
        self,
        cfg: EdgeConfig,
        n_frame_samples: int = 64,
        seed: int = 0,
        max_nodes: int = 1,
        frame_max_nodes: int = 1,
        progress: bool = False,
    ):
        if not isinstance(n_frame_samples, int) or n_frame_samples < 2:
            raise OracleError(f"n_frame_samples must be an integer >= 2, got {n_frame_samples!r}.")
        for name, v in (("max_nodes", max_nodes), ("frame_max_nodes", frame_max_nodes)):
            if not isinstance(v, int) or v < 1:
                raise OracleError(f"{name} must be a positive integer, got {v!r}.")
        self.cfg = cfg
        self.params = SystemParams.from_config(cfg)
        self.n_frame_samples = n_frame_samples
        self.seed = seed
        self.max_nodes = max_nodes
        self.frame_max_nodes = frame_max_nodes
        self.progress = progress
        self._table: dict[float, FrameOracleResult] = {}
        self.last_result: SlotOracleResult | None = None
        """The slot oracle's answer behind the last `allocate` (reward, bound, gap)."""

    def frame_result(self, gamma_value: float) -> FrameOracleResult:
        """P3 for one popularity state, computed once per distinct gamma value."""
        key = float(gamma_value)
        if key not in self._table:
            seq = np.random.SeedSequence([self.seed, int(round(key * 1e6))])
            self._table[key] = frame_oracle(
                self.cfg,
                key,
                self.n_frame_samples,
                int(seq.generate_state(1)[0]),
                max_nodes=self.frame_max_nodes,
                progress=self.progress,
            )
        return self._table[key]

    def choose_cache(self, gamma: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        gamma = np.atleast_1d(np.asarray(gamma, dtype=np.float64))
        return np.stack([self.frame_result(g).best_cache for g in gamma]).astype(np.int8)

    def allocate(
        self, state: SlotState, cache: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        res = slot_oracle(
            state, cache, self.params, self.cfg.step_amender, max_nodes=self.max_nodes
        )
        self.last_result = res
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


class OracleError(UserError):
    """Bad oracle input (one sentence)."""


# --------------------------------------------------------------------------- entry point


@dataclass
class OracleArgs:
    """Arguments of `python -m rl.oracle` (P3 table and slot statistics)."""

    what: str = "slots"
    """"table": the P3 table per popularity state; "slots": time and gap per slot vs U."""
    preset: str | None = None
    """Config preset: paper or fitted (default paper)."""
    sets: list[str] = dataclasses.field(default_factory=list)
    """--set name=value config overrides (as in t2drl check-config)."""
    users: tuple[int, ...] = (10, 12, 14, 16, 18)
    """Numbers of users for "slots"."""
    slots: int = 20
    """Calls per U for "slots", one after the other."""
    batch: int = 1
    """Slots per call for "slots" (network copies stepped together; 1 = one decision at a
    time, as a policy runs). Times are per slot: a call's time divided by `batch`."""
    samples: int = 64
    """Common slot samples per popularity state for "table"."""
    max_nodes: int = 1
    """Branch-and-bound budget of the slot oracle per slot."""
    seed: int = 0
    """Seed of the simulated slots (and of the P3 samples)."""
    out: str | None = None
    """Write the result as JSON here."""


def _slot_stats(cfg: EdgeConfig, n_slots: int, seed: int, max_nodes: int, batch: int = 1) -> dict:
    """Time per slot (`batch` slots per call, after one untimed call) and certified gap of the
    slot oracle on the most-popular cache."""
    import time

    from testbed.batched import BatchedEdgeSim
    from testbed.policies import most_popular_cache

    sim = BatchedEdgeSim(cfg, batch, seed)
    sim.reset()
    sim.set_cache(most_popular_cache(sim.params))
    # untimed warm-up: the first call compiles rl/oracle_kernels.py (or loads numba's cache)
    slot_oracle(sim.state, sim.cache, sim.params, cfg.step_amender, max_nodes=max_nodes)
    times, gaps, rewards = [], [], []
    for _ in range(n_slots):
        t0 = time.perf_counter()
        res = slot_oracle(sim.state, sim.cache, sim.params, cfg.step_amender, max_nodes=max_nodes)
        times.append((time.perf_counter() - t0) / batch)
        gaps.extend(res.gap.tolist())
        rewards.extend(res.reward.tolist())
        sim.step(res.b, res.xi)
        if sim.done:
            sim.reset()
    gaps_a = np.asarray(gaps)
    return {
        "ms_per_slot_mean": 1e3 * float(np.mean(times)),
        "ms_per_slot_median": 1e3 * float(np.median(times)),
        "ms_per_slot_max": 1e3 * float(np.max(times)),
        "gap_mean": float(gaps_a.mean()),
        "gap_max": float(gaps_a.max()),
        "share_proven_optimal": float(np.mean(gaps_a <= 1e-6)),
        "reward_mean": float(np.mean(rewards)),
    }


def main(args: OracleArgs) -> dict:
    """Run the "table" or "slots" report; returns (and optionally writes) the JSON document."""
    from pathlib import Path

    from common.provenance import provenance
    from testbed.config import config_from_sources

    if args.what not in ("table", "slots"):
        raise OracleError(f"what must be 'table' or 'slots', got {args.what!r}.")
    for name in ("slots", "batch", "samples"):
        if getattr(args, name) < 1:
            raise OracleError(f"--{name} must be a positive integer, got {getattr(args, name)}.")
    doc: dict = {"args": dataclasses.asdict(args)}
    if args.what == "table":
        cfg = config_from_sources(sets=args.sets, preset=args.preset)
        policy = OraclePolicy(cfg, args.samples, args.seed, frame_max_nodes=args.max_nodes)
        policy.progress = True
        doc["table"] = policy.frame_table()
        doc["config"] = cfg.to_dict()
    else:
        rows = []
        for u in tqdm(args.users, desc="U"):
            cfg = config_from_sources(sets=[*args.sets, f"n_users={u}"], preset=args.preset)
            stats = _slot_stats(cfg, args.slots, args.seed, args.max_nodes, args.batch)
            rows.append({"n_users": u, "batch": args.batch, **stats})
        doc["rows"] = rows
        doc["config"] = cfg.to_dict()
    doc["provenance"] = provenance()
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        write_json(args.out, doc, indent=2)
    return doc


def _print(doc: dict) -> None:
    if "table" in doc:
        print(
            "| gamma | best cache (31) | expected frame reward (32) | runner-up | margin (paired s.e.) | mean slot gap |"
        )
        print("|---|---|---|---|---|---|")
        for r in doc["table"]:
            print(
                f"| {r['gamma']:g} | {r['best_cache_index']} {r['best_cache']} | "
                f"{r['expected_frame_reward']:.3f} +- {r['stderr']:.3f} | "
                f"{r['runner_up_cache']} ({r['runner_up_reward']:.3f}) | "
                f"{r['margin']:.3f} ({r['margin_stderr']:.3f}) | {r['mean_slot_gap']:.3g} |"
            )
    else:
        print("| U | ms/slot mean | median | max | gap mean | gap max | proven optimal |")
        print("|---|---|---|---|---|---|---|")
        for r in doc["rows"]:
            print(
                f"| {r['n_users']} | {r['ms_per_slot_mean']:.1f} | {r['ms_per_slot_median']:.1f} | "
                f"{r['ms_per_slot_max']:.1f} | {r['gap_mean']:.3g} | {r['gap_max']:.3g} | "
                f"{r['share_proven_optimal']:.0%} |"
            )


if __name__ == "__main__":
    import argparse
    import sys

    import torch

    torch.set_num_threads(1)
    ap = argparse.ArgumentParser(prog="python -m rl.oracle", description=main.__doc__)
    ap.add_argument("what", choices=("table", "slots"))
    ap.add_argument("--preset", default=None)
    ap.add_argument("--set", dest="sets", action="append", default=[])
    ap.add_argument("--users", default="10,12,14,16,18")
    ap.add_argument("--slots", type=int, default=20)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--samples", type=int, default=64)
    ap.add_argument("--max-nodes", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    ns = ap.parse_args()
    try:
        users = tuple(int(x) for x in ns.users.split(",") if x.strip())
    except ValueError:
        sys.exit(f"error: --users expects comma-separated integers, got '{ns.users}'.")
    try:
        out = main(
            OracleArgs(
                what=ns.what,
                preset=ns.preset,
                sets=ns.sets,
                users=users,
                slots=ns.slots,
                batch=ns.batch,
                samples=ns.samples,
                max_nodes=ns.max_nodes,
                seed=ns.seed,
                out=ns.out,
            )
        )
    except UserError as exc:  # ConfigError, OracleError: one sentence, exit 2
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    _print(out)
