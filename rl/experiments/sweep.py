"""The sweep runner behind `t2drl experiment NAME`: plan, skip finished runs, dispatch, report.

Layout of an experiment directory `out`::

    runs/<id>.json      one finished run each (written atomically: temp file + rename)
    train/<id>/         rl.harness.train's run directory of a learned run (resumable checkpoint.pt)
    <name>.csv          per-seed results of every run (see `rl.experiments.rows`)
    <name>*.png         the paper's figures with mean and 95% intervals
    report.md           claims vs measurements, gaps to the oracle, scale and cost
    sweep.json          the sweep's arguments, plan and provenance

Resuming: a run whose ``runs/<id>.json`` exists is not dispatched again; an interrupted
learned run continues from its checkpoint. The CSV is rebuilt from the run files, sorted by
run, so an interrupted-then-resumed sweep writes the same CSV as an uninterrupted one.

Reuse: a pending run whose work a sibling experiment directory has already done (Fig. 7 at
U = 10 is Fig. 8 at C = 20 GB and Fig. 6a at L = 5) gets that record, marked `reused_from`
(`rl.experiments.reuse`; ``--no-reuse`` to run it anyway).

Packs: the pending learned runs that share network shapes train together in one task
(`rl.experiments.packs`, up to ``--pack-size``; each member bit for bit its run alone, with its
own ``train/<id>/`` and resume); every other run is a task of its own.

Executors: ``ray`` (default) starts a local Ray instance with `num_cpus` = the available cores
(or joins `address`), one CPU per task (a pack or a run), torch on one thread in each;
``serial`` runs in this process (tests, machines without Ray).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from common.io import writable_dir, write_json
from common.progress import progress_bar
from common.provenance import load_average, provenance
from common.summary import Summary
from rl.experiments.args import ExperimentArgs
from rl.experiments.markdown import ci_text
from rl.experiments.packs import packs
from rl.experiments.report import write_report
from rl.experiments.reuse import reuse
from rl.experiments.rows import algos_of, x_text, xs_of
from rl.experiments.run import run_pack
from rl.experiments.spec import (
    DISPLAY,
    FULL,
    QUICK,
    ExperimentError,
    RunSpec,
    Scale,
    check_choice,
    plan,
)
from rl.experiments.stats import mean_interval
from rl.harness.evaluate import check_seeds

EXECUTORS = ("ray", "serial")


def scale_of(args: ExperimentArgs) -> Scale:
    s = QUICK if args.quick else FULL
    for name in ("seeds", "episodes"):
        v = getattr(args, name)
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 1):
            raise ExperimentError(f"--{name} must be a positive integer, got {v!r}.")
    if args.seeds is not None:
        s = dataclasses.replace(s, train_seeds=args.seeds)
    if args.episodes is not None:
        s = dataclasses.replace(s, episodes=args.episodes)
    if args.eval_seeds is not None:
        try:
            seeds = check_seeds(args.eval_seeds)
        except ValueError as exc:
            raise ExperimentError(f"--eval-seeds: {exc}") from None
        s = dataclasses.replace(s, eval_seeds=seeds)
    return s


def out_dir(args: ExperimentArgs) -> Path:
    if args.out:
        return Path(args.out)
    preset, env_seed, _ = args.environment()
    env = f"-e{env_seed}" if env_seed else ""
    return Path("runs/experiments") / f"{args.name}-{preset}{env}{'-quick' if args.quick else ''}"


def run_path(out: Path, spec: RunSpec) -> Path:
    return out / "runs" / f"{spec.run_id}.json"


def _readable_record(path: Path, spec: RunSpec) -> bool:
    try:
        rec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    # its results under the run's kind: "eval" (metrics per seed) or "bench" (Table 3's timings)
    return isinstance(rec, dict) and rec.get("run_id") == spec.run_id and spec.kind in rec


def set_aside_unreadable(specs: Iterable[RunSpec], out: Path, echo: Callable[[str], None]) -> None:
    """Move every run record that does not parse (or is another run's) to runs/unreadable/, so
    the run is done again; the file is kept, not deleted."""
    for spec in specs:
        path = run_path(out, spec)
        if path.exists() and not _readable_record(path, spec):
            aside = out / "runs" / "unreadable" / path.name
            aside.parent.mkdir(exist_ok=True)
            path.replace(aside)
            echo(f"warning: run record '{path}' does not parse; moved to '{aside}', run again.")


def pending(specs: Iterable[RunSpec], out: Path) -> list[RunSpec]:
    return [s for s in specs if not run_path(out, s).exists()]


def load_records(specs: Iterable[RunSpec], out: Path) -> list[dict[str, Any]]:
    """The finished records of `specs`, in plan order (missing ones skipped)."""
    recs = []
    for s in specs:
        p = run_path(out, s)
        if p.exists():
            recs.append(json.loads(p.read_text()))
    return recs


# --------------------------------------------------------------------------- executors


def run_serial(groups, out: Path, on_done: Callable, max_runs: int | None) -> None:
    done = 0
    for group in groups:
        if max_runs is not None and done >= max_runs:
            return
        for spec, record in zip(group, run_pack(group, out), strict=True):
            on_done(spec, record)
            done += 1


def run_ray(groups, out: Path, on_done: Callable, max_runs, address, num_cpus) -> None:
    try:  # optional (the 'ray' extra), and slow to import: only for this executor
        import ray
    except ModuleNotFoundError:
        raise ExperimentError(
            "--executor ray needs Ray (pip install 'ray>=2.9' or the 'ray' extra); "
            "use --executor serial without it."
        ) from None
    started = not ray.is_initialized()
    if started:
        # Ray runs workers at nice 15 by default; here all the work is in the workers, and at 15
        # they starve behind any other job on a shared machine. RAY_worker_niceness overrides.
        os.environ.setdefault("RAY_worker_niceness", "0")
        kw = {"address": address} if address else {"num_cpus": num_cpus or available_cores()}
        ray.init(
            **kw,
            include_dashboard=False,
            log_to_driver=False,
            runtime_env={"env_vars": {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}},
        )
    try:
        task = ray.remote(num_cpus=1, max_retries=0)(run_pack)  # one pack (or run) per task
        out_abs = str(out.resolve())
        futures = {task.remote(group, out_abs): group for group in groups}
        done_count = 0
        while futures:
            ready, _ = ray.wait(list(futures), num_returns=1)
            group = futures.pop(ready[0])
            for spec, record in zip(group, ray.get(ready[0]), strict=True):
                on_done(spec, record)
                done_count += 1
            if max_runs is not None and done_count >= max_runs:
                for f in futures:
                    ray.cancel(f, force=True)
                return
    finally:
        if started:
            ray.shutdown()


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# --------------------------------------------------------------------------- main


def main(args: ExperimentArgs, echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Run (or resume) the sweep; write the report; return {'out', 'done', 'total', ...}."""
    check_choice("--executor", args.executor, EXECUTORS)
    if args.max_runs is not None and args.max_runs < 1:
        raise ExperimentError(f"--max-runs must be a positive integer, got {args.max_runs!r}.")
    if not isinstance(args.pack_size, int) or args.pack_size < 1:
        raise ExperimentError(f"--pack-size must be a positive integer, got {args.pack_size!r}.")
    scale = scale_of(args)
    preset, env_seed, overrides = args.environment()
    specs = plan(
        args.name, scale, preset, args.hparams, args.algos or None, args.grid, overrides, env_seed
    )
    out = out_dir(args)
    writable_dir(out / "runs")
    sweep_doc = {
        "args": args.record(),
        "scale": vars(scale),
        "runs": [s.run_id for s in specs],
        "provenance": provenance(),
        "load_average_start": load_average(),
    }
    write_json(out / "sweep.json", sweep_doc, indent=1)
    set_aside_unreadable(specs, out, echo)
    todo = pending(specs, out)
    if args.reuse:
        todo = reuse(todo, out, echo)
    echo(
        f"{args.name}: {len(specs)} runs, {len(specs) - len(todo)} already done, "
        f"{len(todo)} to run -> {out}"
    )
    bar = None
    if args.progress and todo:
        bar = progress_bar(
            total=len(specs), initial=len(specs) - len(todo), desc=args.name, unit="run"
        )

    def on_done(spec: RunSpec, record: dict[str, Any]) -> None:
        write_json(run_path(out, spec), record, indent=1)
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(spec.run_id[:40])

    cores = 1 if args.executor == "serial" else (args.num_cpus or available_cores())
    groups = packs(todo[: args.max_runs], args.pack_size, cores)
    try:
        if args.executor == "serial":
            run_serial(groups, out, on_done, args.max_runs)
        else:
            run_ray(groups, out, on_done, args.max_runs, args.address, args.num_cpus)
    finally:
        if bar is not None:
            bar.close()
    records = load_records(specs, out)
    result = {"out": str(out), "done": len(records), "total": len(specs), "written": []}
    if args.report and records:
        result.update(
            write_report(
                args.name, records, out, scale, sweep_doc, complete=len(records) == len(specs)
            )
        )
    return result


def summary(name: str, result: dict[str, Any]) -> Summary:
    """Per method and swept value, the headline metric's mean [95 % interval]."""
    out = Summary().line(f"{result['out']}: {result['done']}/{result['total']} runs finished")
    rows = result.get("rows") or []
    if rows:
        metric = {
            "table3": "decision_time_ms",
            "fig6a": "episode_reward",
            "fig6b": "episode_reward",
        }
        metric = metric.get(name, "utility")
        xs = xs_of(rows) or [None]
        table = [
            {
                "method": DISPLAY[a],
                **{
                    (x_text(x) if x is not None else metric): ci_text(
                        *mean_interval(rows, a, x, metric)[:3]
                    )
                    for x in xs
                },
            }
            for a in algos_of(rows)
        ]
        out.table(f"{name}: {metric}, mean [95 % interval]", table)
    for p in result.get("written", []):
        out.line(f"wrote {p}")
    return out
