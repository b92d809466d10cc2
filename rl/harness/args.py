"""The options of `t2drl train`, `evaluate`, `bench rl`, `bench train`, `bench pack` and `bench ga`
(light: no torch).

These dataclasses are the one declaration of each option: the CLI is generated from them
(`t2drl_cli`), and code calls `rl.harness.{train,evaluate,bench,bench_train,...}.main` with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from common.cli_types import CommaInts, Hidden, Repeatable, renamed
from rl.agents.args import D3PGArgs, DDQNArgs
from rl.agents.presets import DEFAULT_PRESET
from rl.baselines.args import GAConfig
from testbed.sources import EnvArgs


@dataclass
class TrainArgs:
    """Train T2DRL, DDPG-based T2DRL or single-timescale DDPG (`rl.harness.train.main`)."""

    algo: str = "t2drl"
    """'t2drl' (DDQN + D3PG), 'ddpg-t2drl' (DDQN + MLP actor), 'ddpg' (single timescale)."""
    hparams: str = DEFAULT_PRESET
    """Hyperparameter preset (rl/agents/presets.py): 'default' (reaches the oracle, docs/rl.md),
    'paper' (Table 2 / 7.1 verbatim) or 'tuned' (the earlier default)."""
    env: EnvArgs = field(default_factory=EnvArgs)
    """The edge network trained on (default: the paper preset, env seed 0)."""
    seed: int = 0
    """Training seed: simulator, exploration, minibatches, network initialisation."""
    episodes: int | None = None
    """Episodes H; default the preset's (default 100, paper and tuned 500)."""
    out: str | None = None
    """Run directory; default runs/<algo>-<hparams>-<env preset>-s<seed>."""
    n_envs: int | None = None
    """Copies of the network stepped together (1 = Algorithm 1 verbatim); default the
    preset's (default 8, paper 1)."""
    device: str = "auto"
    """'auto' (CUDA when present), 'cpu' or 'cuda'."""
    threads: int | None = 1
    """torch and NumPy-BLAS threads for this process (`rl.agents.common.limit_threads`; None
    leaves them). 1 by default: the networks are small, and more threads on a busy machine
    made updates much slower (docs/benchmarks.md)."""
    compile: bool = False
    """torch.compile the D3PG/DDPG losses (`rl.agents.d3pg.D3PG.compile`): cheaper updates for
    some seconds of compiling (docs/benchmarks.md); needs a C++ compiler. Recorded in run.json;
    a run resumes only with the same choice."""
    checkpoint_every: int = 10
    """Episodes between checkpoints (also written after the last episode)."""
    resume: bool = True
    """Continue from out/checkpoint.pt when it exists; --no-resume starts afresh (overwrites)."""
    stop_after: int | None = None
    """Stop after this many episodes in this call (to slice a run; resume continues it)."""
    greedy_every: int = 10
    """Score the greedy policy every this many episodes (and after the last) on
    `greedy_seeds` with the evaluator (`testbed.rollout.run_seed`); 0 never. Logged as the
    progress.csv columns greedy_* (empty otherwise) and TensorBoard's greedy/*."""
    greedy_seeds: CommaInts = (900, 901)
    """Held-out seeds of the greedy curve (disjoint from the experiments' 1000-1009)."""
    progress: bool = True
    """Show a progress bar."""
    tensorboard: bool = True
    """Write TensorBoard scalars."""
    d3pg: Hidden[D3PGArgs | None] = None
    """Override the preset's D3PG/DDPG hyperparameters entirely (tests, sweeps)."""
    ddqn: Hidden[DDQNArgs | None] = None
    """Override the preset's DDQN hyperparameters entirely."""


