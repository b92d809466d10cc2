"""What one run is (`RunSpec`) and which runs each experiment of the paper's 7.3 needs (`plan`).

A run is the unit of work a sweep dispatches: train one learned agent (or none, for a
baseline or the oracle) on one environment, then evaluate it on held-out seeds, or (Table 3)
time its decisions. Specs are frozen and hashable; `RunSpec.run_id` is stable across
processes and Python versions (a SHA-256 of the spec's canonical JSON), so a sweep recognises
the runs it has already finished by their file name `runs/<id>.json`.

Experiments (main paper 7.3; each sweeps one variable, everything else at Table 2's values):

=========  ==========================================  =================================
name       sweeps                                      methods
=========  ==========================================  =================================
fig6a      D3PG denoising steps L in {1, 3, 5, 7, 10}  T2DRL (curves + greedy score)
fig6b      --                                          T2DRL, DDPG-T2DRL (H = 500); lines
fig7       users U in {10, 12, 14, 16, 18}             every method
fig8       cache capacity C in {20, 23, 26, 29, 32} GB every method
table3     users U in {10, 12, 14, 16, 18}             decision time per slot (`rl.harness.bench`)
ablation   the default design with one change reverted T2DRL; the oracle as reference
=========  ==========================================  =================================

The ablation (ours, not the paper's) reverts one part of the `default` hyperparameter preset
at a time (`rl.agents.presets.ABLATIONS`: critic, cacher, output map, discount, copies, beta
schedule); its x is the index into that tuple, shown by name.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

from common.errors import UserError
from rl import registry
from rl.agents.presets import (
    ABLATIONS,
    DEFAULT_PRESET,
    EPISODES,
    LEGACY_DIGESTS,
    PRESETS,
    hparams_digest,
)
from testbed.config import has_own_reward_unit
from testbed.scaling import DEFAULT_FITTED_SCALING

LEGACY_FITTED_SCALING = "raw"
"""What a `fitted` run without `fitted_scaling` in its overrides means: every run planned before
the field existed was built at Table 2's absolute values, and its id must keep meaning that."""

# Views of `rl.registry` (its order is the order of runs and reports).
LEARNED = registry.LEARNED
BASELINES = registry.names("baseline")
ALGOS = registry.NAMES
DISPLAY = registry.DISPLAY
EXPERIMENTS = ("fig6a", "fig6b", "fig7", "fig8", "table3", "ablation")
ENV_PRESETS = ("paper", "fitted")
HPARAM_PRESETS = PRESETS

# The swept variable of each experiment: (label, EdgeConfig field or 'denoising_steps', grid).
SWEEPS: dict[str, tuple[str, str, tuple[Any, ...]]] = {
    "fig6a": ("denoising steps L", "denoising_steps", (1, 3, 5, 7, 10)),
    "fig6b": ("", "", (None,)),
    "fig7": ("number of users U", "n_users", (10, 12, 14, 16, 18)),
    "fig8": ("cache capacity C [GB]", "cache_capacity_GB", (20.0, 23.0, 26.0, 29.0, 32.0)),
    "table3": ("number of users U", "n_users", (10, 12, 14, 16, 18)),
    "ablation": ("design change reverted", "ablation", ABLATIONS),
}
DEFAULT_ALGOS: dict[str, tuple[str, ...]] = {
    "fig6a": ("t2drl",),
    # the paper's Fig. 6b trains T2DRL and DDPG-based T2DRL; the others are its reference lines
    "fig6b": tuple(a for a in ALGOS if a != "ddpg"),
    "fig7": ALGOS,
    "fig8": ALGOS,
    "table3": registry.TABLE3_ORDER,
    "ablation": ("t2drl", "oracle"),
}


class ExperimentError(UserError):
    """Bad experiment input (one sentence naming the option and what was expected)."""


