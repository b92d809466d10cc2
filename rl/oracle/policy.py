"""The oracle as a policy: the P3-best cache per popularity state, the slot oracle per slot."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from rl.oracle.frame import FrameOracleResult, frame_oracle
from rl.oracle.problem import OracleError
from rl.oracle.slot import SlotOracleResult, slot_oracle
from rl.oracle.store import stored_frame_oracle
from testbed.batched import SlotState
from testbed.config import EdgeConfig
from testbed.system_model import SystemParams, encode_cache


class OraclePolicy:
    """`TwoTimescalePolicy`: P3-best cache per popularity state, slot oracle per slot.

    Args:
        cfg: the environment (its `step_amender` is honoured).
        n_frame_samples: common slot samples per popularity state for P3 (>= 2).
        seed: seed of those samples (per gamma value: SeedSequence([seed, round(1e6 gamma)])).
        max_nodes: the slot oracle's branch-and-bound budget per slot in `allocate` (1: the
            rounded dual primal with its certified bound; more tightens the bound and sometimes
            the action, at several times the cost).
        frame_max_nodes: the same for the P3 samples.
        progress: show a progress bar while a P3 table is computed.
        store: a folder keeping P3 tables across processes (`rl.oracle.store`); None: computed
            in this process.
    """

    name = "Oracle"

    def __init__(
        self,
        cfg: EdgeConfig,
        n_frame_samples: int = 64,
        seed: int = 0,
        max_nodes: int = 1,
        frame_max_nodes: int = 1,
        progress: bool = False,
        store: str | Path | None = None,
    ):
        if not isinstance(n_frame_samples, int) or n_frame_samples < 2:
            raise OracleError(f"n_frame_samples must be an integer >= 2, got {n_frame_samples!r}.")
        for name, v in (("max_nodes", max_nodes), ("frame_max_nodes", frame_max_nodes)):
            if not isinstance(v, int) or v < 1:
                raise OracleError(f"{name} must be a positive integer, got {v!r}.")
        self.cfg = cfg
        self.params = SystemParams.from_config(cfg)
        self.n_frame_samples = n_frame_samples
        self.seed = seed
        self.max_nodes = max_nodes
        self.frame_max_nodes = frame_max_nodes
        self.progress = progress
        self.store = None if store is None else Path(store)
        self._table: dict[float, FrameOracleResult] = {}
        self.last_result: SlotOracleResult | None = None
        """The slot oracle's answer behind the last `allocate` (reward, bound, gap)."""

    def frame_result(self, gamma_value: float) -> FrameOracleResult:
        """P3 for one popularity state, computed once per distinct gamma value (and once per
        process for equal settings: Table 3 builds one oracle per timing seed; once per `store`
        across processes)."""
        key = float(gamma_value)
        if key not in self._table:
            seq = np.random.SeedSequence([self.seed, int(round(key * 1e6))])
            self._table[key] = _shared_frame_oracle(
                self.cfg,
                key,
                self.n_frame_samples,
                int(seq.generate_state(1)[0]),
                self.frame_max_nodes,
                self.progress,
                self.store,
            )
        return self._table[key]

    def choose_cache(self, gamma: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        gamma = np.atleast_1d(np.asarray(gamma, dtype=np.float64))
        return np.stack([self.frame_result(g).best_cache for g in gamma]).astype(np.int8)

    def allocate(
        self, state: SlotState, cache: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        res = slot_oracle(
            state, cache, self.params, self.cfg.step_amender, max_nodes=self.max_nodes
        )
        self.last_result = res
        return res.b, res.xi

    def frame_table(self, gammas=None) -> list[dict]:
        """One row per popularity state: best cache, expected frame reward, its standard error,
        runner-up and margin (computing missing states)."""
        gammas = self.cfg.popularity_states if gammas is None else gammas
        rows = []
        for g in gammas:
            r = self.frame_result(g)
            rows.append(
                {
                    "gamma": r.gamma,
                    "best_cache": r.best_cache.tolist(),
                    "best_cache_index": int(encode_cache(r.best_cache)),
                    "expected_frame_reward": r.best_mean,
                    "stderr": r.best_stderr,
                    "runner_up_cache": r.caches[r.runner_up_index].tolist(),
                    "runner_up_reward": float(r.mean[r.runner_up_index]),
                    "margin": r.margin,
                    "margin_stderr": r.margin_stderr,
                    "mean_slot_gap": r.mean_gap,
                    "n_caches": len(r.caches),
                    "n_samples": r.n_samples,
                }
            )
        return rows


@functools.lru_cache(maxsize=64)
def _shared_frame_oracle(
    cfg, gamma, n_samples, seed, max_nodes, progress, store
) -> FrameOracleResult:
    """`frame_oracle`, kept per process (and in `store` when given): a deterministic function
    of its arguments, never mutated by its callers."""
    if store is not None:
        return stored_frame_oracle(store, cfg, gamma, n_samples, seed, max_nodes, progress)
    return frame_oracle(cfg, gamma, n_samples, seed, max_nodes=max_nodes, progress=progress)
