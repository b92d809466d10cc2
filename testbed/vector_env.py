"""The slot subproblem (P2) as one gymnasium `VectorEnv` over `BatchedEdgeSim`'s N copies.

`EdgeSlotEnv` wraps the batched simulator with one copy; `EdgeSlotVectorEnv` hands it all of
them, so one `step` is one `BatchedEdgeSim.step` of N copies. Observation (21), action and reward
(23) of each copy are `EdgeSlotEnv`'s (same helpers in `testbed.envs`), stacked along axis 0.
Built by ``gymnasium.make_vec("t2drl/EdgeSlot-v0", num_envs=n)`` (the registered
``vector_entry_point``, gymnasium's default mode when one is registered) or directly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from testbed.batched import BatchedEdgeSim
from testbed.config import EdgeConfig, build_config
from testbed.envs import (
    CachePolicy,
    choose_caches,
    outcome_infos,
    resolve_cache_policy,
    slot_observations,
    slot_spaces,
    state_infos,
)


def with_masks(infos: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Gymnasium's vector info layout: every key has a mask ``_key``; here all copies have all."""
    n = len(next(iter(infos.values())))
    return {**infos, **{f"_{k}": np.ones(n, dtype=bool) for k in infos}}


class EdgeSlotVectorEnv(VectorEnv):
    """N copies of the resource-allocation env (problem P2), stepped as one batch.

    ## Description
    Copy i is an `EdgeSlotEnv`: one step is one time slot, the agent splits the uplink bandwidth
    (b) and the BS's denoising steps (xi) among the U users, the amender (6.2.2) makes the action
    feasible, and the cache is set at every frame start by `cache_policy` at that copy's gamma
    (default: the most popular models that fit) or fixed by `cache`.

    ## Action Space
    `Box(0, 1, (N, 2U), float32)`: row i is copy i's [b~_1..b~_U, xi~_1..xi~_U].

    ## Observation Space
    `Box((N, 4U + M), float64)`: row i is copy i's state (21) [h, phi, rho, d_in (bits),
    d_op (bits)], as `EdgeSlotEnv`'s (`single_observation_space`).

    ## Rewards
    (N,) float64, eq. (23) per copy: -(1/U) sum_u (G_u + chi 1{D_tl,u > tau}).

    ## Starting State
    Popularity and location chains of every copy drawn from their stationary laws.

    ## Episode End and Autoreset
    All copies share T and K, so every copy is truncated after T frames of K slots at the same
    step; never terminated. Autoreset is gymnasium's default, `AutoresetMode.NEXT_STEP`
    (``metadata["autoreset_mode"]``): the truncating step returns each copy's last state; the
    next `step` ignores its actions and returns the new episodes' first observations with
    reward 0 and both flags False. The new episodes continue the same generator.

    ## Seeding
    One generator drives all copies (`BatchedEdgeSim` draws the batch's arrays from one RNG):
    ``reset(seed=s)`` fixes all N trajectories, but copy i does not replay a single env seeded
    `s` (with N = 1 it does, bit for bit, also across autoresets). A list of seeds is refused.

    ## Info
    Per-user arrays (N, U) (``D_tl_s``, ``tv``, ``utility``, ``violated``, ``hit``, ``b``,
    ``xi``, ...), slot metrics (N,) (``hit_ratio``, ``utility``, ``violation_share``),
    ``frame_reward`` (N,) (32) at frame ends, and ``frame``, ``slot``, ``gamma``,
    ``location_state`` (N,), ``cache`` (N, M); each key with gymnasium's mask ``_key``.

    ## Arguments
    `config` (EdgeConfig, default the `paper` preset with seed 0), `num_envs` (N),
    `cache` (vector or index, optional), `cache_policy` (optional).
    """

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        config: EdgeConfig | None = None,
        num_envs: int = 1,
        cache: np.ndarray | int | None = None,
        cache_policy: CachePolicy | None = None,
    ):
        if int(num_envs) != num_envs or num_envs < 1:
            raise ValueError(f"num_envs must be a positive integer, got {num_envs!r}.")
        self.cfg = config or build_config("paper", seed=0)
        self.num_envs = int(num_envs)
        self.sim = BatchedEdgeSim(self.cfg, n_envs=self.num_envs)
        self.cache_policy = resolve_cache_policy(self.cfg, cache, cache_policy)
        self.single_action_space, self.single_observation_space = slot_spaces(
            self.cfg, self.sim.params
        )
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self._autoreset = False

    def _obs(self) -> np.ndarray:
        return slot_observations(self.sim.state, self.sim.cache)

    def _start_episodes(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        self.sim.reset(self.np_random)
        choose_caches(self.sim, self.cache_policy)
        self._autoreset = False
        return self._obs(), with_masks(state_infos(self.sim))

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        if seed is not None and not isinstance(seed, int | np.integer):
            raise ValueError(
                f"seed must be one int (one generator drives all copies), got {seed!r}."
            )
        super().reset(seed=None if seed is None else int(seed))
        return self._start_episodes()

    def step(self, actions):
        actions = np.asarray(actions, dtype=np.float64)
        n, u = self.num_envs, self.cfg.n_users
        if actions.shape != (n, 2 * u):
            raise ValueError(
                f"actions must have shape (N, 2U) = ({n}, {2 * u}), got {actions.shape}."
            )
        if self._autoreset:
            obs, info = self._start_episodes()
            no = np.zeros(n, dtype=bool)
            return obs, np.zeros(n), no, no.copy(), info
        result = self.sim.step(actions[:, :u], actions[:, u:])
        info = outcome_infos(result)
        if result.frame_end and not result.done:
            choose_caches(self.sim, self.cache_policy)
        info.update(state_infos(self.sim))
        self._autoreset = result.done
        truncated = np.full(n, result.done)
        return (
            self._obs(),
            result.reward.astype(np.float64),
            np.zeros(n, dtype=bool),
            truncated,
            with_masks(info),
        )
