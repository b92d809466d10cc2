"""Gymnasium environments for the two subproblems of the main paper (section 4.1).

Both wrap `BatchedEdgeSim` with one copy and hand it the env's own `np_random`, so
`reset(seed=s)` fixes the whole trajectory. Registered ids (see `testbed/__init__.py`):
``t2drl/EdgeSlot-v0`` and ``t2drl/EdgeFrame-v0``; pass ``config=`` (an `EdgeConfig`) to
`gymnasium.make`, else the `paper` preset with seed 0 is used. The slot env's helpers below work
on all N copies at once; `testbed.vector_env.EdgeSlotVectorEnv` is the slot env over N copies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from testbed.batched import BatchedEdgeSim, SlotState, StepResult
from testbed.config import BITS_PER_MB, EdgeConfig, build_config
from testbed.policies import most_popular_cache
from testbed.system_model import SystemParams, decode_cache, equal_allocation, slot_metrics

# An allocation policy for the frame env: (slot state, cache) -> raw (b, xi), each (1, U).
AllocationPolicy = Callable[[SlotState, np.ndarray], tuple[np.ndarray, np.ndarray]]
# A cache policy for the slot env: (gamma, params) -> cache vector (M,).
CachePolicy = Callable[[float, SystemParams], np.ndarray]


def slot_observations(state: SlotState, cache: np.ndarray) -> np.ndarray:
    """State (21) of every copy, (N, 4U + M): [h (U), phi (U), rho (M), d_in (U), d_op (U)].

    Raw units: h linear (W/W), phi 0-based model ids, rho in {0, 1}, sizes in bits. Networks in
    `rl/` normalise this (h spans orders of magnitude).
    """
    return np.concatenate(
        [
            state.channel_gain,
            state.model.astype(np.float64),
            cache.astype(np.float64),
            state.input_bits,
            state.output_bits,
        ],
        axis=-1,
    )


def slot_observation(state: SlotState, cache: np.ndarray) -> np.ndarray:
    """State (21) of copy 0, flat (4U + M,): `slot_observations`' first row."""
    return slot_observations(state, cache)[0]


def slot_spaces(cfg: EdgeConfig, params: SystemParams) -> tuple[spaces.Box, spaces.Box]:
    """(action space, observation space) of one copy of the slot env (see `EdgeSlotEnv`)."""
    u, m = cfg.n_users, cfg.n_models
    action_space = spaces.Box(0.0, 1.0, (2 * u,), dtype=np.float32)
    lo = np.concatenate([np.zeros(u), np.zeros(u), np.zeros(m), np.zeros(u), np.zeros(u)])
    # h is unbounded (Exp(1) fading); the sizes are bounded by the config.
    d_in_max = cfg.input_size_max_MB * BITS_PER_MB
    d_op_max = float(params.output_bits.max())
    hi = np.concatenate(
        [
            np.full(u, np.inf),
            np.full(u, m - 1.0),
            np.ones(m),
            np.full(u, d_in_max),
            np.full(u, d_op_max),
        ]
    )
    return action_space, spaces.Box(lo, hi, dtype=np.float64)


def resolve_cache_policy(
    cfg: EdgeConfig, cache: np.ndarray | int | None, cache_policy: CachePolicy | None
) -> CachePolicy:
    """The slot env's cacher: a fixed `cache` (0/1 vector or index (31)), `cache_policy`, or by
    default the most popular models that fit."""
    m = cfg.n_models
    if cache is not None and cache_policy is not None:
        raise ValueError("give either cache or cache_policy, not both.")
    if cache is not None:
        fixed = decode_cache(cache, m) if np.ndim(cache) == 0 else np.asarray(cache, dtype=np.int8)
        if fixed.shape != (m,) or not np.isin(fixed, (0, 1)).all():
            raise ValueError(f"cache must be a 0/1 vector of length M = {m} or an index.")
        return lambda gamma, params: fixed
    return cache_policy or (lambda gamma, params: most_popular_cache(params))


def choose_caches(sim: BatchedEdgeSim, cache_policy: CachePolicy) -> None:
    """Set every copy's cache for the frame starting now: `cache_policy` at that copy's gamma."""
    caches = [cache_policy(float(gamma), sim.params) for gamma in sim.gamma]
    sim.set_cache(np.stack(caches))


OUTCOME_KEYS = (
    "channel_gain",
    "rate_up_bps",
    "rate_dw_bps",
    "hit",
    "D_up_s",
    "D_dw_s",
    "D_gt_s",
    "D_tl_s",
    "tv",
    "utility",
    "violated",
)


def outcome_infos(result: StepResult) -> dict[str, np.ndarray]:
    """Per-user components of the slot just evaluated, (N, U), plus the slot metrics, (N,)."""
    o = result.outcome
    info = {name: getattr(o, name).copy() for name in OUTCOME_KEYS}
    info["b"], info["xi"] = result.b.copy(), result.xi.copy()
    info.update({k: np.asarray(v, dtype=np.float64) for k, v in slot_metrics(o).items()})
    if result.frame_end:
        info["frame_reward"] = np.asarray(result.frame_reward, dtype=np.float64)
    return info


def state_infos(sim: BatchedEdgeSim) -> dict[str, np.ndarray]:
    """Where every copy stands, (N,) or (N, M): frame, slot, gamma, location state, cache."""
    n = sim.n_envs
    return {
        "frame": np.full(n, sim.frame),
        "slot": np.full(n, sim.slot),
        "gamma": sim.gamma.astype(np.float64),
        "location_state": sim.location_state.astype(np.int64),
        "cache": sim.cache.copy(),
    }


