"""Which runs of a sweep train together as packs (`rl.agents.pack`, `rl.experiments.run.run_pack`).

Learned runs (T2DRL, DDPG-based T2DRL, the single-timescale DDPG) pack when their networks and
episodes have the same shapes and hyperparameters: the same method, preset, ablation, L, H and
environment except for the cache capacity C (Fig. 8's variable: it changes the caches that
fit, which the members' own DDQNs, or for the DDPG their own score-to-cache maps, handle, not
the shared D3PG update) and the training seed. Everything else (baselines, the oracle,
Table 3's timings) runs on its own.

A group larger than `pack_size` is split into nearly equal packs, and a sweep's packs are at
least as many as its cores where the runs allow, so that no core idles while one long pack
runs (packing gains little per agent beyond a few members: docs/benchmarks.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from rl.experiments.spec import RunSpec
from rl.harness.train_pack import PACKABLE

FREE_FIELDS = ("cache_capacity_GB",)
"""EdgeConfig overrides in which the members of one pack may differ."""


def pack_key(spec: RunSpec) -> tuple | None:
    """What a run must share with the others of its pack; None: it runs alone."""
    if not spec.learned or spec.algo not in PACKABLE or spec.kind == "bench":
        return None
    fields = tuple((k, v) for k, v in spec.env_overrides if k not in FREE_FIELDS)
    return (
        spec.experiment, spec.algo, spec.env_preset, spec.env_seed, fields, spec.hparams,
        spec.denoising_steps, spec.episodes, spec.ablation,
    )  # fmt: skip


def packs(specs: Iterable[RunSpec], pack_size: int, cores: int = 1) -> list[list[RunSpec]]:
    """`specs` in plan order, grouped: packs of compatible runs (at most `pack_size` each),
    then every other run alone. With `pack_size` 1 every run is alone."""
    groups: dict[tuple, list[RunSpec]] = {}
    alone: list[list[RunSpec]] = []
    for spec in specs:
        key = pack_key(spec) if pack_size > 1 else None
        if key is None:
            alone.append([spec])
        else:
            groups.setdefault(key, []).append(spec)
    n_packed = sum(len(g) for g in groups.values())
    size = max(1, min(pack_size, math.ceil(n_packed / max(cores, 1)))) if n_packed else 1
    out: list[list[RunSpec]] = []
    for group in groups.values():
        n = math.ceil(len(group) / size)
        per, extra = divmod(len(group), n)
        i = 0
        for j in range(n):
            take = per + (1 if j < extra else 0)
            out.append(group[i : i + take])
            i += take
    return out + alone
