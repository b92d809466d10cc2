"""Replay buffers E (D3PG, 6.2.3) and F (DDQN, 6.3.3): a ring of (s, a, r, s', done) rows.

States are stored raw (the networks normalise them, see `rl.agents.networks`), as float32 on
the CPU.
`state_dict()` holds only the filled rows as tensors, so a checkpoint loads with
`torch.load(..., weights_only=True)` and a resumed run samples exactly the same batches.
"""

from __future__ import annotations

import numpy as np
import torch


class ReplayBuffer:
    def __init__(self, capacity: int, obs_dim: int, act_dim: int, act_dtype=np.float32):
        self.capacity, self.obs_dim, self.act_dim = capacity, obs_dim, act_dim
        self.obs = np.zeros((capacity, obs_dim), dtype=np.float32)
        self.next_obs = np.zeros((capacity, obs_dim), dtype=np.float32)
        self.act = np.zeros((capacity, act_dim), dtype=act_dtype)
        self.rew = np.zeros(capacity, dtype=np.float32)
        self.done = np.zeros(capacity, dtype=np.float32)
        self.pos, self.size = 0, 0

    def __len__(self) -> int:
        return self.size

    def add(self, obs, act, rew, next_obs, done) -> None:
        """Add a batch of N transitions (arrays with a leading N axis)."""
        obs = np.asarray(obs).reshape(-1, self.obs_dim)
        n = obs.shape[0]
        idx = (self.pos + np.arange(n)) % self.capacity
        self.obs[idx] = obs
        self.act[idx] = np.asarray(act).reshape(n, self.act_dim)
        self.rew[idx] = np.asarray(rew).reshape(n)
        self.next_obs[idx] = np.asarray(next_obs).reshape(n, self.obs_dim)
        self.done[idx] = np.broadcast_to(np.asarray(done, dtype=np.float32), (n,))
        self.pos = int((self.pos + n) % self.capacity)
        self.size = int(min(self.size + n, self.capacity))

    def sample(self, batch_size: int, rng: np.random.Generator, device) -> dict[str, torch.Tensor]:
        """Uniform sample with replacement of `batch_size` rows, as tensors on `device`."""
        idx = rng.integers(0, self.size, batch_size)
        t = lambda a: torch.as_tensor(a[idx], device=device)  # noqa: E731
        return {
            "obs": t(self.obs),
            "act": t(self.act),
            "rew": t(self.rew),
            "next_obs": t(self.next_obs),
            "done": t(self.done),
        }

    def state_dict(self) -> dict:
        n = self.size
        return {
            "obs": torch.from_numpy(self.obs[:n].copy()),
            "next_obs": torch.from_numpy(self.next_obs[:n].copy()),
            "act": torch.from_numpy(self.act[:n].copy()),
            "rew": torch.from_numpy(self.rew[:n].copy()),
            "done": torch.from_numpy(self.done[:n].copy()),
            "pos": self.pos,
            "size": self.size,
        }

    def load_state_dict(self, sd: dict) -> None:
        n = int(sd["size"])
        for k in ("obs", "next_obs", "act", "rew", "done"):
            getattr(self, k)[:n] = sd[k].numpy()
        self.pos, self.size = int(sd["pos"]), n
