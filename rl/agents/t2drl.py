"""T2DRL: Algorithm 1 of the main paper -- DDQN caching per frame, D3PG allocation per slot.

One episode (H of them in a run), for N copies of the network stepped together
(`BatchedEdgeSim`; N = 1 is Algorithm 1 verbatim):

    for t = 1..T:                                   # long timescale (DDQN)
        observe s(t) = gamma(t) (30); pick a~(t) epsilon-greedily; rho(t) by (31); hold K slots
        for k = 1..K:                               # short timescale (D3PG)
            observe s_t(k) (21); x^0 from the reverse process (17)-(20); amend; reward (23)
            store [s_t(k), a_t(k), r_t(k), s_t(k+1)] in E; sample E rows; update (25), (27),
            targets (28)-(29)
        r(t) by (32); store [s(t), a(t), r(t), s(t+1)] in F; sample F rows; update (34), (35)

One deviation in order: s_t(K+1) = s_{t+1}(1) contains the next frame's cache rho(t+1), which
the DDQN picks only after its update at the end of frame t, so the slot-K transition is stored
when rho(t+1) is known (just before slot 1 of frame t+1); the D3PG update at slot K samples E
without it. The last slot of an episode is terminal (done = 1), as is the last frame.

`actor="mlp"` in `D3PGArgs` gives the 'DDPG-based T2DRL' benchmark (7.2) with the same code.
"""

from __future__ import annotations

import numpy as np
import torch

from rl.agents.args import D3PGArgs, DDQNArgs
from rl.agents.common import EpisodeStats
from rl.agents.d3pg import D3PG
from rl.agents.ddqn import DDQN
from rl.agents.diffusion import DiffusionActor, NumpyDiffusionSampler
from rl.agents.networks import SlotStateEncoder, raw_slot_state
from testbed.batched import BatchedEdgeSim, SlotState
from testbed.config import EdgeConfig
from testbed.system_model import cache_over_capacity, decode_cache


class T2DRLTrainer:
    """Algorithm 1 (or DDPG-based T2DRL with `d3pg_args.actor = 'mlp'`)."""

    def __init__(
        self,
        cfg: EdgeConfig,
        d3pg_args: D3PGArgs,
        ddqn_args: DDQNArgs,
        device: torch.device,
        seed: int,
        n_envs: int = 1,
        total_episodes: int = 500,
    ):
        self.cfg, self.n_envs, self.total_episodes = cfg, n_envs, total_episodes
        seq = np.random.SeedSequence(seed)
        env_seed, agent_seed, torch_seed = seq.spawn(3)
        self.env_rng = np.random.default_rng(env_seed)  # the simulator's only RNG
        self.rng = np.random.default_rng(agent_seed)  # epsilon-greedy and minibatch sampling
        self.sim = BatchedEdgeSim(cfg, n_envs, self.env_rng)
        encoder = SlotStateEncoder(cfg)
        self.d3pg = D3PG(
            encoder,
            2 * cfg.n_users,
            d3pg_args,
            device,
            int(torch_seed.generate_state(1)[0]),
        )
        gammas = tuple(cfg.popularity_states)
        self.ddqn = DDQN(self.sim.params, max(gammas), ddqn_args, device, gammas)
        self.episode = 0
        self.frames_seen = 0

    def run_episode(self) -> dict[str, float]:
        stats = EpisodeStats()
        for point in self.episode_steps(stats):
            if point == "slot":
                if self.d3pg.ready():
                    for _ in range(self.d3pg.args.updates_per_step):
                        stats.add_losses(self.d3pg.update(self.rng))
            else:
                self.frame_updates(stats)
        return self.end_episode(stats)

    def episode_steps(self, stats: EpisodeStats):
        """One episode's acting, stepping and storing; yields "slot" after each slot's
        transition is stored and "frame" after each frame's, where the updates go (the caller's:
        `run_episode` alone, `rl.agents.pack.run_pack_episode` for a pack)."""
        cfg, sim, d3pg, ddqn, u = self.cfg, self.sim, self.d3pg, self.ddqn, self.cfg.n_users
        total_frames = self.total_episodes * cfg.n_frames * self.n_envs
        sim.reset()
        pending = None  # slot-K transition waiting for s_{t+1}(1)
        for _t in range(cfg.n_frames):
            gamma = sim.gamma.copy()
            self._eps = eps = ddqn.epsilon(self.frames_seen, total_frames)
            idx = ddqn.act(gamma, self.rng, eps)
            sim.set_cache(decode_cache(idx, cfg.n_models))
            obs = raw_slot_state(sim.state, sim.cache)
            if pending is not None:
                d3pg.buffer.add(*pending[:3], obs, 0.0)
                pending = None
            for _k in range(cfg.n_slots):
                action = d3pg.act(obs, explore=True)
                res = sim.step(action[:, :u], action[:, u:])
                stats.add_slot(res.outcome)
                if res.frame_end and not res.done:
                    pending = (obs, action, res.reward)
                    next_obs = None
                else:
                    next_obs = obs if res.done else raw_slot_state(sim.state, sim.cache)
                    d3pg.buffer.add(obs, action, res.reward, next_obs, float(res.done))
                yield "slot"
                obs = next_obs
            # end of frame t: reward (32), transition into F
            over = cache_over_capacity(sim.cache, sim.params)
            stats.frame_rewards.append(float(res.frame_reward.mean()))
            stats.over_capacity.append(float(over.mean()))
            ddqn.buffer.add(gamma[:, None], idx[:, None], res.frame_reward, sim.gamma, res.done)
            self.frames_seen += self.n_envs
            yield "frame"

    def frame_updates(self, stats: EpisodeStats) -> None:
        """The DDQN's updates at the end of a frame."""
        if self.ddqn.ready():
            for _ in range(self.ddqn.args.updates_per_frame):
                stats.add_losses(self.ddqn.update(self.rng))

    def end_episode(self, stats: EpisodeStats) -> dict[str, float]:
        self.episode += 1
        out = stats.summary(("critic_loss", "actor_loss", "q_loss", "q_mean"))
        out["epsilon"] = self._eps
        return out

    # -- checkpoints
    def state_dict(self, with_buffers: bool = True) -> dict:
        return {
            "d3pg": self.d3pg.state_dict(with_buffers),
            "ddqn": self.ddqn.state_dict(with_buffers),
            "episode": self.episode,
            "frames_seen": self.frames_seen,
            "env_rng": self.env_rng.bit_generator.state,
            "rng": self.rng.bit_generator.state,
        }

    def load_state_dict(self, sd: dict) -> None:
        self.d3pg.load_state_dict(sd["d3pg"])
        self.ddqn.load_state_dict(sd["ddqn"])
        self.episode, self.frames_seen = int(sd["episode"]), int(sd["frames_seen"])
        self.env_rng.bit_generator.state = sd["env_rng"]
        self.rng.bit_generator.state = sd["rng"]

    def policy(self, deterministic: bool = False) -> T2DRLPolicy:
        return T2DRLPolicy(self.ddqn, self.d3pg, self.cfg.n_models, deterministic)


