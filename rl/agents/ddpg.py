"""Single-timescale DDPG (companion paper 'joint caching DDPG', section IV).

One agent decides caching *and* allocation every slot. State (16):
s(k) = {gamma, h, phi, d_in, d_op} (no cache; `SlotStateEncoder(with_gamma=True)`).
Action (17): M + 2U values in [0, 1] from an MLP actor (`D3PGArgs.actor = 'mlp'`; the same
`rl.agents.d3pg.D3PG` machinery, so the critic, buffer, losses and soft updates are (24)-(29)).

Cache mapping (our choice; the companion paper does not say how rho is read from a continuous
actor): models whose score exceeds `cache_threshold` are candidates; they are cached in
descending score order while they fit in C (11d), so the cache is always feasible and no
capacity penalty is ever paid. The slot reward is (23) with that cache; the episode has the
same T K slots as T2DRL so rewards are comparable (EpisodeStats).
"""

from __future__ import annotations

import numpy as np
import torch

from rl.agents.args import D3PGArgs
from rl.agents.common import EpisodeStats
from rl.agents.d3pg import D3PG
from rl.agents.networks import SlotStateEncoder, raw_slot_state
from testbed.batched import BatchedEdgeSim, SlotState
from testbed.config import EdgeConfig
from testbed.policies import fill_cache_in_order, most_popular_cache
from testbed.system_model import SystemParams, cache_over_capacity

CACHE_THRESHOLD = 0.5


def scores_to_cache(
    scores: np.ndarray, params: SystemParams, threshold: float = CACHE_THRESHOLD
) -> np.ndarray:
    """(N, M) scores in [0, 1] -> (N, M) feasible caches: threshold, then greedy by score."""
    order = np.argsort(-scores, axis=-1, kind="stable")
    return fill_cache_in_order(order, scores > threshold, params)


class DDPGTrainer:
    """The companion paper's agent on the same `BatchedEdgeSim` episodes (T frames of K slots)."""

    def __init__(
        self,
        cfg: EdgeConfig,
        d3pg_args: D3PGArgs,
        device: torch.device,
        seed: int,
        n_envs: int = 1,
        total_episodes: int = 500,
    ):
        if d3pg_args.actor != "mlp":
            raise ValueError("the single-timescale DDPG uses actor='mlp'.")
        self.cfg, self.n_envs, self.total_episodes = cfg, n_envs, total_episodes
        seq = np.random.SeedSequence(seed)
        env_seed, agent_seed, torch_seed = seq.spawn(3)
        self.env_rng = np.random.default_rng(env_seed)
        self.rng = np.random.default_rng(agent_seed)
        self.sim = BatchedEdgeSim(cfg, n_envs, self.env_rng)
        encoder = SlotStateEncoder(cfg, with_gamma=True)
        act_dim = cfg.n_models + 2 * cfg.n_users
        params = self.sim.params
        self.agent = D3PG(
            encoder,
            act_dim,
            d3pg_args,
            device,
            int(torch_seed.generate_state(1)[0]),
            cfg.n_models,
            cache_fn=lambda scores: scores_to_cache(scores, params),
        )
        self.episode = 0

    @property
    def d3pg(self) -> D3PG:
        """The agent, under the name packs (`rl.agents.pack`) and `T2DRLTrainer` use."""
        return self.agent

    def run_episode(self) -> dict[str, float]:
        stats = EpisodeStats()
        for _ in self.episode_steps(stats):
            if self.agent.ready():
                for _ in range(self.agent.args.updates_per_step):
                    stats.add_losses(self.agent.update(self.rng))
        return self.end_episode(stats)

    def episode_steps(self, stats: EpisodeStats):
        """One episode's acting, stepping and storing; yields "slot" after each slot's
        transition is stored, where the update goes (`run_episode` alone,
        `rl.agents.pack.run_pack_episode` for a pack)."""
        cfg, sim, agent = self.cfg, self.sim, self.agent
        m, u = cfg.n_models, cfg.n_users
        sim.reset()
        obs = raw_slot_state(sim.state, None, gamma=sim.gamma)
        slot_r, over = [], []
        while True:
            action = agent.act(obs, explore=True)
            sim.set_cache(scores_to_cache(action[:, :m], sim.params))
            over.append(cache_over_capacity(sim.cache, sim.params))
            res = sim.step(action[:, m : m + u], action[:, m + u :])
            stats.add_slot(res.outcome)
            slot_r.append(res.reward)
            next_obs = obs if res.done else raw_slot_state(sim.state, None, gamma=sim.gamma)
            agent.buffer.add(obs, action, res.reward, next_obs, float(res.done))
            obs = next_obs
            if res.frame_end:
                any_over = np.any(over, axis=0)
                r = np.mean(slot_r, axis=0) - sim.params.frame_penalty * any_over
                stats.frame_rewards.append(float(r.mean()))
                stats.over_capacity.append(float(any_over.mean()))
                slot_r, over = [], []
            # last in the slot: a pack's generators run in lockstep and stop with the first
            yield "slot"
            if res.done:
                return

    def end_episode(self, stats: EpisodeStats) -> dict[str, float]:
        self.episode += 1
        return stats.summary(("critic_loss", "actor_loss"))

    def state_dict(self, with_buffers: bool = True) -> dict:
        return {
            "agent": self.agent.state_dict(with_buffers),
            "episode": self.episode,
            "env_rng": self.env_rng.bit_generator.state,
            "rng": self.rng.bit_generator.state,
        }

    def load_state_dict(self, sd: dict) -> None:
        self.agent.load_state_dict(sd["agent"])
        self.episode = int(sd["episode"])
        self.env_rng.bit_generator.state = sd["env_rng"]
        self.rng.bit_generator.state = sd["rng"]

    def policy(self, deterministic: bool = True) -> DDPGPolicy:
        return DDPGPolicy(self.agent, self.sim.params, self.cfg.popularity_states)


