"""The slot oracle: the best allocation per slot (P2) with a certified bound on its reward.

Each slot's problem (rl/oracle/problem.py) is bounded by its Lagrangian dual (rl/oracle/dual.py)
and answered by the dual's rounded primal (rl/oracle/primal.py); with `max_nodes > 1`, branch
and bound on the options of the users whose argmins mix two options (the dual of each node
bounds its subtree; the leaves' bounds give `upper_bound`).

Where the bound is weak. When the step budget binds and a model's TV is flat up to A1 (no gain
before A1 steps), the dual prices the leftover steps at the chord of TV over [0, A3] while a
real user gains nothing below A1: the gap is about one user's worth of that chord (seen with the
`fitted` preset, 4-10 reward units at U = 18). Branch and bound on identical tied users does not
close it within a useful node budget; the action there is still never beaten by the baselines,
the GA or random search in our tests, but optimality is not proven. docs/oracle.md has the
measured gaps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rl.oracle.dual import DualSolution, dual_bound, infeasible, solve_dual
from rl.oracle.primal import achieved_reward, candidate_actions, raw_action
from rl.oracle.problem import N_OPTIONS, N_PIECES, SlotProblem, build_problem, take_state
from testbed.batched import SlotState
from testbed.system_model import SystemParams

BOUND_SLACK = 1e-9
"""Relative slack added to the dual bound for floating-point rounding."""
SAT_MARGIN_S = 1e-9
"""A satisfied user's delay is kept this far below tau, so rounding never flips (11h)."""


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
    """(N,) certified upper bound on the best slot reward (Lagrangian dual, rl/oracle/dual.py)."""
    gap: np.ndarray
    """(N,) upper_bound - reward >= 0: ~0 (rounding) means proven optimal."""


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
            take_state(state, node_rows),
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
        ub = _node_bound(exact_prob.take(node_row).restrict(node_allowed), sol)
        rows, b, s = candidate_actions(sub, sol)
        best.offer(node_row[rows], *score(node_row[rows], b, s))
        used += np.bincount(node_row, minlength=n)
        node_row, node_allowed = _branch(
            node_row, node_allowed, sol, ub, best.reward + tol, used < max_nodes, leaf_ub
        )
    upper = np.maximum(leaf_ub, best.reward)
    return SlotOracleResult(
        b=best.b, xi=best.xi, reward=best.reward, upper_bound=upper, gap=upper - best.reward
    )


def _node_bound(exact: SlotProblem, sol: DualSolution) -> np.ndarray:
    """(nodes,) certified upper bound on each node's best slot reward, with rounding slack."""
    ub = -dual_bound(exact, sol) / exact.shape[1]
    return ub + BOUND_SLACK * (1.0 + np.abs(ub))


def _branch(
    node_row: np.ndarray,
    node_allowed: np.ndarray,
    sol: DualSolution,
    ub: np.ndarray,
    beat: np.ndarray,
    budget_left: np.ndarray,
    leaf_ub: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The next nodes: the children of every node whose bound beats its problem's best reward
    (`beat`), whose mixture ties some user and whose problem has node budget left. The other
    nodes are leaves; their bounds go into `leaf_ub` (per problem, in place)."""
    next_row, next_allowed = [], []
    for i, m in enumerate(node_row):
        if ub[i] <= beat[m] or not sol.tie[i].any() or not budget_left[m]:
            # a leaf: nothing better here, or its mixture is one option per user, or the
            # node budget is spent
            leaf_ub[m] = max(leaf_ub[m], ub[i])
            continue
        for child in _children(node_allowed[i], sol, i):
            next_row.append(m)
            next_allowed.append(child)
    u = node_allowed.shape[1]
    allowed = np.stack(next_allowed) if next_allowed else np.zeros((0, u, N_OPTIONS), bool)
    return np.asarray(next_row, dtype=int), allowed
