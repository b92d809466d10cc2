"""The slot problem (P2 over the amender's range): its per-user constants and its options.

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

A `SlotProblem` holds these constants for a batch of N slots; rl/oracle/dual.py bounds and
solves it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from common.errors import UserError
from rl.oracle import kernels
from rl.oracle.special import q_array, root_q
from testbed.batched import SlotState
from testbed.system_model import SystemParams, downlink_rate_bps, tv_of_steps

LN2 = math.log(2.0)
N_PIECES = kernels.N_PIECES
"""Pieces of TV(s) (7): [0, A1], [A1, A3], [A3, L]."""
N_OPTIONS = kernels.N_OPTIONS
"""Options per user: mode (abandon, unsat, sat) x piece."""


class OracleError(UserError):
    """Bad oracle input (one sentence)."""


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

    @cached_property
    def c_over_a(self) -> np.ndarray:
        return self.c / self.a

    @cached_property
    def kernel_args(self) -> tuple:
        """The arrays rl/oracle/kernels.py reads, packed in its field orders."""
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
        y = np.maximum(self.R[..., None] - self.B1[..., None] * self.lo, self.f1[..., None])
        log_x = root_q(self.log_c_over_a[..., None] - np.log(y), True)
        b = np.minimum(self.a[..., None] * np.exp(log_x), 1.0)
        return np.where(self.sat_ok, b, np.inf)

    @property
    def steps_constrained(self) -> np.ndarray:
        """(N,) whether sum s is constrained at all (normalise without hits: no)."""
        return self.has_hit | (self.step_amender == "cap")

    def take(self, rows: np.ndarray) -> SlotProblem:
        """The sub-batch of problems `rows` (self when that is all of them, in order, so the
        cached derived constants are kept)."""
        if all_rows(rows, self.shape[0]):
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


def all_rows(rows: np.ndarray, n: int) -> bool:
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


def take_state(state: SlotState, rows: np.ndarray) -> SlotState:
    """The slot states `rows` of a batch (the batch itself when that is all of them, in order)."""
    if all_rows(rows, len(state.model)):
        return state
    return SlotState(**{f: getattr(state, f)[rows] for f in SlotState.__dataclass_fields__})


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
    a = p.user_tx_power_W * h / (p.noise_psd_W_per_Hz * p.uplink_bandwidth_Hz)
    c = d_in * LN2 / p.uplink_bandwidth_Hz
    K = _fixed_delay_s(model, hit, h, d_in, p)
    L = float(p.total_denoising_steps)
    B1 = np.where(hit, p.B1[model], 0.0)
    lo, hi, length, tv_lo, slope = _tv_pieces(model, hit, p)
    al, chi = float(p.alpha), float(p.slot_penalty)
    # D > D_cap implies a violation only when D_cap >= tau; otherwise drop chi (bound stays valid)
    chi_abandon = chi if p.delay_cap_s >= p.slot_duration_s else 0.0
    Kp, B1p = K[..., None], B1[..., None]
    has_hit = hit.any(axis=-1)
    budget = np.full(has_hit.shape, L) if step_amender == "cap" else np.where(has_hit, L, 0.0)
    f1 = c / (a * q_array(1.0 / a))
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


def _fixed_delay_s(
    model: np.ndarray, hit: np.ndarray, h: np.ndarray, d_in: np.ndarray, p: SystemParams
) -> np.ndarray:
    """K: the delay that depends on neither b nor s, (4), (6), (8): downlink, plus B2 for a hit
    or backhaul and cloud generation for a miss."""
    out_bits = p.output_bits[model]
    d_dw = out_bits / downlink_rate_bps(h, p)
    miss_k = d_in / p.bs_to_cloud_rate_bps + out_bits / p.cloud_to_bs_rate_bps
    return d_dw + np.where(hit, p.B2[model], miss_k + p.cloud_gen_delay_s[model])


def _tv_pieces(model: np.ndarray, hit: np.ndarray, p: SystemParams) -> tuple[np.ndarray, ...]:
    """(lo, hi, length, TV(lo), slope), each (N, U, 3): the pieces of TV(s) (7) on which it is
    linear, breakpoints 0, A1, A3, L clipped to [0, L]; a miss has three pieces at s = 0."""
    L = float(p.total_denoising_steps)
    A1, A3 = np.minimum(p.A1[model], L), np.minimum(p.A3[model], L)
    e = np.stack([np.zeros_like(A1), A1, A3, np.full_like(A1, L)], axis=-1)
    e = np.where(hit[..., None], e, 0.0)
    tv = tv_of_steps(e, *(x[model][..., None] for x in (p.A1, p.A2, p.A3, p.A4)))
    tv = np.where(hit[..., None], tv, p.A4[model][..., None])
    length = np.diff(e, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(length > 0, np.diff(tv, axis=-1) / length, 0.0)
    return e[..., :-1], e[..., 1:], length, tv[..., :-1], slope
