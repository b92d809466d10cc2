"""Every method of the paper's comparison in one table, and the one factory that builds a policy.

| name         | kind     | building it needs                           | source                  |
|--------------|----------|---------------------------------------------|-------------------------|
| `t2drl`      | learned  | a trained run (untrained: for timing only)  | main paper, Algorithm 1 |
| `ddpg-t2drl` | learned  | likewise                                    | main paper 7.2          |
| `ddpg`       | learned  | likewise                                    | companion paper IV      |
| `rcars`      | baseline | nothing                                     | main paper 7.2          |
| `schrs`      | baseline | GA settings (`rl.baselines.args.GAConfig`)    | main paper 7.2          |
| `hcras`      | baseline | GA settings                                 | companion paper V-B     |
| `oracle`     | oracle   | slots per popularity state for its P3 table | ours (docs/oracle.md)   |

`METHODS` keeps this order, which is the order of every report and sweep. The tables of the
harness and the experiments (`rl.harness.bench.ALGOS`, `rl.experiments.spec.ALGOS`, ...) are
views of it. `make_policy` builds any of them as a `testbed.rollout.TwoTimescalePolicy`; a
learned agent comes from its run directory (`load_policy`) or, without one, freshly
initialised (`untrained_policy`, for decision-time benches: inference time does not depend on
the weights).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.device import resolve_device
from common.errors import UserError
from rl.agents.args import D3PGArgs, DDQNArgs
from rl.agents.checkpoint import load_into, load_state, read_run_record
from rl.agents.ddpg import DDPGTrainer
from rl.agents.presets import hyperparameters
from rl.agents.t2drl import T2DRLTrainer
from rl.baselines.args import GAConfig
from rl.baselines.policies import make_baseline
from rl.oracle import OraclePolicy
from testbed.config import EdgeConfig, validate_config

KINDS = ("learned", "baseline", "oracle")


@dataclass(frozen=True)
class Method:
    """One row of the table above."""

    name: str
    """Name on the command line and in run records."""
    display: str
    """Label in figures and tables."""
    kind: str
    """'learned', 'baseline' or 'oracle' (`KINDS`)."""
    needs: tuple[str, ...] = ()
    """What building it takes besides the config: 'checkpoint' (a trained run directory),
    'ga' (`GAConfig`), 'frame_samples' (the oracle's P3 samples)."""
    paper_table3: bool = False
    """A row of the main paper's Table 3 (decision time per slot)."""


METHODS: tuple[Method, ...] = (
    Method("t2drl", "T2DRL", "learned", ("checkpoint",), paper_table3=True),
    Method("ddpg-t2drl", "DDPG-based T2DRL", "learned", ("checkpoint",), paper_table3=True),
    Method("ddpg", "DDPG (single timescale)", "learned", ("checkpoint",)),
    Method("rcars", "RCARS", "baseline", paper_table3=True),
    Method("schrs", "SCHRS", "baseline", ("ga",), paper_table3=True),
    Method("hcras", "HCRAS", "baseline", ("ga",), paper_table3=True),
    Method("oracle", "Oracle", "oracle", ("frame_samples",)),
)
BY_NAME: dict[str, Method] = {m.name: m for m in METHODS}
NAMES: tuple[str, ...] = tuple(BY_NAME)
DISPLAY: dict[str, str] = {m.name: m.display for m in METHODS}
# Table 3's row order (the paper's rows, with ours inserted after their nearest kin).
TABLE3_ORDER = ("t2drl", "ddpg-t2drl", "ddpg", "schrs", "hcras", "rcars", "oracle")


def names(kind: str) -> tuple[str, ...]:
    """Names of one kind ('learned', 'baseline' or 'oracle'), in table order."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind '{kind}'; expected one of {', '.join(KINDS)}.")
    return tuple(m.name for m in METHODS if m.kind == kind)


LEARNED = names("learned")


class TrainError(UserError):
    """Bad training input (unknown algorithm or preset, missing checkpoint): one sentence."""


# --------------------------------------------------------------------------- learned agents


def build_trainer(
    algo: str,
    cfg: EdgeConfig,
    d3pg: D3PGArgs,
    ddqn: DDQNArgs,
    device: str = "auto",
    seed: int = 0,
    n_envs: int = 1,
    episodes: int = 500,
    compile: bool = False,
):
    """The trainer of a learned method: `DDPGTrainer` for 'ddpg' (one timescale), else
    `T2DRLTrainer` (the actor in `d3pg` tells T2DRL from DDPG-based T2DRL)."""
    if algo not in LEARNED:
        raise TrainError(f"unknown algorithm '{algo}'; expected one of {', '.join(LEARNED)}.")
    dev = resolve_device(device)
    if algo == "ddpg":
        trainer = DDPGTrainer(cfg, d3pg, dev, seed, n_envs, episodes)
        trainer.agent.compile = compile
    else:
        trainer = T2DRLTrainer(cfg, d3pg, ddqn, dev, seed, n_envs, episodes)
        trainer.d3pg.compile = compile
    return trainer


def config_from_dict(d: dict[str, Any]) -> EdgeConfig:
    """An `EdgeConfig` from its `to_dict()` as JSON read it back (lists become tuples)."""

    def tup(v):
        return tuple(tup(x) for x in v) if isinstance(v, list) else v

    cfg = EdgeConfig(**{k: tup(v) for k, v in d.items()})
    validate_config(cfg)
    return cfg


def load_policy(checkpoint_path: str | os.PathLike, device: str = "cpu", deterministic=False):
    """A trained agent as a `TwoTimescalePolicy` (greedy, no exploration noise).

    `checkpoint_path`: a run directory, its ``policy.pt`` or its ``checkpoint.pt``; ``run.json``
    must sit beside it. `deterministic` (T2DRL only): the diffusion actor's mean path instead of
    sampling with noise seeded from the caller's rng.
    """
    p = Path(checkpoint_path)
    if p.is_dir():
        p = p / "policy.pt"
    if not p.is_file():
        raise TrainError(f"checkpoint '{p}' does not exist.")
    meta = p.with_name("run.json")
    record = read_run_record(meta, checkpoint_path)
    if record.get("algo") not in LEARNED:
        raise TrainError(f"'{meta}' names no known algorithm (got {record.get('algo')!r}).")
    cfg = config_from_dict(record["config"])
    d3pg = D3PGArgs(**{k: _tuple(v) for k, v in record["d3pg"].items()})
    ddqn = DDQNArgs(**{k: _tuple(v) for k, v in (record["ddqn"] or {}).items()})
    trainer = build_trainer(
        record["algo"], cfg, d3pg, ddqn, device, record["seed"], 1, record["episodes"]
    )
    sd = load_state(p, device=device)
    load_into(trainer, sd.get("trainer", sd), p)
    return trainer.policy(deterministic=deterministic)


def _tuple(v):
    return tuple(v) if isinstance(v, list) else v


def untrained_policy(algo: str, cfg: EdgeConfig, preset: str = "paper", seed: int = 0):
    """A freshly initialised agent of `algo` on `cfg` as a policy (for decision-time benches:
    inference time does not depend on the weights)."""
    if algo not in LEARNED:
        raise TrainError(f"unknown algorithm '{algo}'; expected one of {', '.join(LEARNED)}.")
    d3pg, ddqn = hyperparameters(algo, preset)
    d3pg = dataclasses.replace(d3pg, buffer_size=1)
    ddqn = dataclasses.replace(ddqn, buffer_size=1)
    return build_trainer(algo, cfg, d3pg, ddqn, "cpu", seed, 1, 1).policy()


# --------------------------------------------------------------------------- the factory


def make_policy(
    name: str,
    cfg: EdgeConfig,
    *,
    checkpoint: str | os.PathLike | None = None,
    ga: GAConfig | None = None,
    oracle_samples: int = 64,
    oracle_store: str | os.PathLike | None = None,
):
    """The policy of method `name` (case-insensitive) on `cfg`.

    Learned: the agent trained in `checkpoint` (`load_policy`), or an untrained one when it is
    None. Baselines: `rl.baselines.policies.make_baseline` with `ga`; any other name ends there
    too, in its one-sentence `UnknownAlgorithmError`. Oracle: `OraclePolicy` with
    `oracle_samples` slots per popularity state for its P3 table (seed 0), kept in the folder
    `oracle_store` when given (`rl.oracle.store`).
    """
    key = name.lower()
    kind = BY_NAME[key].kind if key in BY_NAME else "baseline"
    if kind == "learned":
        return untrained_policy(key, cfg) if checkpoint is None else load_policy(checkpoint)
    if kind == "oracle":
        return OraclePolicy(cfg, n_frame_samples=oracle_samples, seed=0, store=oracle_store)
    return make_baseline(name, cfg, ga)
