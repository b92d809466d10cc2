"""A third-party agent on the public env contract: Stable-Baselines3 on ``t2drl/EdgeSlot-v0``.

    pip install -e ".[sb3]"
    python docs/examples/sb3_slot_agent.py --timesteps 10000 --seed 0

The agent sees only what any gymnasium learner sees: the slot env (problem P2) of the `paper`
preset with its default cacher (the most popular models that fit,
`testbed.policies.most_popular_cache`) and the Box action [b~ (U), xi~ (U)] in [0, 1], which the
env's amender makes feasible. Once trained, the model is wrapped as a `TwoTimescalePolicy` (the
same cache rule each frame, the model's deterministic action each slot) and scored by the
project's evaluator (`rl.harness.evaluate.evaluate_policy`) on held-out seeds, beside equal allocation
and the slot oracle (`rl.oracle.OraclePolicy.allocate`) under the same cache. For the paper
preset with env seed 0 the oracle's own P3 cache is this cache in every popularity state
(docs/oracle/p3-paper-normalise.json), so there the oracle row is the full oracle.

Discount 0: no action changes how the state evolves (docs/oracle.md), so the slot problem is a
contextual bandit whose best policy maximises each slot's reward (23) on its own; a discount > 0
would only make the critic learn the sum of future slots it cannot influence.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass, fields

import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3 import PPO, SAC
from stable_baselines3.common.base_class import BaseAlgorithm

from rl.harness.evaluate import evaluate_policy
from rl.oracle import OraclePolicy
from testbed import SLOT_ENV_ID, build_config
from testbed.batched import SlotState
from testbed.config import EdgeConfig
from testbed.envs import slot_observation
from testbed.policies import most_popular_cache
from testbed.system_model import SystemParams

Allocator = Callable[[SlotState, np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]]


@dataclass
class Args:
    """Arguments of this example (the command line mirrors them)."""

    timesteps: int = 10_000
    """Environment steps (slots) of training; one episode is T x K = 100 slots."""
    seed: int = 0
    """Seed of SB3 (networks, replay sampling, exploration) and of the training env's reset."""
    env_seed: int = 0
    """Seed of the `paper` preset's model draw (which env; not the episodes)."""
    users: int = 10
    """U, users in the cell."""
    frames: int = 10
    """T, frames per episode."""
    slots: int = 10
    """K, slots per frame."""
    eval_seeds: tuple[int, ...] = (1000, 1001, 1002, 1003, 1004)
    """Held-out seeds of the evaluator (training never uses them)."""
    algo: str = "sac"
    """SB3 algorithm: sac (off-policy, the default) or ppo."""
    learning_starts: int = 1_000
    """SAC: uniformly random actions before the first update."""
    batch_size: int = 64
    """Minibatch size of each gradient step."""
    learning_rate: float = 3e-4
    """Adam step size of every network."""
    ent_coef: str = "auto"
    """SAC: entropy coefficient; "auto_0.1" tunes it from 0.1 (SB3's syntax)."""
    hidden: int = 64
    """Width of SAC's two hidden layers (actor and critics)."""
    threads: int = 1
    """torch threads (one keeps CPU runs reproducible and light)."""


class ScaledSlotObservation(gym.ObservationWrapper):
    """State (21) as scale-free features a generic MLP can use.

    Per user: (log10 h + 9) / 2 clipped to [-4, 4] (h spans about 1e-12.5 to 1e-5 in the
    paper's cell), the hit indicator rho[phi], phi / (M - 1), d_in and d_op over their maxima;
    then the cache rho (M).
    """

    def __init__(self, env: gym.Env):
        super().__init__(env)
        raw = env.observation_space
        self.u, self.m = env.unwrapped.cfg.n_users, env.unwrapped.cfg.n_models
        u, m = self.u, self.m
        self.d_in_max = float(raw.high[2 * u + m])
        self.d_op_max = float(raw.high[3 * u + m])
        lo = np.concatenate([np.full(u, -4.0), np.zeros(4 * u + m)])
        hi = np.concatenate([np.full(u, 4.0), np.ones(4 * u + m)])
        self.observation_space = spaces.Box(lo.astype(np.float32), hi.astype(np.float32))

    def observation(self, observation: np.ndarray) -> np.ndarray:
        u, m = self.u, self.m
        h, phi = observation[:u], observation[u : 2 * u].astype(np.int64)
        cache = observation[2 * u : 2 * u + m]
        d_in, d_op = observation[2 * u + m : 3 * u + m], observation[3 * u + m :]
        feats = [
            np.clip((np.log10(h) + 9.0) / 2.0, -4.0, 4.0),
            cache[phi],
            phi / max(m - 1, 1),
            d_in / self.d_in_max,
            d_op / self.d_op_max,
            cache,
        ]
        return np.concatenate(feats).astype(np.float32)


