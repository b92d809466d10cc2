"""One run of a sweep: train (learned agents), then evaluate on held-out seeds or time decisions.

`run_one(spec, out_dir)` is what a sweep dispatches (in-process or as a Ray task). It returns a
JSON-able record; the sweep writes it atomically to ``runs/<id>.json``. Learned agents train
with `rl.harness.train.main` into ``train/<id>/``, so re-dispatching an interrupted run resumes
from its ``checkpoint.pt`` (the trainer's own resume) instead of starting over.

Record layout::

    {"spec": {...}, "run_id": ..., "config": EdgeConfig dict,
     "eval": [{"eval_seed": s, "hit_ratio": ..., "utility": ..., "violation_share": ...,
               "slot_reward": ..., "frame_reward": ..., "decision_time_ms": ...}, ...],
     "curve": {"episode": [...], "episode_reward": [...], "hit_ratio": [...], "utility": [...]},
     "bench": {"choose_cache_ms": ..., "allocate_ms": ..., "decision_time_ms": ...},
     "train_wall_s": ..., "eval_wall_s": ..., "train_cpu_s": ..., "eval_cpu_s": ...,
     "provenance": {...}}

Wall seconds are what a user waits; CPU seconds (`common.timing`) what the run cost, whatever
shared its core (records before session 15 hold wall seconds only). In a pack, each member's
training seconds are its share: the pack's over its size.

Policies come from `rl.registry.make_policy`: learned agents from their run directory
(greedy), baselines with the spec's GA settings, the oracle with the spec's P3 samples (64; the
quick form: 8) and its P3 tables kept beside the sweep's folder (`p3_store`: Table 3's oracle
reads the tables Fig. 7's oracle computed, as `rl.experiments.reuse` copies shared runs).
`POLICY_FACTORIES` maps the non-learned names to a factory `(cfg, spec, p3_tables) -> policy`
(tests swap in a stand-in there).
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common.provenance import load_average, provenance
from common.timing import Elapsed, Stopwatch
from rl import registry
from rl.agents.common import limit_threads
from rl.agents.presets import N_ENVS, ablated, hyperparameters
from rl.baselines.args import GAConfig
from rl.experiments.spec import RunSpec
from rl.harness.args import TrainArgs
from rl.harness.bench import time_policy
from rl.harness.evaluate import check_seeds
from rl.harness.train import main as train_main
from rl.harness.train_pack import main as train_pack_main
from testbed.config import build_config
from testbed.rollout import run_seed
from testbed.sources import EnvArgs

CURVE_COLUMNS = ("episode_reward", "hit_ratio", "utility", "violation_share")
# the greedy policy on held-out seeds every few episodes (`rl.harness.train.greedy_score`); NaN
# between
GREEDY_COLUMNS = ("greedy_utility", "greedy_hit_ratio", "greedy_slot_reward")
P3_TABLES = "p3-tables"


def p3_store(out_dir: Path) -> Path:
    """The folder of P3 tables the sweeps beside `out_dir` share (`rl.oracle.store`): Table 3's
    oracle times decisions on Fig. 7's environments, with Fig. 7's samples and seed."""
    return Path(out_dir).parent / P3_TABLES


def _ga_config(spec: RunSpec) -> GAConfig | None:
    if spec.ga is None:
        return None
    return GAConfig(pop_size=spec.ga[0], n_gen=spec.ga[1])


def _registry_policy(cfg, spec: RunSpec, p3_tables: Path | None = None):
    return registry.make_policy(
        spec.algo,
        cfg,
        ga=_ga_config(spec),
        oracle_samples=spec.oracle_samples or 64,
        oracle_store=p3_tables,
    )


POLICY_FACTORIES: dict[str, Callable[[Any, RunSpec, Path | None], Any]] = {
    name: _registry_policy for name in registry.NAMES if name not in registry.LEARNED
}


def env_config(spec: RunSpec):
    """The EdgeConfig a run trains and evaluates on (the spec's env seed: one model draw for
    all its runs; 0 unless stated)."""
    return build_config(spec.env_preset, spec.env_seed, spec.env_fields)


def train_args(spec: RunSpec, train_dir: Path, progress: bool = False) -> TrainArgs:
    """The `TrainArgs` of the learned agent of `spec`, trained into `train_dir`."""
    d3pg, ddqn = hyperparameters(spec.algo, spec.hparams, env_config(spec))
    n_envs = N_ENVS[spec.hparams]
    if spec.ablation is not None:
        d3pg, ddqn, n_envs = ablated(spec.algo, spec.ablation, d3pg, ddqn, n_envs)
    if spec.denoising_steps is not None:
        d3pg = dataclasses.replace(d3pg, denoising_steps=spec.denoising_steps)
    return TrainArgs(
        algo=spec.algo,
        hparams=spec.hparams,
        env=EnvArgs(spec.env_preset, spec.env_seed, overrides=spec.env_fields),
        n_envs=n_envs,
        seed=spec.train_seed,
        episodes=spec.episodes,
        out=str(train_dir),
        device="cpu",
        threads=1,
        progress=progress,
        tensorboard=False,
        d3pg=d3pg,
        ddqn=ddqn,
    )


def train(spec: RunSpec, train_dir: Path, progress: bool = False) -> dict[str, Any]:
    """Train (or resume) the learned agent of `spec` into `train_dir`; return its curve."""
    train_main(train_args(spec, train_dir, progress))
    return read_curve(train_dir / "progress.csv")


def read_curve(path: Path) -> dict[str, list[float]]:
    """Per-episode training numbers from the trainer's progress.csv (`CURVE_COLUMNS`, wall_s,
    cpu_s)."""
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    curve = {"episode": [int(r["episode"]) for r in rows]}
    for key in (*CURVE_COLUMNS, *GREEDY_COLUMNS, "wall_s", "cpu_s"):
        if rows and key in rows[0]:
            curve[key] = [float(r[key]) if r[key] != "" else float("nan") for r in rows]
    return curve


def make_policy(spec: RunSpec, cfg, train_dir: Path | None, p3_tables: Path | None = None):
    if spec.learned:
        return registry.make_policy(spec.algo, cfg, checkpoint=train_dir)
    return POLICY_FACTORIES[spec.algo](cfg, spec, p3_tables)


def evaluate(spec: RunSpec, policy, cfg) -> list[dict[str, float]]:
    """Per-seed metrics of `testbed.rollout.run_seed` (common random numbers across methods)."""
    return [
        {"eval_seed": s, **run_seed(policy, cfg, s, spec.eval_episodes)}
        for s in check_seeds(spec.eval_seeds)
    ]


def bench(spec: RunSpec, cfg, p3_tables: Path | None = None) -> dict[str, float]:
    """Table 3's decision time per slot through `rl.harness.bench.time_policy` (untrained
    networks for learned agents: inference time does not depend on the weights)."""
    if spec.learned:
        policy = registry.make_policy(spec.algo, cfg)
    else:
        policy = POLICY_FACTORIES[spec.algo](cfg, spec, p3_tables)
    return time_policy(policy, cfg, spec.train_seed, spec.bench_slots)


def run_one(spec: RunSpec, out_dir: str | Path, progress: bool = False) -> dict[str, Any]:
    """Train/evaluate/time one run; return its record (the caller writes it)."""
    limit_threads(1)  # one core per run: the sweep runs several side by side
    out_dir = Path(out_dir)
    cfg = env_config(spec)
    record = _record_head(spec, cfg)
    if spec.kind == "bench":
        watch = Stopwatch()
        record["bench"] = bench(spec, cfg, p3_store(out_dir))
        # the run's whole cost (networks, the oracle's P3 table, warm-up), not only its timed slots
        _store(record, "bench", watch.elapsed())
    else:
        train_dir = out_dir / "train" / spec.run_id if spec.learned else None
        watch = Stopwatch()
        if spec.learned:
            record["curve"] = train(spec, train_dir, progress)
        _store(record, "train", watch.elapsed())
        _evaluate_into(record, spec, cfg, train_dir, p3_store(out_dir))
    return _record_tail(record)


def run_pack(specs: list[RunSpec], out_dir: str | Path) -> list[dict[str, Any]]:
    """Train the learned runs `specs` together as one pack (`rl.harness.train_pack`), then
    evaluate each; their records, in order. `train_wall_s` of each is its share of the pack's
    training time (over the pack's size); `pack_size` says how many shared it."""
    if len(specs) == 1:
        return [run_one(specs[0], out_dir)]
    limit_threads(1)
    out_dir = Path(out_dir)
    dirs = [out_dir / "train" / s.run_id for s in specs]
    watch = Stopwatch()
    train_pack_main([train_args(s, d) for s, d in zip(specs, dirs, strict=True)])
    share = watch.elapsed() / len(specs)
    records = []
    for spec, train_dir in zip(specs, dirs, strict=True):
        cfg = env_config(spec)
        record = _record_head(spec, cfg)
        record["curve"] = read_curve(train_dir / "progress.csv")
        _store(record, "train", share)
        record["pack_size"] = len(specs)
        _evaluate_into(record, spec, cfg, train_dir)
        records.append(_record_tail(record))
    return records


def _record_head(spec: RunSpec, cfg) -> dict[str, Any]:
    return {"run_id": spec.run_id, "spec": spec.to_dict(), "config": cfg.to_dict()}


def _evaluate_into(
    record: dict[str, Any],
    spec: RunSpec,
    cfg,
    train_dir: Path | None,
    p3_tables: Path | None = None,
) -> None:
    watch = Stopwatch()
    record["eval"] = evaluate(spec, make_policy(spec, cfg, train_dir, p3_tables), cfg)
    _store(record, "eval", watch.elapsed())


def _store(record: dict[str, Any], what: str, spent: Elapsed) -> None:
    record[f"{what}_wall_s"], record[f"{what}_cpu_s"] = spent.wall_s, spent.cpu_s


def _record_tail(record: dict[str, Any]) -> dict[str, Any]:
    record["provenance"] = provenance()
    record["load_average"] = load_average()
    return record
