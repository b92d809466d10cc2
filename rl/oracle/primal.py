"""From the dual optimum to an action: mixing, rounding tied users, and the raw action.

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
"""

from __future__ import annotations

import math

import numpy as np

from rl.oracle.dual import DualSolution, infeasible, solve_dual
from rl.oracle.problem import N_OPTIONS, SlotProblem
from testbed.batched import SlotState
from testbed.system_model import SystemParams, amend_action, evaluate_slot, slot_reward


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
"""Most roundings of one problem's tied users that are re-solved."""


def tie_candidates(prob: SlotProblem, sol: DualSolution) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-option problems that round the tied users' mixtures to whole options.

    Every non-tied user keeps its option. A tied user mixes (at least) two options; call the
    one with more steps its "high" option. With few tied users every assignment is tried; with
    more, k of them (ranked by how much their Lagrangian prefers "high") get "high" and the
    rest "low", for k around the mixture's own count sum_u w_high,u (Shapley-Folkman rounding).
    Returns (row of the original problem, allowed (R, U, 9))."""
    rows, allowed = [], []
    w = sol.weights  # (4, N)
    main = np.take_along_axis(sol.ev.option, np.argmax(w, 0)[None, :, None], 0)[0]
    for n in np.flatnonzero(sol.tie.any(-1)):
        tied = np.flatnonzero(sol.tie[n])
        pairs, w_high, pref = _tied_pairs(sol, n, tied)
        for assign in _roundings(pairs, w_high, pref)[:MAX_TIE_COMBOS]:
            opt = main[n].copy()
            opt[tied] = assign
            rows.append(n)
            allowed.append(opt[:, None] == np.arange(N_OPTIONS))
    if not rows:
        return np.zeros(0, dtype=int), np.zeros((0,) + prob.shape[1:] + (N_OPTIONS,), bool)
    return np.asarray(rows), np.stack(allowed)


def _tied_pairs(sol: DualSolution, n: int, tied: np.ndarray) -> tuple[list, list, list]:
    """Per tied user of problem n: its (low, high) options (the two with the most weight, ordered
    by steps), the weight on high, and how much more high costs in the heaviest argmin's
    Lagrangian."""
    w, ev = sol.weights, sol.ev
    heavy = np.argmax(w, 0)
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
    return pairs, w_high, pref


def _roundings(pairs: list, w_high: list, pref: list) -> list[list[int]]:
    """Whole-option assignments of the tied users: all of them for up to 3 users, else the k
    most high-preferring users high and the rest low, for k around sum w_high."""
    n_tied = len(pairs)
    if n_tied <= 3:
        return [[pairs[j][(mask >> j) & 1] for j in range(n_tied)] for mask in range(2**n_tied)]
    order = np.argsort(pref, kind="stable")
    m = float(np.sum(w_high))
    ks = sorted(
        {
            k
            for k in (math.floor(m) - 1, math.floor(m), math.ceil(m), math.ceil(m) + 1)
            if 0 <= k <= n_tied
        }
    )
    out = []
    for k in ks:
        high = set(order[:k].tolist())
        out.append([pairs[j][1 if j in high else 0] for j in range(n_tied)])
    return out


def candidate_actions(prob: SlotProblem, sol: DualSolution) -> tuple[np.ndarray, ...]:
    """Primal candidates of a solved batch: the mixture, and the tied users' options fixed and
    re-solved. Returns (row, b, s) with row the problem each candidate belongs to."""
    rows = [np.arange(prob.shape[0])]
    bs, ss = [sol.b], [sol.s]
    tie_rows, allowed = tie_candidates(prob, sol)
    if len(tie_rows):
        sub_prob = prob.take(tie_rows).restrict(allowed & allowed_options(prob)[tie_rows])
        ok = ~infeasible(sub_prob)
        tie_rows, sub_prob = tie_rows[ok], sub_prob.take(np.flatnonzero(ok))
    if len(tie_rows):
        sub = solve_dual(sub_prob)
        rows.append(tie_rows)
        bs.append(sub.b)
        ss.append(sub.s)
    return np.concatenate(rows), np.concatenate(bs), np.concatenate(ss)


def allowed_options(prob: SlotProblem) -> np.ndarray:
    """(N, U, 9) the options each user may take."""
    return np.isfinite(prob.option_penalty)