@dataclass(frozen=True)
class Scale:
    """How big a sweep is; `QUICK` and `FULL` are the two documented forms."""

    train_seeds: int
    """Training seeds 0..n-1 per learned configuration (Table 3: timing repetitions)."""
    episodes: int | None
    """H, training episodes per learned run (T K slots each); None: the hyperparameter
    preset's (`rl.agents.presets.EPISODES`: default 100, paper and tuned 500)."""
    eval_seeds: tuple[int, ...]
    """Held-out evaluation seeds (disjoint from training seeds, which are small integers)."""
    eval_episodes: int = 1
    """Episodes per evaluation seed."""
    ga_pop_size: int = 40
    """Chromosomes per GA generation (SCHRS, HCRAS); `rl.baselines.args.GAConfig`."""
    ga_generations: int = 50
    """GA generations per slot."""
    bench_slots: int = 20
    """Timed slots per Table 3 cell (`rl.harness.bench.time_policy`)."""
    oracle_frame_samples: int = 64
    """Slots sampled per popularity state for the oracle's P3 table (`rl.oracle.frame_oracle`);
    the quick form uses fewer, which widens the table's standard errors, not the slot oracle."""


QUICK = Scale(
    train_seeds=2,
    episodes=8,
    eval_seeds=(1000, 1001),
    ga_pop_size=20,
    ga_generations=10,
    bench_slots=5,
    oracle_frame_samples=8,
)
FULL = Scale(train_seeds=5, episodes=None, eval_seeds=tuple(range(1000, 1010)))


@dataclass(frozen=True)
class RunSpec:
    """One independent run. Everything that changes its numbers is a field (so is in the id)."""

    experiment: str
    """Which experiment planned it (fig6a, ..., table3)."""
    algo: str
    """One of `ALGOS`."""
    env_preset: str
    """'paper' or 'fitted' (`testbed.config.build_config`)."""
    env_overrides: tuple[tuple[str, Any], ...] = ()
    """EdgeConfig overrides as sorted (name, value) pairs (the swept variable lives here). For
    the fitted preset `plan` always writes `fitted_scaling`; "raw" is then dropped (the form of
    the runs before the field, so their ids hold) and `env_fields` puts it back."""
    hparams: str = "tuned"
    """Hyperparameter preset of the learned agents (`rl.agents.presets`); '' for the others. (The
    field's default predates the `default` preset and stays, so old run ids stay valid.)"""
    denoising_steps: int | None = None
    """D3PG's L (T2DRL only); None keeps the preset's (5)."""
    train_seed: int | None = None
    """Training seed of a learned run; Table 3: the timing seed; None otherwise."""
    episodes: int | None = None
    """Training episodes H of a learned run."""
    eval_seeds: tuple[int, ...] = ()
    """Held-out evaluation seeds (empty for Table 3)."""
    eval_episodes: int = 1
    """Episodes per evaluation seed."""
    ga: tuple[int, int] | None = None
    """(pop_size, n_gen) of the GA of SCHRS/HCRAS; None for the others."""
    bench_slots: int | None = None
    """Table 3 only: timed slots."""
    oracle_samples: int | None = None
    """Oracle only: slots per popularity state for its P3 table (None: 64)."""
    env_seed: int = 0
    """Seed of the environment preset's model draw (`testbed.config.build_config`)."""
    ablation: str | None = None
    """The part of the `default` design reverted (`rl.agents.presets.ABLATIONS`); None: none."""

    def __post_init__(self) -> None:
        # canonical form: the mode each preset means without the field is not written
        implied = {"fitted": LEGACY_FITTED_SCALING, "paper": DEFAULT_FITTED_SCALING}
        pairs = self.env_overrides
        if dict(pairs).get("fitted_scaling") == implied.get(self.env_preset):
            pairs = tuple((k, v) for k, v in pairs if k != "fitted_scaling")
            object.__setattr__(self, "env_overrides", pairs)

    @property
    def env_fields(self) -> dict[str, Any]:
        """The EdgeConfig overrides the run's environment is built from (`env_overrides`, with
        the fitted preset's scaling mode written out)."""
        fields = dict(self.env_overrides)
        if self.env_preset == "fitted":
            fields.setdefault("fitted_scaling", LEGACY_FITTED_SCALING)
        return fields

    @property
    def own_reward_unit(self) -> bool:
        """Are the environment's rewards in units of its own (`testbed.config.has_own_reward_unit`)?"""
        scaling = self.env_fields.get("fitted_scaling", DEFAULT_FITTED_SCALING)
        return has_own_reward_unit(self.env_preset, scaling)

    @property
    def learned(self) -> bool:
        return self.algo in LEARNED

    @property
    def kind(self) -> str:
        return "bench" if self.experiment == "table3" else "eval"

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["env_overrides"] = dict(self.env_overrides)
        # fields added later are left out at their defaults: keeps the ids of existing runs
        for key, default in (("oracle_samples", None), ("env_seed", 0), ("ablation", None)):
            if d[key] == default:
                del d[key]
        if self.learned:  # the preset's values, not only its name, decide the id
            digest = hparams_digest(self.algo, self.hparams, self.own_reward_unit)
            if digest != LEGACY_DIGESTS.get((self.algo, self.hparams)):
                d["hparams_digest"] = digest
        return d

    @property
    def run_id(self) -> str:
        """`<algo>-<swept values>-s<seed>-<hash>`: readable prefix, unique hash."""
        canon = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(canon.encode()).hexdigest()[:10]
        parts = [self.algo]
        for k, v in self.env_overrides:
            if k == "fitted_scaling":  # in the hash; the prefix names the swept values
                continue
            parts.append(f"{_short(k)}{v:g}" if isinstance(v, float) else f"{_short(k)}{v}")
        if self.denoising_steps is not None:
            parts.append(f"L{self.denoising_steps}")
        if self.env_seed:
            parts.append(f"e{self.env_seed}")
        if self.ablation is not None:
            parts.append(f"no-{self.ablation}")
        if self.train_seed is not None:
            parts.append(f"s{self.train_seed}")
        return "-".join([*parts, digest])

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunSpec:
        d = dict(d)
        d.pop("hparams_digest", None)  # derived from `hparams` (`to_dict`)
        d["env_overrides"] = tuple(sorted(d["env_overrides"].items()))
        d["eval_seeds"] = tuple(d["eval_seeds"])
        d["ga"] = tuple(d["ga"]) if d["ga"] is not None else None
        return cls(**d)


