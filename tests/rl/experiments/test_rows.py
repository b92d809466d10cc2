"""`rl.experiments.rows`: records as sorted per-seed rows, the ablation's shared references, the
CSV written exactly."""

from __future__ import annotations

import csv

import pytest

from rl.experiments.rows import (
    AblationX,
    algos_of,
    curve_rows,
    per_seed_rows,
    write_csv,
    x_of,
    x_text,
    xs_of,
)


def test_per_seed_rows_are_sorted_and_deterministic():
    rec = lambda algo, seed: {  # noqa: E731
        "run_id": f"{algo}-{seed}",
        "spec": {
            "algo": algo,
            "env_preset": "paper",
            "hparams": "",
            "train_seed": seed,
            "episodes": None,
            "env_overrides": {"n_users": 10},
            "denoising_steps": None,
        },
        "config": {"n_frames": 10},
        "eval": [
            {
                "eval_seed": 1000,
                "hit_ratio": 0.5,
                "utility": 50.0,
                "violation_share": 0.1,
                "slot_reward": -51.0,
                "frame_reward": -51.0,
                "decision_time_ms": 1.0,
            }
        ],
    }
    rows = per_seed_rows("fig7", [rec("oracle", None), rec("t2drl", 1), rec("t2drl", 0)])
    assert [r["algo"] for r in rows] == ["t2drl", "t2drl", "oracle"]
    assert [r["train_seed"] for r in rows[:2]] == [0, 1]
    assert "decision_time_ms" not in rows[0]  # wall-clock numbers stay out of the CSV
    assert rows[0]["episode_reward"] == pytest.approx(-510.0)


def test_the_ablations_oracle_belongs_to_every_variant():
    spec = lambda algo, ablation=None: {"algo": algo, "ablation": ablation}  # noqa: E731
    assert x_of(spec("oracle"), "ablation") is None
    x = x_of(spec("t2drl", "critic"), "ablation")
    assert isinstance(x, AblationX) and str(x) == "critic" and f"{x:>8}" == "  critic"
    rows = [
        {"algo": "t2drl", "x": AblationX(0), "train_seed": 0, "eval_seed": 1000},
        {"algo": "t2drl", "x": AblationX(1), "train_seed": 0, "eval_seed": 1000},
        {"algo": "oracle", "x": None, "train_seed": None, "eval_seed": 1000},
    ]
    from rl.experiments.rows import _shared_rows

    shared = _shared_rows("ablation", rows)
    assert sorted((r["algo"], int(r["x"])) for r in shared) == [
        ("oracle", 0),
        ("oracle", 1),
        ("t2drl", 0),
        ("t2drl", 1),
    ]
    assert xs_of(shared) == [0, 1] and algos_of(shared) == ["t2drl", "oracle"]


def test_csv_keeps_every_digit(tmp_path, fig7_records):
    rows = per_seed_rows("fig7", fig7_records)
    write_csv(rows, tmp_path / "fig7.csv")
    with (tmp_path / "fig7.csv").open() as fh:
        back = list(csv.DictReader(fh))
    assert len(back) == len(rows)
    assert [float(r["hit_ratio"]) for r in back] == [r["hit_ratio"] for r in rows]
    assert back[-1]["train_seed"] == ""  # None as an empty cell
    curves = curve_rows("fig7", fig7_records)
    assert [(c["x"], c["train_seed"], c["episode"]) for c in curves[:5]] == [
        (10, 0, 1),
        (10, 0, 2),
        (10, 0, 3),
        (10, 0, 4),
        (10, 1, 1),
    ]


def test_x_text():
    assert x_text(20.0) == "20" and x_text(10) == "10" and x_text(AblationX(1)) == "critic"
