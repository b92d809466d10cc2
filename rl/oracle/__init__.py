"""The oracle: the best allocation per slot (P2) and the best cache per popularity state (P3).

Actions do not change how the state evolves (popularity, mobility, fading and requests follow
their own chains), so the best policy is computable: the best allocation for each slot and, per
popularity state, the cache with the best expected frame reward under that allocation.

The package, one concern per module, each importing only modules listed above it:

| module | what |
|---|---|
| `kernels.py` | the compiled inner loops (numba): special functions, per-user option minimisers, the Newton search for the bandwidth price, the cutting planes for the step price |
| `special.py` | array forms of the special functions Q, G and their roots |
| `problem.py` | the slot problem P2 over the amender's range, its nine options per user (`SlotProblem`, `build_problem`) |
| `dual.py` | the Lagrangian dual: certified bound and the search for its optimum |
| `primal.py` | from the dual optimum to an action: mixing, rounding tied users, the raw action |
| `slot.py` | the slot oracle (`slot_oracle`): dual, primal and branch and bound |
| `frame.py` | P3: every fitting cache scored on common slot samples (`frame_oracle`) |
| `policy.py` | `OraclePolicy`, a `TwoTimescalePolicy` |
| `report.py` | the `table` and `slots` reports as JSON (`t2drl oracle`) |
| `args.py` | their options (`OracleArgs`) |

The derivations are in the docstrings of problem.py, dual.py, primal.py and slot.py;
docs/oracle.md has the measured gaps and times.
"""

import importlib

# Loaded on first use (PEP 562): `rl.oracle.args` must import without numba, for the CLI.
_HOME = {
    "evaluate": "dual",
    "FrameOracleResult": "frame",
    "fitting_caches": "frame",
    "frame_oracle": "frame",
    "sample_slots": "frame",
    "OraclePolicy": "policy",
    "achieved_reward": "primal",
    "raw_action": "primal",
    "OracleError": "problem",
    "SlotProblem": "problem",
    "build_problem": "problem",
    "SlotOracleResult": "slot",
    "slot_oracle": "slot",
}


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module 'rl.oracle' has no attribute '{name}'")
    return getattr(importlib.import_module(f"rl.oracle.{_HOME[name]}"), name)


__all__ = [
    "FrameOracleResult",
    "OracleError",
    "OraclePolicy",
    "SlotOracleResult",
    "SlotProblem",
    "achieved_reward",
    "build_problem",
    "evaluate",
    "fitting_caches",
    "frame_oracle",
    "raw_action",
    "sample_slots",
    "slot_oracle",
]