@dataclass
class EvaluateArgs:
    """Evaluate a baseline or a trained agent on held-out seeds (`rl.harness.evaluate.main`)."""

    algo: str | None = None
    """Baseline to evaluate: rcars, schrs, hcras or oracle (`rl.oracle.OraclePolicy`), or leave
    unset and give `checkpoint` (`rl.registry` lists every method)."""
    checkpoint: str | None = None
    """A trained agent's run folder or policy.pt / checkpoint.pt (`rl.registry.load_policy`)."""
    seeds: CommaInts = (100, 101, 102, 103, 104)
    """Held-out evaluation seeds, e.g. 100,101 or 100-104 (training should not use them)."""
    episodes: int = 1
    """Episodes per seed (T x K slots each)."""
    env: EnvArgs = field(default_factory=EnvArgs)
    """The edge network; default a checkpoint's own, else the paper preset. Given with a
    checkpoint, it must agree with the one trained on."""
    ga: GAConfig = field(default_factory=GAConfig)
    """GA settings of SCHRS and HCRAS."""
    out: str | None = None
    """Write the result as JSON here and as CSV beside it (same stem, .csv)."""


@dataclass
class BenchArgs:
    """Decision time per slot of every method (the paper's Table 3; `rl.harness.bench.main`)."""

    users: CommaInts = (10, 12, 14, 16, 18)
    """Numbers of users U to time (Table 3's columns)."""
    algos: Annotated[Repeatable[tuple[str, ...]], renamed("algo")] = ()
    """Methods to time, repeatable; default Table 3's (`rl.registry`'s paper_table3)."""
    slots: int = 5
    """Timed slots per (method, U), after one untimed warm-up slot."""
    seed: int = 0
    """Seed of the simulated slots and of the policies' generators."""
    env: EnvArgs = field(default_factory=EnvArgs)
    """The edge network (n_users is set per column)."""
    ga: GAConfig = field(default_factory=GAConfig)
    """GA settings of SCHRS and HCRAS."""
    out: str | None = None
    """Write the table as JSON here."""


@dataclass
class BenchGAArgs:
    """The SCHRS and HCRAS GA through pymoo's `minimize` against the same GA on arrays
    (`rl.harness.bench_ga.main`): CPU ms per slot side by side, and whether every best
    chromosome is the same."""

    users: CommaInts = (10, 18)
    """Numbers of users U to time."""
    slots: int = 5
    """Slots of one network copy per U (each solved by both, alternating)."""
    seed: int = 0
    """Seed of the simulated slots and of the GA runs."""
    env: EnvArgs = field(default_factory=EnvArgs)
    """The edge network (n_users is set per U)."""
    ga: GAConfig = field(default_factory=GAConfig)
    """GA settings."""


@dataclass
class BenchTrainArgs:
    """Decision time per slot, training throughput and the cost of one D3PG update
    (`rl.harness.bench_train.main`); goals printed, not asserted."""

    algos: Annotated[Repeatable[tuple[str, ...]], renamed("algo")] = ()
    """Learners to time, repeatable; default t2drl and ddpg-t2drl."""
    users: CommaInts = (10, 12, 14, 16, 18)
    """U values of the decision-time cells."""
    slots: int = 200
    """Timed slots per decision-time cell."""
    episodes: int = 3
    """Timed training episodes per learner."""
    hparams: str = DEFAULT_PRESET
    """Hyperparameter preset of the throughput run."""


@dataclass
class BenchPackArgs:
    """Packed against one-at-a-time D3PG updates (`rl.harness.bench_pack.main`): agent-updates
    per CPU-second side by side, where an update's time goes, and whole training episodes;
    goals printed, not asserted."""

    algo: str = "t2drl"
    """Learner: 't2drl', 'ddpg-t2drl' or 'ddpg' (the single-timescale agent)."""
    sizes: CommaInts = (1, 5, 25)
    """Pack sizes K (the same K agents are also updated one at a time)."""
    critic_widths: CommaInts = (256, 64)
    """Hidden width of the critic's two layers, one measurement each (64: the default
    design's since session 10; 256: 7.1's)."""
    updates: int = 200
    """Agent-updates per timed cell (split in rounds alternating packed and alone)."""
    episodes: int = 1
    """Timed training episodes per member for the whole-training cells (0: skip them)."""
    episode_pack: int = 5
    """K of the whole-training cells."""
    device: str = "cpu"
    """Where the agents live: 'cpu' (agent-updates per CPU-second, one thread) or 'cuda'
    (per wall second, the device synchronised before each reading)."""
