"""A short simulation with random caching and equal allocation (RCARS's policy), batched.

The reference point every method is compared with, and the project's smoke job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from common.progress import progress_bar
from common.stats import t_interval
from common.summary import Summary
from testbed.batched import BatchedEdgeSim
from testbed.config import ConfigError, EdgeConfig
from testbed.policies import random_cache
from testbed.sources import EnvArgs
from testbed.system_model import equal_allocation, slot_metrics


@dataclass
class SimulationSummary:
    episodes: int
    hit_ratio: np.ndarray  # per episode
    utility: np.ndarray
    violation_share: np.ndarray
    slot_reward: np.ndarray
    frame_reward: np.ndarray


def simulate_random_equal(
    cfg: EdgeConfig, episodes: int, seed: int, progress=None
) -> SimulationSummary:
    """`episodes` independent episodes stepped together; `progress(frame)` is called per frame."""
    rng = np.random.default_rng(seed)
    sim = BatchedEdgeSim(cfg, n_envs=episodes, rng=rng)
    sim.reset()
    sums = {
        k: np.zeros(episodes) for k in ("hit_ratio", "utility", "violation_share", "slot_reward")
    }
    frame_rewards = np.zeros(episodes)
    slots = 0
    while not sim.done:
        if sim.slot == 0:
            sim.set_cache(random_cache(sim.params, rng, episodes))
        b, xi = equal_allocation(sim.state.model, sim.cache)
        res = sim.step(b, xi)
        for k, v in slot_metrics(res.outcome).items():
            sums[k] += v
        sums["slot_reward"] += res.reward
        slots += 1
        if res.frame_end:
            frame_rewards += res.frame_reward
            if progress is not None:
                progress(sim.frame)
    return SimulationSummary(
        episodes=episodes,
        hit_ratio=sums["hit_ratio"] / slots,
        utility=sums["utility"] / slots,
        violation_share=sums["violation_share"] / slots,
        slot_reward=sums["slot_reward"] / slots,
        frame_reward=frame_rewards / cfg.n_frames,
    )


@dataclass
class SimulateArgs:
    """A short simulation with random caching and equal allocation (RCARS)."""

    env: EnvArgs = field(default_factory=EnvArgs)
    """The edge network."""
    episodes: int = 20
    """Independent episodes, stepped together (at least 2, for a confidence interval)."""
    sim_seed: int = 0
    """Seed of the simulation's randomness."""
    progress: bool = True
    """Show a progress bar over frames."""


def main(args: SimulateArgs) -> Summary:
    """Run `simulate_random_equal`; the metrics' means and 95 % intervals over episodes."""
    if not isinstance(args.episodes, int) or args.episodes < 2:
        raise ConfigError(
            f"--episodes must be at least 2 (for a confidence interval), got {args.episodes}."
        )
    cfg = args.env.build()
    with progress_bar(total=cfg.n_frames, desc="frames", enabled=args.progress) as bar:
        result = simulate_random_equal(
            cfg, args.episodes, args.sim_seed, lambda frame: bar.update(1)
        )
    rows = []
    for name, values in (
        ("model hit ratio", result.hit_ratio),
        ("utility (11), lower is better", result.utility),
        ("share of requests violating (11h)", result.violation_share),
        ("slot reward (23)", result.slot_reward),
        ("frame reward (32)", result.frame_reward),
    ):
        mean, lo, hi = t_interval(values)
        rows.append({"metric": name, "mean": f"{mean:.4g}", "95% CI": f"[{lo:.4g}, {hi:.4g}]"})
    return Summary().table(
        f"Random caching + equal allocation: {cfg.preset} preset, U = {cfg.n_users}, "
        f"M = {cfg.n_models}, {args.episodes} episodes of {cfg.n_frames}x{cfg.n_slots} slots",
        rows,
    )
