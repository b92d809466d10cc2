"""Runs one experiment shares with another: Fig. 7 at U = 10, Fig. 8 at C = 20 GB and Fig. 6a at
L = 5 are the same runs (Table 2's cell), planned under three experiment names.

A run's id hashes its experiment's name (so old ids stay valid), which would make a sweep redo
work another sweep has finished. Before dispatching, `reuse` looks in the sibling experiment
directories (`out/../*/runs/*.json`) for a finished record whose run does the same work: the
same `RunSpec` but for the experiment's name, with the environment compared as the resolved
`EdgeConfig` (U = 10 written out or left at its default is one environment) and L as the
learner actually uses it. Such a record is copied under this run's id with `reused_from`
naming its source; the numbers are the ones a fresh run would give (every run is deterministic
given its spec: docs/experiments.md, "Resuming").

The sweeps beside one another also share the oracle's P3 tables (`rl.experiments.run.p3_store`).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from common.io import write_json
from rl.agents.presets import hyperparameters
from rl.experiments.spec import RunSpec
from testbed.config import build_config


@functools.lru_cache(maxsize=256)
def _environment(preset: str, env_seed: int, fields: str) -> str:
    cfg = build_config(preset, env_seed, json.loads(fields))
    return json.dumps(dataclasses.asdict(cfg), sort_keys=True, default=str)


def work_key(spec: RunSpec) -> str:
    """What decides a run's numbers, whichever experiment planned it (a SHA-256)."""
    d = spec.to_dict()
    del d["experiment"]
    d["kind"] = spec.kind
    fields = json.dumps(spec.env_fields, sort_keys=True)
    d["env_overrides"] = _environment(spec.env_preset, spec.env_seed, fields)
    if spec.learned and spec.denoising_steps is None:
        d["denoising_steps"] = hyperparameters(spec.algo, spec.hparams)[0].denoising_steps
    canon = json.dumps(d, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canon.encode()).hexdigest()


def _finished(folder: Path) -> Iterable[tuple[Path, dict[str, Any], RunSpec]]:
    for path in sorted(folder.glob("*/runs/*.json")):
        try:
            rec = json.loads(path.read_text(encoding="utf-8"))
            spec = RunSpec.from_dict(rec["spec"])
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
            continue  # not a run record of this version: nothing to reuse
        if rec.get("run_id") == spec.run_id and spec.kind in rec:
            yield path, rec, spec


def reuse(todo: list[RunSpec], out: Path, echo: Callable[[str], None] = print) -> list[RunSpec]:
    """Copy into `out/runs/` every record of a sibling experiment directory that does the work of
    a run in `todo`; the runs still to do."""
    if not todo or not out.parent.is_dir():
        return todo
    wanted = {work_key(s): s for s in todo}
    here = out.resolve()
    found: dict[RunSpec, tuple[Path, dict[str, Any]]] = {}
    for path, rec, done in _finished(out.parent):
        if path.parent.parent.resolve() == here:
            continue
        spec = wanted.get(work_key(done))
        if spec is not None and spec not in found:
            found[spec] = (path, rec)
    for spec, (path, rec) in found.items():
        copy = rec | {"run_id": spec.run_id, "spec": spec.to_dict(), "reused_from": str(path)}
        write_json(out / "runs" / f"{spec.run_id}.json", copy, indent=1)
    if found:
        echo(f"{len(found)} runs reused from sibling experiments ({out.parent}/*/runs).")
    return [s for s in todo if s not in found]
