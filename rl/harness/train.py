"""Training entry point: `main(TrainArgs)` runs T2DRL, DDPG-based T2DRL or single-timescale DDPG.

Writes into `out/`:

* ``progress.csv``: one row per episode (episode_reward, hit_ratio, utility, violation_share,
  over_capacity_share, epsilon, mean losses, wall_s, cpu_s: `common.timing`);
* ``tb/``: TensorBoard scalars of the same numbers;
* ``checkpoint.pt``: everything needed to resume (networks, targets, optimisers, replay
  buffers, NumPy generator states, torch generator state), tensors and plain Python only,
  so `torch.load(..., weights_only=True)` reads it; written atomically (tmp file + rename)
  every `checkpoint_every` episodes and at the end;
* ``policy.pt``: the same without the replay buffers (small), for `rl.registry.load_policy`;
* ``run.json``: environment config, hyperparameters, episodes done, versions.

Resuming (`resume=True`, the default) continues from ``checkpoint.pt`` and reaches the same
numbers as an uninterrupted run: all randomness comes from generators whose states are saved,
and the CSV/TensorBoard rows after the checkpoint are dropped.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from common.io import atomic_write, writable_dir, write_json
from common.progress import progress_bar
from common.provenance import versions
from common.summary import Summary
from common.timing import Elapsed, Stopwatch
from rl.agents.checkpoint import load_into, load_state, own_tensors, read_run_record
from rl.agents.common import limit_threads, seed_everything
from rl.agents.presets import EPISODES, N_ENVS, PRESETS, hyperparameters
from rl.harness.args import TrainArgs
from rl.registry import LEARNED, TrainError, build_trainer
from testbed.config import EdgeConfig
from testbed.rollout import run_seed

# --------------------------------------------------------------------------- checks


def _check(args: TrainArgs) -> None:
    if args.algo not in LEARNED:
        raise TrainError(f"unknown algorithm '{args.algo}'; expected one of {', '.join(LEARNED)}.")
    if args.hparams not in PRESETS:
        raise TrainError(
            f"unknown hyperparameter preset '{args.hparams}'; expected one of {', '.join(PRESETS)}."
        )
    if not isinstance(args.greedy_every, int) or args.greedy_every < 0:
        raise TrainError(
            f"option 'greedy_every' must be a non-negative integer, got {args.greedy_every!r}."
        )
    for name in ("episodes", "n_envs", "checkpoint_every", "stop_after"):
        v = getattr(args, name)
        if v is not None and (not isinstance(v, int) or v < 1):
            raise TrainError(f"option '{name}' must be a positive integer, got {v!r}.")


# --------------------------------------------------------------------------- files


def _run_record(args, cfg, d3pg, ddqn, episodes, done) -> dict[str, Any]:
    return {
        "algo": args.algo,
        "preset": args.hparams,
        "env_preset": cfg.preset,
        "seed": args.seed,
        "n_envs": args.n_envs,
        "compile": args.compile,
        "episodes": episodes,
        "episodes_done": done,
        "config": cfg.to_dict(),
        "d3pg": dataclasses.asdict(d3pg),
        "ddqn": dataclasses.asdict(ddqn) if args.algo != "ddpg" else None,
        "versions": versions("torch", "numpy", runtime=True)
        | versions("t2drl-testbed", python=False),
    }


def _csv_header(path: Path) -> list[str]:
    with path.open(newline="") as f:
        return next(csv.reader(f), [])


def _truncate_csv(path: Path, episodes_done: int) -> None:
    if not path.exists():
        return
    with path.open() as f:
        rows = list(csv.DictReader(f))
        fieldnames = rows[0].keys() if rows else None
    if fieldnames is None:
        return
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(fieldnames))
        w.writeheader()
        for r in rows:
            if int(r["episode"]) <= episodes_done:
                w.writerow(r)


# --------------------------------------------------------------------------- main


def main(args: TrainArgs) -> dict[str, Any]:
    """Train; return {'out': run dir, 'episodes_done': n, 'history': list of episode rows}."""
    run = TrainingRun(args)
    try:
        while not run.done:
            watch = Stopwatch()
            row = run.trainer.run_episode()
            run.record(row, watch.elapsed())
    finally:
        run.close()
    return run.result()


class TrainingRun:
    """One run: its trainer (resumed from its folder when it can be), files and episode log.
    `main` steps one; `rl.harness.train_pack` steps several together."""

    def __init__(self, args: TrainArgs):
        _check(args)
        cfg = self.cfg = args.env.build()
        d3pg, ddqn = hyperparameters(args.algo, args.hparams, cfg)
        d3pg, ddqn = args.d3pg or d3pg, args.ddqn or ddqn
        episodes = self.episodes = args.episodes or EPISODES[args.hparams]
        args = self.args = dataclasses.replace(args, n_envs=args.n_envs or N_ENVS[args.hparams])
        self.out = writable_dir(
            args.out or f"runs/{args.algo}-{args.hparams}-{cfg.preset}-s{args.seed}"
        )
        if args.threads is not None:
            limit_threads(args.threads)
        seed_everything(args.seed)
        self.trainer = build_trainer(
            args.algo, cfg, d3pg, ddqn, args.device, args.seed, args.n_envs, episodes, args.compile
        )
        self._record = functools.partial(_run_record, args, cfg, d3pg, ddqn, episodes)
        _resume_or_start(args, self.out, self.trainer, lambda: self._record(0))
        start = self.trainer.episode
        _truncate_csv(self.out / "progress.csv", start)
        self.end = episodes if args.stop_after is None else min(episodes, start + args.stop_after)
        self.history: list[dict[str, Any]] = []
        self.log = _EpisodeLog(args, self.out, start, episodes)

    @property
    def done(self) -> bool:
        return self.trainer.episode >= self.end

    def record(self, row: dict[str, Any], spent: Elapsed) -> None:
        """Log the episode just run (`row` from the trainer), score the greedy policy when due,
        checkpoint when due."""
        ep, args = self.trainer.episode, self.args
        row = {"episode": ep, **row, "wall_s": spent.wall_s, "cpu_s": spent.cpu_s}
        greedy = args.greedy_every and (ep % args.greedy_every == 0 or ep == self.episodes)
        row.update(
            greedy_score(self.trainer, self.cfg, args.greedy_seeds) if greedy else GREEDY_BLANK
        )
        self.history.append(row)
        self.log.write(row, ep, greedy)
        if ep % args.checkpoint_every == 0 or ep == self.end:
            self.save(ep)

    def save(self, done: int) -> None:
        """run.json, then policy.pt, then checkpoint.pt: a resume starts from checkpoint.pt and
        checks it against run.json, and an evaluation after it reads policy.pt, so a kill
        between two writes never leaves a checkpoint newer than the files beside it (the
        pack kill test found both orders' gaps)."""
        trainer, out = self.trainer, self.out
        write_json(out / "run.json", self._record(done), indent=2)
        policy = own_tensors(trainer.state_dict(False))
        atomic_write(out / "policy.pt", functools.partial(torch.save, policy))
        state = {
            "trainer": own_tensors(trainer.state_dict(True)),
            "torch_rng": torch.get_rng_state(),
        }
        atomic_write(out / "checkpoint.pt", functools.partial(torch.save, state))

    def close(self) -> None:
        self.log.close()

    def result(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "episodes_done": self.trainer.episode,
            "history": self.history,
        }


def _resume_or_start(args: TrainArgs, out: Path, trainer, run_record) -> None:
    """Load out/checkpoint.pt into `trainer` when resuming (the run must be the same as
    `run_record()`, the record this call would write); otherwise clear the old files."""
    ckpt_path = out / "checkpoint.pt"
    if not (args.resume and ckpt_path.exists()):
        for p in (ckpt_path, out / "progress.csv"):
            p.unlink(missing_ok=True)
        return
    record = read_run_record(out / "run.json")
    mine = run_record()
    record.setdefault("compile", False)  # run.json written before the option existed
    for key in ("algo", "preset", "seed", "n_envs", "compile", "config", "d3pg", "ddqn"):
        if record.get(key) != json.loads(json.dumps(mine[key])):
            raise TrainError(
                f"run directory '{out}' holds a different run ({key} differs); "
                "choose another --out or pass --no-resume to overwrite it."
            )
    sd = load_state(ckpt_path, required="trainer")
    load_into(trainer, sd["trainer"], ckpt_path)
    torch.set_rng_state(sd["torch_rng"])


class _EpisodeLog:
    """One row per episode into progress.csv, TensorBoard (train/*, greedy/* when scored) and
    the progress bar."""

    def __init__(self, args: TrainArgs, out: Path, start: int, episodes: int):
        self.writer = None
        if args.tensorboard:
            # imported only when asked for: tensorboard is slow to import and optional here
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(out / "tb"), purge_step=start + 1)
        self.bar = None
        if args.progress:
            desc = f"{args.algo}/{args.hparams}"
            self.bar = progress_bar(total=episodes, initial=start, desc=desc, unit="ep")
        self.csv_path = out / "progress.csv"
        self.csv_file = self.csv_path.open("a", newline="")
        self.csv_writer = None

    def write(self, row: dict[str, Any], ep: int, greedy: bool) -> None:
        if self.csv_writer is None:
            # a run resumed from an older version keeps its file's columns
            fields = _csv_header(self.csv_path) or list(row)
            self.csv_writer = csv.DictWriter(
                self.csv_file, fieldnames=fields, extrasaction="ignore"
            )
            if self.csv_path.stat().st_size == 0:
                self.csv_writer.writeheader()
        self.csv_writer.writerow(row)
        self.csv_file.flush()
        if self.writer is not None:
            for k, v in row.items():
                if k.startswith("greedy_"):
                    if greedy:
                        self.writer.add_scalar(f"greedy/{k[7:]}", v, ep)
                elif k != "episode":
                    self.writer.add_scalar(f"train/{k}", v, ep)
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(
                reward=f"{row['episode_reward']:.2f}", hit=f"{row['hit_ratio']:.2f}"
            )

    def close(self) -> None:
        self.csv_file.close()
        if self.bar is not None:
            self.bar.close()
        if self.writer is not None:
            self.writer.close()


