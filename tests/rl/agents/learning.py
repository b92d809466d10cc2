"""Train a learner on the tiny environment and score it against the oracle (not a test module)."""

from __future__ import annotations

from rl import registry
from rl.harness.evaluate import evaluate_policy
from rl.harness.train import main
from testbed.config import build_config
from tests.rl.tiny import TINY, tiny_args

SEEDS = range(50, 60)


def utility(policy, cfg) -> float:
    return evaluate_policy(policy, cfg, SEEDS).metrics["utility"].mean


def trained_untrained_oracle(tmp_path, algo: str, episodes: int = 30) -> tuple[float, ...]:
    """Mean utility on held-out seeds of the `default` learner after `episodes` episodes, of
    the same network untrained, and of the exact oracle."""
    cfg = build_config("paper", 0, dict(TINY))
    args = tiny_args(
        tmp_path, algo, preset="default", episodes=episodes, n_envs=8, greedy_every=0,
        checkpoint_every=1000, d3pg=None, ddqn=None,
    )  # fmt: skip
    main(args)
    return (
        utility(registry.load_policy(args.out), cfg),
        utility(registry.untrained_policy(algo, cfg), cfg),
        utility(registry.make_policy("oracle", cfg), cfg),
    )
