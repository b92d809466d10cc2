"""Training-side benchmarks (not timed tests): decision time per slot and training throughput.

* `decision_time`: ms per slot of a greedy T2DRL / DDPG-T2DRL policy (`choose_cache` amortised
  over K, plus `allocate`) for one network copy, torch on one thread (Table 3's measure).
  `rl.harness.bench` (`t2drl bench rl`) measures the same thing next to the baselines, through
  the same loop (`testbed.rollout.policy_steps`); this one is kept for `t2drl bench train`.
* `train_throughput`: slots per second of `T2DRLTrainer.run_episode` including every update,
  and the extrapolated wall time of a paper-scale run (H = 500 episodes of T K slots).
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Callable

import numpy as np
import torch

from common.summary import Summary
from rl.agents.common import limit_threads
from rl.agents.presets import EPISODES, N_ENVS, hyperparameters
from rl.agents.t2drl import T2DRLTrainer
from rl.harness.args import BenchTrainArgs, TrainArgs
from rl.harness.train import main as train
from rl.registry import untrained_policy
from testbed.batched import BatchedEdgeSim
from testbed.config import build_config
from testbed.rollout import policy_steps


def decision_time(
    algo: str, n_users: int, n_slots: int = 200, env_preset: str = "paper", seed: int = 0
) -> float:
    """Mean ms per slot (cache choice amortised over K) on one thread, after 10 warm-up slots."""
    limit_threads(1)
    cfg = build_config(env_preset, 0, {"n_users": n_users})
    policy = untrained_policy(algo, cfg)
    sim = BatchedEdgeSim(cfg, 1, np.random.default_rng(seed))
    rng = np.random.default_rng(seed)
    elapsed = 0.0
    for i, step in enumerate(policy_steps(policy, sim, rng)):
        if i >= 10:
            elapsed += step.cache_s + step.decide_s
        if i == n_slots + 9:
            break
    return 1e3 * elapsed / n_slots


def train_throughput(
    algo: str = "t2drl", preset: str = "default", episodes: int = 5, warmup: int = 1
) -> dict[str, float]:
    """Slots/s of training (updates and the preset's copies included) on the paper environment,
    one thread, and the preset's full run extrapolated; the first `warmup` episodes (buffer
    filling, fewer updates) are run untimed. The greedy curve's scoring is left out."""
    with tempfile.TemporaryDirectory() as tmp:
        res = train(
            TrainArgs(
                algo=algo,
                hparams=preset,
                episodes=episodes + warmup,
                out=tmp,
                progress=False,
                tensorboard=False,
                checkpoint_every=10_000,
                greedy_every=0,
                device="cpu",
            )
        )
    cfg = build_config("paper", 0)
    slots = cfg.n_frames * cfg.n_slots
    walls = [r["wall_s"] for r in res["history"][warmup:]]
    per_episode = float(np.mean(walls))
    return {
        "slots_per_s": slots / per_episode,
        "s_per_episode": per_episode,
        "episodes": EPISODES[preset],
        "n_envs": N_ENVS[preset],
        "run_min_extrapolated": EPISODES[preset] * per_episode / 60.0,
    }


def update_time(
    algo: str = "t2drl",
    variants: tuple[tuple[int, bool], ...] = ((32, False), (64, False), (32, True)),
    n_updates: int = 100,
) -> tuple[dict[str, float], dict[str, str]]:
    """ms per D3PG update (critic + actor + targets) for each (batch size E, torch.compile)
    variant, measured side by side in one process on the paper environment, one thread; the
    `paper` preset's other hyperparameters. Rounds alternate between variants so that load
    changes hit all alike; compiling happens in an untimed warm-up. A variant that cannot
    run (no C++ compiler for torch.compile) is left out and its error returned:
    ({variant: ms}, {variant: why})."""
    limit_threads(1)
    cfg = build_config("paper", 0)
    d3pg, ddqn = hyperparameters(algo, "paper")
    trainers, rngs, errors = {}, {}, {}
    for b, compiled in variants:
        key = f"E = {b}" + (", compiled" if compiled else "")
        args = dataclasses.replace(d3pg, batch_size=b)
        tr = T2DRLTrainer(cfg, args, ddqn, torch.device("cpu"), 0, total_episodes=500)
        tr.d3pg.compile = compiled
        rngs[key] = np.random.default_rng(0)
        try:
            tr.run_episode()  # fills the replay buffer (and compiles: its updates start here)
            for _ in range(3):
                tr.d3pg.update(rngs[key])
        except Exception as e:  # noqa: BLE001 -- torch.compile's failures have many types
            errors[key] = f"{type(e).__name__}: {str(e).splitlines()[0][:120]}"
            continue
        trainers[key] = tr
    totals = dict.fromkeys(trainers, 0.0)
    for _round in range(5):
        for key, tr in trainers.items():
            t0 = time.perf_counter()
            for _ in range(n_updates // 5):
                tr.d3pg.update(rngs[key])
            totals[key] += time.perf_counter() - t0
    return {key: 1e3 * t / (5 * (n_updates // 5)) for key, t in totals.items()}, errors


def main(args: BenchTrainArgs, log: Callable[[str], None] = print) -> Summary:
    """Every measurement of `t2drl bench train`, each printed by `log` as soon as it is done;
    returns the goals as the closing summary."""
    args = dataclasses.replace(args, algos=args.algos or ("t2drl", "ddpg-t2drl"))
    for a in args.algos:
        cells = [f"U={u}: {decision_time(a, u, args.slots):.3f} ms" for u in args.users]
        log(f"decision time per slot, {a}: " + ", ".join(cells))
    for a in args.algos:
        r = train_throughput(a, args.hparams, args.episodes)
        log(
            f"training {a}/{args.hparams}: {r['slots_per_s']:.1f} slots/s, "
            f"{r['s_per_episode']:.2f} s per episode; a full {args.hparams} run (H = "
            f"{r['episodes']} episodes of {r['n_envs']} copies) extrapolated "
            f"{r['run_min_extrapolated']:.1f} min"
        )
    for a in args.algos:
        ms, errors = update_time(a)
        cells = ", ".join(f"{k}: {v:.2f} ms" for k, v in ms.items())
        base = ms["E = 32"]
        ratios = ", ".join(f"{k} / E = 32 = {v / base:.2f}" for k, v in ms.items() if k != "E = 32")
        log(f"D3PG update ({a}, side by side): {cells}; {ratios}")
        for k, why in errors.items():
            log(f"  {k} could not run: {why}")
    return (
        Summary()
        .line(
            "goal: T2DRL <= 1 ms per slot at U = 18 (paper Table 3: 1.272 ms on an RTX A5000 box)"
        )
        .line(
            "goals: a default run <= 5 CPU-minutes; paper-scale T2DRL (--hparams paper) <= 15 min"
        )
    )
