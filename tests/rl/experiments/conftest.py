"""Synthetic run records for the report's tests (numbers chosen by hand, no training) and the
stand-in oracle for the sweep's tests."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from rl.experiments import run as run_mod
from rl.experiments.spec import QUICK, plan
from tests.rl.experiments.stand_in import StandInOracle

EVAL_SEEDS = (1000, 1001, 1002)
SCALE = dataclasses.replace(QUICK, eval_seeds=EVAL_SEEDS)


def fake_record(spec, base: float) -> dict:
    """A finished run of `spec` whose utility is `base` plus a small per-seed offset."""
    rec = {
        "run_id": spec.run_id,
        "spec": spec.to_dict(),
        "config": {"n_frames": 4},
        "eval": [
            {
                "eval_seed": s,
                "hit_ratio": 0.5 - base / 1000 + 0.01 * i,
                "utility": base + i,
                "violation_share": 0.1,
                "slot_reward": -(base + i),
                "frame_reward": -(base + i),
            }
            for i, s in enumerate(EVAL_SEEDS)
        ],
        "eval_wall_s": 3.0,
    }
    if spec.learned:
        rec["curve"] = {
            "episode": [1, 2, 3, 4],
            "episode_reward": [-4 * base - 40, -4 * base - 20, -4 * base - 10, -4 * base],
            "wall_s": [1.0, 1.0, 1.0, 1.0],
            "greedy_utility": [float("nan"), base + 5, float("nan"), base + 1],
        }
    return rec


@pytest.fixture
def fig7_records() -> list[dict]:
    """fig7 at U = 10 and 18: T2DRL (two training seeds) beats RCARS, the oracle beats both."""
    specs = plan(
        "fig7",
        SCALE,
        algos=("t2drl", "rcars", "oracle"),
        grid=(10, 18),
        env_overrides={"n_frames": 4},
    )
    base = {"t2drl": 60.0, "rcars": 80.0, "oracle": 50.0}
    return [
        fake_record(s, base[s.algo] + dict(s.env_overrides)["n_users"] + (s.train_seed or 0))
        for s in specs
    ]


@pytest.fixture
def sweep_doc() -> dict:
    """The parts of a sweep.json the report reads."""
    return {
        "args": {
            "preset": "paper",
            "hparams": "default",
            "quick": True,
            "seeds": None,
            "episodes": None,
            "eval_seeds": list(EVAL_SEEDS),
            "algos": ["t2drl", "rcars", "oracle"],
            "grid": [10, 18],
            "env_overrides": {"n_frames": 4},
        },
        "provenance": {
            "git_commit": "abc123",
            "device": {"cpu": "test CPU"},
            "versions": {"numpy": "x"},
            "time_utc": "2026-01-01T00:00:00Z",
        },
    }


@pytest.fixture
def stand_in_oracle(monkeypatch):
    monkeypatch.setitem(
        run_mod.POLICY_FACTORIES, "oracle", lambda cfg, spec, p3_tables: StandInOracle(cfg)
    )
    torch.set_num_threads(1)