def _short(field_name: str) -> str:
    return {"n_users": "U", "cache_capacity_GB": "C"}.get(field_name, field_name)


def check_choice(option: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ExperimentError(f"{option} must be one of {', '.join(allowed)}, got '{value}'.")
    return value


def plan(
    experiment: str,
    scale: Scale,
    env_preset: str = "paper",
    hparams: str = DEFAULT_PRESET,
    algos: tuple[str, ...] | None = None,
    grid: tuple[Any, ...] | None = None,
    env_overrides: dict[str, Any] | None = None,
    env_seed: int = 0,
) -> list[RunSpec]:
    """Every run of `experiment` at `scale`, learned runs first (they take longest).

    `grid` replaces the swept variable's values (default: the paper's); `env_overrides` are
    EdgeConfig fields set in every run (the swept variable wins).
    """
    _check_plan(experiment, env_preset, hparams, env_seed)
    episodes = scale.episodes or full_episodes(experiment, hparams)
    algos = DEFAULT_ALGOS[experiment] if algos is None else tuple(algos)
    for a in algos:
        check_choice("--algo", a, DEFAULT_ALGOS[experiment])
    if experiment == "fig8" and env_preset == "fitted":
        raise ExperimentError(
            "fig8 sweeps the cache capacity over 20-32 GB, which holds every model of the "
            "fitted preset (checkpoints of about 0.5 MB); run fig8 with --preset paper."
        )
    _, name, paper_grid = SWEEPS[experiment]
    grid = paper_grid if grid is None else tuple(_grid_value(name, v) for v in grid)
    if not grid or (not name and grid != (None,)):
        raise ExperimentError(f"{experiment} sweeps nothing, so --grid does not apply to it.")
    fixed = dict(env_overrides or {})
    if env_preset == "fitted":  # written into every new fitted run (`RunSpec.env_overrides`)
        fixed.setdefault("fitted_scaling", DEFAULT_FITTED_SCALING)
    if name in fixed:
        raise ExperimentError(
            f"{experiment} sweeps '{name}'; give its values with --grid, not --set."
        )
    specs: list[RunSpec] = []
    for algo in algos:
        # the ablation's reference methods do not depend on the learners' design
        for value in grid if algo in LEARNED or experiment != "ablation" else (None,):
            values = dict(fixed)
            if name and name not in ("denoising_steps", "ablation"):
                values[name] = value
            common = dict(
                experiment=experiment,
                algo=algo,
                env_preset=env_preset,
                env_overrides=tuple(sorted(values.items())),
                env_seed=env_seed,
            )
            if name == "ablation" and value != ABLATIONS[0]:
                common["ablation"] = value
            steps = value if name == "denoising_steps" else None
            specs.extend(_runs(common, scale, hparams, steps, episodes))
    return sorted(specs, key=lambda s: (not s.learned, ALGOS.index(s.algo)))


CONVERGENCE_EPISODES = 500
"""H of the full-form Fig. 6b at every preset: Table 2's, the horizon of the paper's convergence
plot (the other figures train for the preset's H)."""


def full_episodes(experiment: str, hparams: str) -> int:
    """H of the experiment's learned runs when the scale leaves it to the preset."""
    return CONVERGENCE_EPISODES if experiment == "fig6b" else EPISODES[hparams]


def _check_plan(experiment: str, env_preset: str, hparams: str, env_seed: int) -> None:
    check_choice("experiment", experiment, EXPERIMENTS)
    check_choice("--preset", env_preset, ENV_PRESETS)
    check_choice("--hparams", hparams, HPARAM_PRESETS)
    if not isinstance(env_seed, int) or isinstance(env_seed, bool) or env_seed < 0:
        raise ExperimentError(f"--env-seed must be a non-negative integer, got {env_seed!r}.")
    if experiment == "ablation" and hparams != DEFAULT_PRESET:
        raise ExperimentError(
            f"the ablation reverts parts of the '{DEFAULT_PRESET}' preset; drop --hparams."
        )


def _runs(
    common: dict[str, Any], scale: Scale, hparams: str, steps: int | None, episodes: int
) -> list[RunSpec]:
    """The runs of one (method, grid value): one per training seed for Table 3 (timing
    repetitions) and for learned methods, one for the others."""
    algo = common["algo"]
    if common["experiment"] == "table3":
        # Table 3 times the GA at its default size (the paper's comparison) at every scale.
        return [
            RunSpec(
                **common,
                train_seed=s,
                bench_slots=scale.bench_slots,
                ga=_ga(algo, FULL),
                hparams=_hp(algo, hparams),
            )
            for s in range(scale.train_seeds)
        ]
    if algo in LEARNED:
        return [
            RunSpec(
                **common,
                hparams=hparams,
                denoising_steps=steps,
                train_seed=s,
                episodes=episodes,
                eval_seeds=scale.eval_seeds,
                eval_episodes=scale.eval_episodes,
            )
            for s in range(scale.train_seeds)
        ]
    return [
        RunSpec(
            **common,
            hparams="",
            eval_seeds=scale.eval_seeds,
            eval_episodes=scale.eval_episodes,
            ga=_ga(algo, scale),
            oracle_samples=scale.oracle_frame_samples if algo == "oracle" else None,
        )
    ]


def _grid_value(name: str, v: Any) -> Any:
    """Grid values as the field's type: whole numbers for U and L, floats for C, names of
    `rl.agents.presets.ABLATIONS` for the ablation."""
    if name == "ablation":
        if v not in ABLATIONS:
            raise ExperimentError(
                f"--grid values of the ablation must be among {', '.join(ABLATIONS)}, got {v!r}."
            )
        return v
    try:
        x = float(v)
    except (TypeError, ValueError):
        x = math.nan
    if name in ("n_users", "denoising_steps"):
        if not x.is_integer() or x < 1:
            raise ExperimentError(f"--grid values for {name} must be positive integers, got {v!r}.")
        return int(x)
    if not x > 0:
        raise ExperimentError(f"--grid values for {name} must be positive numbers, got {v!r}.")
    return x


def _ga(algo: str, scale: Scale) -> tuple[int, int] | None:
    return (scale.ga_pop_size, scale.ga_generations) if algo in ("schrs", "hcras") else None


def _hp(algo: str, hparams: str) -> str:
    return hparams if algo in LEARNED else ""
