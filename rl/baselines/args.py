"""The baselines' settings (light: no pymoo, so the CLI starts fast)."""

from __future__ import annotations

from dataclasses import dataclass

from common.errors import UserError


class GAConfigError(UserError):
    """Invalid GA setting (one sentence naming it)."""


@dataclass(frozen=True)
class GAConfig:
    """Settings of one GA run (one slot). The defaults were sized by cost: through pymoo's
    `minimize` they took about what the paper reports for SCHRS (625 ms per slot, Table 3);
    the same search on arrays (`rl.baselines.ga.evolve`) costs less (docs/benchmarks.md)."""

    pop_size: int = 40
    """Chromosomes per generation."""
    n_gen: int = 50
    """Generations (the paper's "maximum number of iterations"; not stated there)."""
    crossover_prob: float = 0.9
    """Probability that a mating pair is recombined by simulated binary crossover (SBX)."""
    crossover_eta: float = 15.0
    """SBX distribution index (larger: children closer to parents)."""
    mutation_eta: float = 20.0
    """Polynomial-mutation distribution index; the per-gene mutation probability is pymoo's
    default 1 / n_var."""
    eliminate_duplicates: bool = True
    """Drop offspring identical to existing chromosomes (pymoo's default)."""
    penalty: bool = True
    """Add chi 1{D_tl > tau} per user to the fitness, as in (23); False scores (12) alone."""

    def __post_init__(self) -> None:
        for name in ("pop_size", "n_gen"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise GAConfigError(f"GA setting '{name}' must be a positive integer, got {v!r}.")
        if self.pop_size < 2:
            raise GAConfigError(f"GA setting 'pop_size' must be at least 2, got {self.pop_size}.")
        if not 0.0 <= self.crossover_prob <= 1.0:
            raise GAConfigError(
                f"GA setting 'crossover_prob' must be in [0, 1], got {self.crossover_prob!r}."
            )
        for name in ("crossover_eta", "mutation_eta"):
            v = getattr(self, name)
            if not v > 0:
                raise GAConfigError(f"GA setting '{name}' must be positive, got {v!r}.")