def first_copy(infos: dict[str, np.ndarray]) -> dict[str, Any]:
    """Copy 0 of batched infos: (N, ...) arrays become arrays, (N,) ones Python scalars."""
    return {k: v[0].copy() if v.ndim > 1 else v[0].item() for k, v in infos.items()}


def outcome_info(result: StepResult) -> dict[str, Any]:
    """Per-user components of the slot just evaluated (copy 0), plus the slot metrics."""
    return first_copy(outcome_infos(result))


class EdgeSlotEnv(gym.Env):
    """Resource allocation (problem P2): the cache is given, the agent allocates each slot.

    ## Description
    One step is one time slot. The agent splits the uplink bandwidth (b) and the BS's
    denoising steps (xi) among the U users; the action amender of section 6.2.2 makes any
    action feasible. The cache is set at every frame start by `cache_policy` (default: the
    most popular models that fit) or fixed by `cache`.

    ## Action Space
    `Box(0, 1, (2U,), float32)`: [b~_1..b~_U, xi~_1..xi~_U], amended before use.

    ## Observation Space
    `Box((4U + M,), float64)`, state (21): channel gains h (linear), requested model ids phi
    (0-based), cache rho, input sizes d_in (bits), output sizes d_op (bits).

    ## Rewards
    Eq. (23): -(1/U) sum_u (G_u + chi 1{D_tl,u > tau}).

    ## Starting State
    Popularity and location chains drawn from their stationary laws.

    ## Episode End
    Truncated after T frames of K slots (the horizon of P1); never terminated.

    ## Arguments
    `config` (EdgeConfig), `cache` (vector or index, optional), `cache_policy` (optional).
    """

    metadata = {"render_modes": []}

    def __init__(
        self,
        config: EdgeConfig | None = None,
        cache: np.ndarray | int | None = None,
        cache_policy: CachePolicy | None = None,
    ):
        self.cfg = config or build_config("paper", seed=0)
        self.sim = BatchedEdgeSim(self.cfg, n_envs=1)
        self.cache_policy = resolve_cache_policy(self.cfg, cache, cache_policy)
        self.action_space, self.observation_space = slot_spaces(self.cfg, self.sim.params)

    def _choose_cache(self) -> None:
        choose_caches(self.sim, self.cache_policy)

    def _obs(self) -> np.ndarray:
        return slot_observation(self.sim.state, self.sim.cache)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.sim.reset(self.np_random)
        self._choose_cache()
        return self._obs(), first_copy(state_infos(self.sim))

    def step(self, action):
        action = np.asarray(action, dtype=np.float64).reshape(1, -1)
        u = self.cfg.n_users
        if action.shape != (1, 2 * u):
            raise ValueError(f"action must have shape (2U,) = ({2 * u},), got {np.shape(action)}.")
        result = self.sim.step(action[:, :u], action[:, u:])
        info = outcome_infos(result)
        if result.frame_end and not result.done:
            self._choose_cache()
        # At the episode's end the state stays the last slot's (the final observation).
        info.update(state_infos(self.sim))
        return self._obs(), float(result.reward[0]), False, result.done, first_copy(info)


class EdgeFrameEnv(gym.Env):
    """Model caching (problem P3): the agent picks the cache each frame.

    ## Description
    One step is one time frame: the chosen cache is held for K slots, whose allocations come
    from `allocation_policy` (default: equal split, the amender's all-zero rule).

    ## Action Space
    `Discrete(2^M)`: cache index, decoded by eq. (31) (model 1 is the top bit).

    ## Observation Space
    `Box([0], [max gamma], (1,), float64)`: the skewness gamma(t), state (30).

    ## Rewards
    Eq. (32) (sign-corrected, see `system_model.frame_reward`): mean of the K slot rewards (23)
    minus Xi if the cache exceeds the capacity (11d). An over-capacity cache is still applied,
    as in the paper, which only penalises it.

    ## Starting State / Episode End
    Stationary chains; truncated after T frames.

    ## Arguments
    `config` (EdgeConfig), `allocation_policy` (optional).
    """

    metadata = {"render_modes": []}

    def __init__(
        self, config: EdgeConfig | None = None, allocation_policy: AllocationPolicy | None = None
    ):
        self.cfg = config or build_config("paper", seed=0)
        if self.cfg.n_models > 20:
            raise ValueError(
                f"EdgeFrameEnv enumerates 2^M caches; M = {self.cfg.n_models} is too many (max 20)."
            )
        self.sim = BatchedEdgeSim(self.cfg, n_envs=1)
        self.allocation_policy = allocation_policy or (
            lambda state, cache: equal_allocation(state.model, cache)
        )
        self.action_space = spaces.Discrete(2**self.cfg.n_models)
        top = float(max(self.cfg.popularity_states))
        self.observation_space = spaces.Box(0.0, top, (1,), dtype=np.float64)

    def _obs(self) -> np.ndarray:
        return self.sim.gamma.astype(np.float64).copy()

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.sim.reset(self.np_random)
        return self._obs(), {"frame": 0, "gamma": float(self.sim.gamma[0])}

    def step(self, action):
        cache = decode_cache(int(action), self.cfg.n_models)
        self.sim.set_cache(cache)
        slots = []
        while True:
            b, xi = self.allocation_policy(self.sim.state, self.sim.cache)
            result = self.sim.step(b, xi)
            slots.append(slot_metrics(result.outcome))
            if result.frame_end:
                break
        info = {
            "cache": cache,
            "over_capacity": bool(self.sim.over_capacity[0]),
            **{k: float(np.mean([s[k][0] for s in slots])) for k in slots[0]},
            "frame": self.sim.frame,
            "gamma": float(self.sim.gamma[0]),
        }
        return self._obs(), float(result.frame_reward[0]), False, result.done, info