class T2DRLPolicy:
    """A trained T2DRL / DDPG-T2DRL agent as a `testbed.rollout.TwoTimescalePolicy` (greedy).

    choose_cache: argmax_a Q_eta(gamma, a) (masked if the agent was trained with masking),
    decoded by (31). allocate: the actor's x^0 without extra exploration noise; the diffusion
    sampler's own noise is drawn from `rng` (so one rng gives one trajectory), or switched off
    with `deterministic=True` (mean path x^L = 0). On the CPU the diffusion actor runs as a
    NumPy snapshot of the weights taken when the policy is made (`NumpyDiffusionSampler`).
    """

    def __init__(self, ddqn: DDQN, d3pg: D3PG, n_models: int, deterministic: bool = False):
        self.ddqn, self.d3pg, self.n_models = ddqn, d3pg, n_models
        self.deterministic = deterministic
        self.name = "T2DRL" if d3pg.args.actor == "diffusion" else "DDPG-T2DRL"
        # A frozen NumPy copy of the diffusion actor for CPU decisions (see NumpyDiffusionSampler).
        self._sampler = None
        if isinstance(d3pg.actor, DiffusionActor) and d3pg.device.type == "cpu":
            self._sampler = NumpyDiffusionSampler(d3pg.actor)

    def choose_cache(self, gamma: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        idx = self.ddqn.act(np.atleast_1d(gamma), rng, 0.0)
        return decode_cache(idx, self.n_models)

    def allocate(
        self, state: SlotState, cache: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        raw = raw_slot_state(state, cache)
        if self._sampler is not None:
            noise = None
            if not self.deterministic:
                shape = (self._sampler.n_steps, raw.shape[0], self._sampler.act_dim)
                noise = rng.standard_normal(shape, dtype=np.float32)
            a = self._sampler(raw, noise).astype(np.float64)
        else:
            if not self.deterministic:
                self.d3pg.gen.manual_seed(int(rng.integers(0, 2**63 - 1)))
            a = self.d3pg.act(raw, explore=False, deterministic=self.deterministic)
        u = a.shape[1] // 2
        return a[:, :u], a[:, u:]