def make_env(cfg: EdgeConfig) -> ScaledSlotObservation:
    """The registered slot env (default cacher) behind the feature wrapper."""
    return ScaledSlotObservation(gym.make(SLOT_ENV_ID, config=cfg))


class MostPopularCachePolicy:
    """`TwoTimescalePolicy`: the slot env's default cache each frame, `allocate` each slot."""

    def __init__(self, name: str, cfg: EdgeConfig, allocate: Allocator):
        self.name = name
        self.cache = most_popular_cache(SystemParams.from_config(cfg))
        self.allocate = allocate

    def choose_cache(self, gamma: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return np.tile(self.cache, (len(np.atleast_1d(gamma)), 1))


def sb3_allocator(model: BaseAlgorithm, env: ScaledSlotObservation) -> Allocator:
    """The trained model's deterministic action on the same features the env gave it."""
    u = env.u

    def allocate(state: SlotState, cache: np.ndarray, rng: np.random.Generator):
        if state.model.shape[0] != 1:
            raise ValueError("this example's policy decides for one copy (N = 1), as evaluated.")
        action, _ = model.predict(
            env.observation(slot_observation(state, cache)), deterministic=True
        )
        action = np.asarray(action, dtype=np.float64).reshape(1, 2 * u)
        return action[:, :u], action[:, u:]

    return allocate


def equal_allocator(state: SlotState, cache: np.ndarray, rng: np.random.Generator):
    zeros = np.zeros(state.model.shape)
    return zeros, zeros.copy()  # the amender splits an all-zero action equally


def train(args: Args, cfg: EdgeConfig) -> tuple[BaseAlgorithm, ScaledSlotObservation]:
    """SAC or PPO with discount 0 (see the module doc); SB3's defaults otherwise."""
    env = make_env(cfg)
    common = {
        "gamma": 0.0,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "policy_kwargs": {"net_arch": [args.hidden, args.hidden]},
        "seed": args.seed,
        "device": "cpu",
        "verbose": 0,
    }
    if args.algo == "sac":
        model = SAC(
            "MlpPolicy", env, learning_starts=args.learning_starts, ent_coef=args.ent_coef, **common
        )
    elif args.algo == "ppo":
        model = PPO("MlpPolicy", env, **common)
    else:
        raise ValueError(f"algo must be sac or ppo, got {args.algo!r}.")
    model.learn(total_timesteps=args.timesteps)
    return model, env


def main(args: Args) -> dict[str, dict[str, float]]:
    """Train, then score SB3, equal allocation and the slot oracle; print and return the means."""
    torch.set_num_threads(args.threads)
    overrides = {"n_users": args.users, "n_frames": args.frames, "n_slots": args.slots}
    cfg = build_config("paper", seed=args.env_seed, overrides=overrides)
    t0 = time.perf_counter()
    model, env = train(args, cfg)
    train_s = time.perf_counter() - t0
    policies = [
        MostPopularCachePolicy(f"SB3-{args.algo.upper()}", cfg, sb3_allocator(model, env)),
        MostPopularCachePolicy("equal allocation", cfg, equal_allocator),
        MostPopularCachePolicy("oracle", cfg, OraclePolicy(cfg).allocate),
    ]
    results = {}
    for policy in policies:
        res = evaluate_policy(policy, cfg, args.eval_seeds)
        results[policy.name] = {k: v.mean for k, v in res.metrics.items()}
    oracle = results["oracle"]["utility"]
    print(
        f"{args.timesteps} {args.algo.upper()} steps in {train_s:.0f} s; eval seeds {list(args.eval_seeds)}"
    )
    print(f"{'policy':<18} {'utility':>8} {'gap %':>7} {'violations':>10} {'slot reward':>11}")
    for name, r in results.items():
        r["gap_pct"] = 100.0 * (r["utility"] - oracle) / oracle
        print(
            f"{name:<18} {r['utility']:8.3f} {r['gap_pct']:7.2f} "
            f"{r['violation_share']:10.3f} {r['slot_reward']:11.3f}"
        )
    return results


def parse_args(argv: list[str] | None = None) -> Args:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for f in fields(Args):
        default = getattr(Args, f.name)
        flag = "--" + f.name.replace("_", "-")
        if isinstance(default, tuple):
            parser.add_argument(flag, type=int, nargs="+", default=default)
        else:
            parser.add_argument(flag, type=type(default), default=default)
    ns = parser.parse_args(argv)
    values = {f.name: getattr(ns, f.name) for f in fields(Args)}
    return Args(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


if __name__ == "__main__":
    main(parse_args())
