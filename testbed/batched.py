"""A batched simulator: N independent copies of the edge network stepped together with arrays.

Time runs as in the paper (section 3.1): an episode has T frames of K slots. At the start of each
frame the caller sets the cache (`set_cache`); each slot the caller observes the users' state
(`state`) and answers with an allocation (`step`). `step` evaluates the slot with the pure
`evaluate_slot`, then draws the next slot: the location chain moves every slot, the popularity
chain every frame. All copies share T and K, so episodes end together (`done`).

Used by the gymnasium envs (N = 1, with the env's `np_random`) and by training and experiments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from testbed.config import EdgeConfig
from testbed.processes import Processes
from testbed.system_model import (
    ShapeError,
    SlotOutcome,
    SystemParams,
    amend_action,
    cache_over_capacity,
    channel_gain,
    evaluate_slot,
    frame_reward,
    slot_reward,
)


@dataclass
class SlotState:
    """What the BS observes at the start of a slot (the ingredients of state (21)), shape (N, U)."""

    distance_m: np.ndarray
    fading: np.ndarray
    channel_gain: np.ndarray
    model: np.ndarray
    input_bits: np.ndarray
    output_bits: np.ndarray
    location_state: np.ndarray  # (N,) lambda index
    popularity_state: np.ndarray  # (N,) gamma index


@dataclass
class StepResult:
    outcome: SlotOutcome  # per-user components, (N, U)
    b: np.ndarray  # amended allocation actually applied
    xi: np.ndarray
    reward: np.ndarray  # (23), (N,)
    frame_end: bool  # this slot was the K-th of its frame
    frame_reward: np.ndarray | None  # (32), (N,), at frame ends
    done: bool  # the episode's T frames are over


class BatchedEdgeSim:
    """N copies of the network. `rng` is the only source of randomness."""

    def __init__(
        self, cfg: EdgeConfig, n_envs: int = 1, rng: np.random.Generator | int | None = None
    ):
        self.cfg = cfg
        self.n_envs = n_envs
        self.params = SystemParams.from_config(cfg)
        self.proc = Processes(cfg)
        self.rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        self.cache = np.zeros((n_envs, cfg.n_models), dtype=np.int8)
        self._slot_rewards = np.zeros((n_envs, cfg.n_slots))
        self.frame = 0
        self.slot = 0
        self.done = True

    # -- lifecycle
    def reset(self, rng: np.random.Generator | None = None) -> SlotState:
        """Start an episode: chains from their stationary laws, first slot drawn."""
        if rng is not None:
            self.rng = rng
        n = self.n_envs
        self.popularity_state = self.proc.initial_popularity(n, self.rng)
        self.location_state = self.proc.initial_location(n, self.rng)
        self.frame, self.slot, self.done = 0, 0, False
        self._slot_rewards[:] = 0.0
        self._draw_slot()
        return self.state

    def set_cache(self, cache: np.ndarray) -> None:
        """Cache vector(s) rho for the current frame: shape (M,) or (N, M), entries in {0, 1}."""
        cache = np.broadcast_to(np.asarray(cache), (self.n_envs, self.cfg.n_models))
        if not np.isin(cache, (0, 1)).all():
            raise ValueError("cache entries must be 0 or 1 (11a).")
        self.cache = cache.astype(np.int8).copy()

    @property
    def gamma(self) -> np.ndarray:
        """Current Zipf skewness gamma(t), (N,): the DDQN's state (30)."""
        return self.proc.gammas[self.popularity_state]

    @property
    def over_capacity(self) -> np.ndarray:
        return cache_over_capacity(self.cache, self.params)

    # -- one slot
    def step(self, b_raw: np.ndarray, xi_raw: np.ndarray, amend: bool = True) -> StepResult:
        """Apply an allocation to the current slot (through the amender unless `amend=False`)."""
        if self.done:
            raise RuntimeError("episode is over; call reset() first.")
        s = self.state
        shape = (self.n_envs, self.cfg.n_users)
        for name, a in (("b", b_raw), ("xi", xi_raw)):
            if np.shape(a) != shape:
                raise ShapeError(f"{name} must have shape (N, U) = {shape}, got {np.shape(a)}.")
        if amend:
            b, xi = amend_action(b_raw, xi_raw, s.model, self.cache, self.cfg.step_amender)
        else:
            b, xi = np.asarray(b_raw, dtype=np.float64), np.asarray(xi_raw, dtype=np.float64)
        outcome = evaluate_slot(
            s.distance_m,
            s.fading,
            s.model,
            s.input_bits,
            self.cache,
            b,
            xi,
            self.params,
            check=False,
        )
        reward = slot_reward(outcome, self.params)
        self._slot_rewards[:, self.slot] = reward
        frame_end = self.slot == self.cfg.n_slots - 1
        f_reward = frame_reward(self._slot_rewards, self.cache, self.params) if frame_end else None
        self._advance(frame_end)
        return StepResult(outcome, b, xi, reward, frame_end, f_reward, self.done)

    def _advance(self, frame_end: bool) -> None:
        self.location_state = self.proc.next_location(self.location_state, self.rng)
        if frame_end:
            self.frame += 1
            self.slot = 0
            self._slot_rewards[:] = 0.0
            if self.frame >= self.cfg.n_frames:
                self.done = True
                return
            self.popularity_state = self.proc.next_popularity(self.popularity_state, self.rng)
        else:
            self.slot += 1
        self._draw_slot()

    def _draw_slot(self) -> None:
        n, rng, proc = self.n_envs, self.rng, self.proc
        pos = proc.positions_m(self.location_state, rng)
        distance = np.hypot(pos[..., 0], pos[..., 1])
        fading = proc.fading(n, rng)
        model = proc.requests(self.popularity_state, rng)
        self.state = SlotState(
            distance_m=distance,
            fading=fading,
            channel_gain=channel_gain(distance, fading, self.params.min_distance_m),
            model=model,
            input_bits=proc.input_bits(n, rng),
            output_bits=self.params.output_bits[model],
            location_state=self.location_state.copy(),
            popularity_state=self.popularity_state.copy(),
        )