# --------------------------------------------------------------------------- greedy curve

GREEDY_METRICS = ("utility", "hit_ratio", "slot_reward", "violation_share")
GREEDY_BLANK = {f"greedy_{k}": float("nan") for k in GREEDY_METRICS}


def greedy_score(trainer, cfg: EdgeConfig, seeds: tuple[int, ...]) -> dict[str, float]:
    """The greedy policy's metrics (`testbed.rollout.run_seed`), averaged over `seeds`.

    Training's randomness is untouched: the evaluator draws from its own per-seed generators,
    and the agent's torch generator (which an MLP policy reseeds) is restored afterwards."""
    agents = [getattr(trainer, n) for n in ("d3pg", "agent") if hasattr(trainer, n)]
    gen_states = [a.gen.get_state() for a in agents]
    try:
        policy = trainer.policy()
        rows = [run_seed(policy, cfg, s) for s in seeds]
    finally:
        for a, st in zip(agents, gen_states, strict=True):
            a.gen.set_state(st)
    return {f"greedy_{k}": float(np.mean([r[k] for r in rows])) for k in GREEDY_METRICS}


def summary(result: dict[str, Any]) -> Summary:
    """The run folder and its last episode's numbers."""
    hist = result["history"]
    if not hist:
        return Summary().line(
            f"{result['out']}: nothing to do ({result['episodes_done']} episodes done)."
        )
    last = hist[-1]
    return Summary().line(
        f"{result['out']}: {result['episodes_done']} episodes; last episode reward "
        f"{last['episode_reward']:.3f}, hit ratio {last['hit_ratio']:.3f}, "
        f"utility {last['utility']:.3f}"
    )
