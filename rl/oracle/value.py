"""The value of caching, `t2drl oracle value`: the oracle with its own cache against the oracle
with nothing cached, on the same held-out seeds.

Both runs are `OraclePolicy` through `testbed.rollout.run_seed`: the P3-best cache per
popularity state and the slot oracle per slot; the second is wrapped in `EmptyCache`, whose
`choose_cache` returns zeros, so every request goes to the cloud and the slot oracle only splits
the bandwidth. A seed gives both runs the same episodes (common random numbers), so the
difference is paired per seed and its 95% interval is the Student-t interval of the per-seed
differences (`common.stats.t_interval`). Two values, positive when caching helps:

* ``value_utility``: utility (11) with the empty cache minus with the oracle's (the utility is
  a cost: lower is better);
* ``value_reward``: slot reward (23) with the oracle's cache minus with the empty one, i.e. the
  same plus chi times the violations of (11h) that caching avoids: the objective the oracle
  optimises (its cache is chosen for the frame reward (32)).

Named cases (`CASES`) set the environment on top of ``--env``: the paper preset, the fitted
preset raw and at the paper's ratios (`testbed.scaling`), and the fitted preset with parts of
that rule left at Table 2's values, to show what each part does.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import numpy as np

from common.stats import t_interval
from rl.oracle.policy import OraclePolicy
from rl.oracle.problem import OracleError
from testbed.config import EdgeConfig
from testbed.rollout import run_seed

_TABLE2 = {f.name: f.default for f in fields(EdgeConfig)}


def _table2(*names: str) -> dict[str, Any]:
    return {n: _TABLE2[n] for n in names}


CASES: dict[str, dict[str, Any]] = {
    "paper": {"preset": "paper"},
    "fitted-raw": {"preset": "fitted", "fitted_scaling": "raw"},
    "fitted": {"preset": "fitted", "fitted_scaling": "paper-ratios"},
    # the three ratios only (tau, backhaul, L); input sizes, alpha, penalties, cap raw
    "fitted-tau-backhaul-L": {
        "preset": "fitted",
        "fitted_scaling": "paper-ratios",
        **_table2(
            "input_size_min_MB",
            "input_size_max_MB",
            "alpha",
            "slot_penalty",
            "frame_penalty",
            "delay_cap_s",
        ),
    },
    # the rule without its penalty part (chi, Xi at Table 2's values)
    "fitted-raw-penalties": {
        "preset": "fitted",
        "fitted_scaling": "paper-ratios",
        **_table2("slot_penalty", "frame_penalty"),
    },
}
"""Environments of `t2drl oracle value --cases`, as EdgeConfig overrides on top of --env."""
METRICS = ("utility", "hit_ratio", "violation_share", "slot_reward")


class EmptyCache:
    """`TwoTimescalePolicy`: nothing cached; the wrapped policy's allocation every slot."""

    def __init__(self, policy, n_models: int):
        self.policy, self.n_models = policy, n_models
        self.name = f"{policy.name}, empty cache"

    def choose_cache(self, gamma: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return np.zeros((np.atleast_1d(gamma).size, self.n_models), dtype=np.int8)

    def allocate(self, state, cache, rng):
        return self.policy.allocate(state, cache, rng)


def _interval(values: list[float]) -> dict[str, float]:
    mean, low, high = t_interval(values)
    return {"mean": mean, "ci95_low": low, "ci95_high": high}


def value_of_caching(
    cfg: EdgeConfig,
    seeds: tuple[int, ...],
    n_samples: int = 64,
    seed: int = 0,
    episodes: int = 1,
    max_nodes: int = 1,
) -> dict[str, Any]:
    """Both runs on every seed: per-seed metrics, their means and the paired values with 95%
    intervals (module docstring). `n_samples`, `seed`, `max_nodes`: the oracle's P3 table."""
    if len(seeds) < 2 or len(set(seeds)) != len(seeds):
        raise OracleError(f"--eval-seeds must be at least 2 distinct seeds, got {list(seeds)}.")
    oracle = OraclePolicy(cfg, n_samples, seed, max_nodes=max_nodes, frame_max_nodes=max_nodes)
    empty = EmptyCache(oracle, cfg.n_models)
    runs = {
        "cached": [run_seed(oracle, cfg, s, episodes) for s in seeds],
        "empty": [run_seed(empty, cfg, s, episodes) for s in seeds],
    }
    per_seed = {side: {m: [r[m] for r in rs] for m in METRICS} for side, rs in runs.items()}
    c, e = per_seed["cached"], per_seed["empty"]
    value_u = [x - y for x, y in zip(e["utility"], c["utility"], strict=True)]
    value_r = [x - y for x, y in zip(c["slot_reward"], e["slot_reward"], strict=True)]
    return {
        "eval_seeds": list(seeds),
        "best_caches": {f"{r['gamma']:g}": r["best_cache"] for r in oracle.frame_table()},
        **{
            side: {m: _interval(v) for m, v in per.items()} | {"per_seed": per}
            for side, per in per_seed.items()
        },
        "value_utility": _interval(value_u) | {"per_seed": value_u},
        "value_reward": _interval(value_r) | {"per_seed": value_r},
    }


def case_overrides(name: str) -> dict[str, Any]:
    """The overrides of a named case (`CASES`); one sentence naming the option otherwise."""
    if name not in CASES:
        raise OracleError(f"--cases must be among {', '.join(CASES)}, got {name!r}.")
    return dict(CASES[name])
