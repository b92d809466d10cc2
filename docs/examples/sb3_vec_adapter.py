"""Stable-Baselines3 on the batched slot env: a gymnasium `VectorEnv` as an SB3 `VecEnv`.

    python docs/examples/sb3_vec_adapter.py --copies 16 --timesteps 2000

SB3 (2.x) takes its own `VecEnv`, not a gymnasium `VectorEnv`, and expects same-step autoreset:
a done copy's step returns the new episode's first observation and keeps the last one in
``info["terminal_observation"]``. `testbed.vector_env.EdgeSlotVectorEnv` autoresets on the next
step (gymnasium's default, NEXT_STEP), whose actions it ignores. So at a step where copies
finish, the adapter keeps the returned observation as the terminal one and steps once more to get
the first observations of the new episodes. The slot env ends all copies together, and it is
never terminated, only truncated, so SB3 bootstraps through ``TimeLimit.truncated``.
"""

from __future__ import annotations

import argparse
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from stable_baselines3 import SAC
from stable_baselines3.common.vec_env import VecEnv, VecMonitor

from testbed import SLOT_ENV_ID, build_config


class SB3VecAdapter(VecEnv):
    """A NEXT_STEP-autoresetting gymnasium `VectorEnv` seen as an SB3 `VecEnv` (one seed)."""

    def __init__(self, venv: VectorEnv):
        if venv.metadata.get("autoreset_mode") is not AutoresetMode.NEXT_STEP:
            raise ValueError("the adapter needs a vector env that autoresets on the next step.")
        self.venv = venv
        super().__init__(venv.num_envs, venv.single_observation_space, venv.single_action_space)
        self._actions: np.ndarray | None = None

    def reset(self) -> np.ndarray:
        obs, _ = self.venv.reset(seed=self._seeds[0])
        self._reset_seeds()
        self._reset_options()
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self):
        obs, rewards, terminated, truncated, _ = self.venv.step(self._actions)
        dones = terminated | truncated
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if dones.any():
            for i in np.flatnonzero(dones):
                infos[i] = {
                    "terminal_observation": obs[i],
                    "TimeLimit.truncated": bool(truncated[i] and not terminated[i]),
                }
            reset_obs, *_ = self.venv.step(self._actions)  # NEXT_STEP: actions ignored
            obs = np.where(dones[:, None], reset_obs, obs)
        return obs, rewards.astype(np.float32), dones, infos

    def close(self) -> None:
        self.venv.close()

    def get_attr(self, attr_name: str, indices=None) -> list[Any]:
        return [getattr(self.venv, attr_name)] * len(self._get_indices(indices))

    def set_attr(self, attr_name: str, value: Any, indices=None) -> None:
        raise NotImplementedError("the copies share one simulator; set attributes on it directly.")

    def env_method(self, method_name: str, *args, indices=None, **kwargs) -> list[Any]:
        raise NotImplementedError("the copies share one simulator; call it directly.")

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices=None) -> list[bool]:
        return [False] * len(self._get_indices(indices))


def main(
    copies: int, timesteps: int, seed: int, overrides: dict | None = None, hidden: int = 64
) -> SAC:
    """SAC (discount 0, as in sb3_slot_agent.py; two hidden layers of `hidden`, batch 64) on
    `copies` copies of the paper preset's slot env (env seed 0, U = 10 unless `overrides` says
    otherwise), on its raw observations (21)."""
    cfg = build_config("paper", seed=0, overrides={"n_users": 10, **(overrides or {})})
    venv = VecMonitor(SB3VecAdapter(gym.make_vec(SLOT_ENV_ID, num_envs=copies, config=cfg)))
    venv.seed(seed)
    model = SAC(
        "MlpPolicy",
        venv,
        gamma=0.0,
        batch_size=64,
        learning_starts=100,
        policy_kwargs={"net_arch": [hidden, hidden]},
        seed=seed,
        verbose=0,
    )
    return model.learn(total_timesteps=timesteps)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--copies", type=int, default=16)
    p.add_argument("--timesteps", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    model = main(a.copies, a.timesteps, a.seed)
    returns = [ep["r"] for ep in model.ep_info_buffer]
    print(
        f"{len(returns)} episodes, mean return {np.mean(returns):.1f}" if returns else "no episode"
    )