class DDPGPolicy:
    """The single-timescale agent as a `TwoTimescalePolicy` (greedy, no exploration noise).

    Its native decision is per slot (`decide`: cache and allocation from state (16)), which an
    evaluator can use when `per_slot_cache` is true. Under the two-timescale contract the cache
    is held for a frame: `choose_cache` maps the actor's cache scores for the last slot state it
    saw (the most popular models that fit before any state was seen), and `allocate` returns
    the actor's (b~, xi~) part. gamma is read from the state's popularity index.
    """

    name = "DDPG"
    per_slot_cache = True

    def __init__(self, agent: D3PG, params: SystemParams, gammas: tuple[float, ...]):
        self.agent, self.params = agent, params
        self.gammas = np.asarray(gammas, dtype=np.float64)
        self._last: SlotState | None = None

    def decide(self, state: SlotState, rng: np.random.Generator | None = None):
        """(cache (N, M), b~ (N, U), xi~ (N, U)) for the current slot."""
        gamma = self.gammas[state.popularity_state]
        a = self.agent.act(raw_slot_state(state, None, gamma=gamma), explore=False)
        m, u = self.params.n_models, self.params.n_users
        return scores_to_cache(a[:, :m], self.params), a[:, m : m + u], a[:, m + u :]

    def decide_slot(self, state: SlotState, cache: np.ndarray, rng: np.random.Generator):
        """The evaluator's per-slot hook (`per_slot_cache`); the current cache is not an input of (16)."""
        return self.decide(state, rng)

    def choose_cache(self, gamma: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = np.atleast_1d(gamma).shape[0]
        if self._last is None or self._last.distance_m.shape[0] != n:
            return np.tile(most_popular_cache(self.params), (n, 1))
        return self.decide(self._last, rng)[0]

    def allocate(self, state: SlotState, cache: np.ndarray, rng: np.random.Generator):
        self._last = state
        _, b, xi = self.decide(state, rng)
        return b, xi
