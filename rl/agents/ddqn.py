"""DDQN: the long-timescale caching agent (main paper, section 6.3).

State s(t) = gamma(t) (30); action: a cache index a~ in {0, .., 2^M - 1}, decoded by (31)
(`testbed.system_model.decode_cache`, model 1 is the top bit); reward (32): the frame's mean
slot reward minus Xi if the cache exceeds the capacity (the simulator computes it).
Two readings of the Q-network (section 6.3; docs/rl.md):

* ``q_input="index"``: one output per cache index 0..2^M - 1 (2 x 128, ReLU;
  `rl.agents.networks.QNetwork`), as 6.3.2 (a~ in {0, .., 2^M - 1}) and 6.4's complexity imply;
* ``q_input="cache"``: Q(s(t), a(t)) with the cache vector rho as an input, as 6.3.3 says
  ("takes s(t) and a(t) as inputs"; `rl.agents.networks.CacheQNetwork`); greedy by enumerating the
  caches that fit (11d) (145 of the 1 024 in the paper's draw), epsilon-greedy over them. Values
  are shared between caches holding the same models, so it learns from far fewer frames.

Learning, per update: y^ = r + rho (1 - done) Q^_eta^(s', argmax_a Q_eta(s', a)) (33a),
loss (33) = mean 1/2 (y^ - Q_eta(s, a))^2, Adam step (34), soft target update (35) with rate
kappa = `tau`.

Exploration: epsilon-greedy. epsilon falls linearly from `eps_start` to `eps_end` over the
first `eps_decay_fraction` of the run's frames (H T frames), then stays at `eps_end`; a random
action is uniform over all 2^M indices, or over the caches that fit when
`mask_over_capacity` is on. Masking (off in the `paper` preset, which only penalises with Xi)
also restricts the greedy argmax and the argmax of (33a) to caches that fit. With
``q_input="cache"`` only caches that fit are ever enumerated (masking is implied).
"""

from __future__ import annotations

import copy

import numpy as np
import torch
import torch.nn.functional as F

from rl.agents.args import DDQNArgs
from rl.agents.buffer import ReplayBuffer
from rl.agents.common import make_adam, soft_update
from rl.agents.networks import CacheQNetwork, QNetwork
from testbed.system_model import SystemParams, cache_over_capacity, decode_cache


class DDQN:
    def __init__(
        self,
        params: SystemParams,
        gamma_max: float,
        args: DDQNArgs,
        device,
        gammas: tuple[float, ...] | None = None,
    ):
        """`gammas`: the popularity states Gamma (`q_input="cache"`; default (gamma_max,))."""
        self.args, self.device, self.m = args, device, params.n_models
        self.n_actions = 2**params.n_models
        if args.q_input == "index":
            q = QNetwork(params.n_models, gamma_max, tuple(args.hidden))
        elif args.q_input == "cache":
            q = CacheQNetwork(params.n_models, tuple(gammas or (gamma_max,)), tuple(args.hidden))
        else:
            raise ValueError(f"unknown q_input '{args.q_input}'; expected 'index' or 'cache'.")
        self.q = q.to(device)
        self.q_target = copy.deepcopy(self.q)
        for p in self.q_target.parameters():
            p.requires_grad_(False)
        self.opt = make_adam(self.q.parameters(), args.lr)
        self.buffer = ReplayBuffer(args.buffer_size, 1, 1, act_dtype=np.int64)
        all_caches = decode_cache(np.arange(self.n_actions), self.m)
        self.feasible = ~cache_over_capacity(all_caches, params)  # (2^M,)
        self.feasible_idx = np.flatnonzero(self.feasible)
        self._mask = torch.as_tensor(np.where(self.feasible, 0.0, -np.inf), dtype=torch.float32)
        self._mask = self._mask.to(device)
        self._caches = torch.as_tensor(all_caches, device=device)  # (2^M, M), index -> rho (31)
        self._fitting = self._caches[self.feasible_idx]
        self.n_updates = 0

    def epsilon(self, frames_seen: int, total_frames: int) -> float:
        a = self.args
        horizon = max(a.eps_decay_fraction * total_frames, 1.0)
        frac = min(frames_seen / horizon, 1.0)
        return a.eps_start + frac * (a.eps_end - a.eps_start)

    @property
    def masks(self) -> bool:
        """Whether only caches that fit (11d) are ever chosen."""
        return self.args.mask_over_capacity or self.args.q_input == "cache"

    def _q_masked(self, net, gamma: torch.Tensor) -> torch.Tensor:
        """Q over every cache index (-inf where masked out), (B, 2^M)."""
        if self.args.q_input == "cache":
            q = torch.full((gamma.shape[0], self.n_actions), -torch.inf, device=gamma.device)
            q[:, self.feasible_idx] = net(gamma, self._fitting)
            return q
        q = net(gamma)
        return q + self._mask if self.args.mask_over_capacity else q

    def _q_taken(self, net, gamma: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        """Q of the index taken, (B,); `idx` (B, 1)."""
        if self.args.q_input == "cache":
            return net(gamma, self._caches[idx]).squeeze(-1)  # caches (B, 1, M)
        return net(gamma).gather(-1, idx).squeeze(-1)

    @torch.no_grad()
    def act(self, gamma: np.ndarray, rng: np.random.Generator, epsilon: float = 0.0) -> np.ndarray:
        """Cache indices (N,) for skewness values gamma (N,): epsilon-greedy (greedy at 0)."""
        g = torch.as_tensor(np.asarray(gamma, dtype=np.float32), device=self.device)
        greedy = self._q_masked(self.q, g).argmax(-1).cpu().numpy()
        if epsilon <= 0.0:
            return greedy
        n = greedy.shape[0]
        explore = rng.random(n) < epsilon
        if self.masks:
            rand = self.feasible_idx[rng.integers(0, len(self.feasible_idx), n)]
        else:
            rand = rng.integers(0, self.n_actions, n)
        return np.where(explore, rand, greedy)

    def ready(self) -> bool:
        return len(self.buffer) >= max(self.args.learning_starts, 1)

    def update(self, rng: np.random.Generator) -> dict[str, float]:
        a = self.args
        batch = self.buffer.sample(a.batch_size, rng, self.device)
        with torch.no_grad():
            y_hat = a.reward_scale * batch["rew"]
            if a.discount > 0:  # with rho = 0 the target network drops out of (33a)
                next_a = self._q_masked(self.q, batch["next_obs"]).argmax(-1, keepdim=True)
                q_next = self._q_taken(self.q_target, batch["next_obs"], next_a)
                y_hat = y_hat + a.discount * (1.0 - batch["done"]) * q_next
        q = self._q_taken(self.q, batch["obs"], batch["act"])
        loss = 0.5 * F.mse_loss(q, y_hat)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        soft_update(self.q_target, self.q, a.tau)
        self.n_updates += 1
        return {"q_loss": loss.item(), "q_mean": q.detach().mean().item()}

    def state_dict(self, with_buffer: bool = True) -> dict:
        sd = {
            "q": self.q.state_dict(),
            "q_target": self.q_target.state_dict(),
            "opt": self.opt.state_dict(),
            "n_updates": self.n_updates,
        }
        if with_buffer:
            sd["buffer"] = self.buffer.state_dict()
        return sd

    def load_state_dict(self, sd: dict) -> None:
        self.q.load_state_dict(sd["q"])
        if "q_target" in sd:
            self.q_target.load_state_dict(sd["q_target"])
            self.opt.load_state_dict(sd["opt"])
            self.n_updates = int(sd["n_updates"])
        if "buffer" in sd:
            self.buffer.load_state_dict(sd["buffer"])
