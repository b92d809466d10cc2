"""The options of `t2drl experiment` (light: no torch, so the CLI starts fast)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from common.cli_types import CommaInts, CommaStrs, Positional, Repeatable, renamed
from rl.agents.presets import DEFAULT_PRESET
from testbed.sources import EnvArgs


@dataclass
class ExperimentArgs:
    """Run (or resume) one experiment of the paper's 7.3 (`rl.experiments.sweep.main`): one
    runs/<id>.json per run, then <name>.csv, <name>.png and report.md (claims against
    measurements, gaps to the oracle)."""

    name: Positional[str] = "fig7"
    """fig6a, fig6b, fig7, fig8, table3 (the paper's 7.3) or ablation (the default design with
    each change reverted)."""
    quick: bool = False
    """The quick form (`rl.experiments.spec.QUICK`: 2 seeds, 8 episodes, 2 eval seeds, small
    GA); otherwise the full form (`FULL`: 5 seeds, the preset's episodes (Fig. 6b: 500), 10
    eval seeds)."""
    env: EnvArgs = field(default_factory=EnvArgs)
    """The edge network of every run (the swept field is set per grid point)."""
    hparams: str = DEFAULT_PRESET
    """Hyperparameters of the learned agents (`rl.agents.presets`): default, paper or tuned."""
    seeds: int | None = None
    """Training seeds per learned configuration (overrides the form's)."""
    episodes: int | None = None
    """Training episodes H (overrides the form's)."""
    eval_seeds: CommaInts | None = None
    """Held-out evaluation seeds, e.g. 1000-1009 or 1,2,5 (overrides the form's)."""
    algos: Annotated[Repeatable[tuple[str, ...]], renamed("algo")] = ()
    """Only these methods, repeatable (default: all the experiment uses): t2drl, ddpg-t2drl,
    ddpg, rcars, schrs, hcras, oracle."""
    grid: CommaStrs | None = None
    """Values of the swept variable, e.g. 10,14,18 (default: the paper's)."""
    executor: str = "ray"
    """'ray' or 'serial' (in this process)."""
    address: str | None = None
    """Ray cluster address (default: start a local instance)."""
    num_cpus: int | None = None
    """Local Ray CPUs (default: the cores available to this process)."""
    out: str | None = None
    """Experiment directory (default runs/experiments/<name>-<env preset>[-e<seed>][-quick])."""
    pack_size: int = 25
    """Most learned runs trained together in one process (`rl.experiments.packs`: same method
    and network shapes; bit for bit their runs alone); 1 trains every run alone."""
    reuse: bool = True
    """Take a pending run's record from a sibling experiment directory (out/../*/runs) that has
    done the same work under another experiment's name (`rl.experiments.reuse`)."""
    max_runs: int | None = None
    """Stop after this many runs finish in this call (to slice a sweep; rerun to continue)."""
    progress: bool = True
    """Show a progress bar over runs."""
    report: bool = True
    """Write CSV, figures and report after the runs."""

    def environment(self) -> tuple[str, int, dict[str, Any]]:
        """(env preset, env seed, the other field overrides) that every run of the sweep shares."""
        overrides = self.env.resolved_overrides()
        return overrides.pop("preset", "paper"), overrides.pop("seed", 0), overrides

    def record(self) -> dict[str, Any]:
        """The arguments as sweep.json records them (flat; read back by the report)."""
        preset, env_seed, overrides = self.environment()
        flat = {k: v for k, v in vars(self).items() if k != "env"}
        return flat | {
            "preset": preset,
            "env_seed": env_seed,
            "env_overrides": overrides,
            "algos": self.algos or None,
        }
