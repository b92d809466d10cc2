"""How this machine's CPU time compares with the machines that made committed run records: four
runs of the records redone here, their CPU seconds against the records' (one core each).

- `hcras`: an HCRAS evaluation (the GA) on the first `--eval-seeds` of its seeds, against the
  record's time per seed; the records predate session 19, so the GA runs as they ran it,
  through pymoo's `minimize` (`rl.baselines.ga.minimize_best`: the same decisions as the GA on
  arrays, 2-3x the CPU time, `t2drl bench ga`);
- `hcras on arrays`: the same with the GA on arrays, against a record made so on session 19's
  VM (the kind of session 18's, 1.2-2.5x slower than session 17's);
- `oracle`: an oracle evaluation (numba: the P3 tables and the slot oracle), whole;
- `t2drl pack`: the record's pack of 5 T2DRL runs (torch: the D3PG and DDQN updates) trained
  for `--episodes` episodes, per episode against the record's first episodes (where acting and
  the simulator weigh more than over a whole run: docs/benchmarks.md, "Two VMs").

    python docs/examples/machine_ratio.py     # about 4 minutes on session 18's and 19's VMs

A core-hour figure measured on one machine times these ratios estimates it on this one.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path
from unittest import mock

import tyro

from rl.baselines import ga
from rl.experiments import run
from rl.experiments.spec import RunSpec

RECORDS = Path("docs/experiments/rerun-session15")


@dataclasses.dataclass
class Args:
    hcras: Path = RECORDS / "fig8-paper-default/runs/hcras-C23-82b4b59f50.json"
    """An HCRAS evaluation record (made through pymoo's `minimize`)."""
    hcras_arrays: Path = Path(
        "docs/experiments/ga-arrays-session19/fig7-paper-default/runs/hcras-U10-71e85803d7.json"
    )
    """An HCRAS evaluation record made with the GA on arrays (session 19's VM)."""
    oracle: Path = RECORDS / "fig8-paper-default/runs/oracle-C23-93e0d137ed.json"
    """An oracle evaluation record."""
    pack: str = str(RECORDS / "fig6b-paper-default/runs/t2drl-s*.json")
    """The records of one pack of learned runs (a glob)."""
    eval_seeds: int = 2
    """Evaluation seeds of the HCRAS rerun."""
    episodes: int = 20
    """Training episodes of the pack rerun."""


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def hcras_row(path: Path, k: int, out: Path, through_pymoo: bool) -> tuple[str, float, float]:
    """The record's first `k` evaluation seeds, per seed; `through_pymoo`: the GA as records
    made before session 19 ran it (`minimize_best`, the same decisions)."""
    rec = _load(path)
    spec = RunSpec.from_dict(rec["spec"])
    engine = ga.minimize_best if through_pymoo else ga.evolve
    with mock.patch("rl.baselines.ga.evolve", engine):
        here = run.run_one(dataclasses.replace(spec, eval_seeds=spec.eval_seeds[:k]), out / "h")
    per_seed = rec["eval_cpu_s"] / len(spec.eval_seeds)
    how = "" if through_pymoo else " on arrays (session 19's record)"
    return f"hcras{how}, {k} evaluation seeds (per seed)", per_seed, here["eval_cpu_s"] / k


def oracle_row(path: Path, out: Path) -> tuple[str, float, float]:
    rec = _load(path)
    here = run.run_one(RunSpec.from_dict(rec["spec"]), out / "oracle")
    return "oracle, whole evaluation", rec["eval_cpu_s"], here["eval_cpu_s"]


def pack_row(pattern: str, episodes: int, out: Path) -> tuple[str, float, float]:
    old = [_load(p) for p in sorted(Path().glob(pattern))]
    specs = [dataclasses.replace(RunSpec.from_dict(r["spec"]), episodes=episodes) for r in old]
    new = run.run_pack(specs, out / "pack")

    def per_episode(recs: list[dict]) -> float:
        return sum(sum(r["curve"]["cpu_s"][:episodes]) for r in recs) / episodes

    return f"{specs[0].algo} pack of {len(specs)}, per episode", per_episode(old), per_episode(new)


def main(args: Args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        rows = [
            hcras_row(args.hcras, args.eval_seeds, out, through_pymoo=True),
            hcras_row(args.hcras_arrays, args.eval_seeds, out / "a", through_pymoo=False),
            oracle_row(args.oracle, out / "o"),  # its own parent: no P3 tables to read
            pack_row(args.pack, args.episodes, out),
        ]
    print("| run | records [CPU s] | here [CPU s] | here / records |")
    print("|---|---:|---:|---:|")
    for name, then, now in rows:
        print(f"| {name} | {then:.1f} | {now:.1f} | {now / then:.2f} |")


if __name__ == "__main__":
    main(tyro.cli(Args))
