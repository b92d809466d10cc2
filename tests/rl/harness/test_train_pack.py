"""Packed training (`rl.harness.train_pack`): each member's folder is its run alone, a pack
resumed from members checkpointed at different episodes ends where an uninterrupted one does,
and what cannot be packed is refused before any work."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from rl.harness.train import TrainError
from rl.harness.train import main as train_alone
from rl.harness.train_pack import main as train_pack
from tests.rl.tiny import rows, tiny_args


def _members(tmp_path, name: str, **kw):
    return [
        tiny_args(tmp_path / name / f"s{s}", "t2drl", "default", seed=s, episodes=4, **kw)
        for s in range(3)
    ]


def _same_state(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same_state(a[k], b[k]) for k in a)
    if isinstance(a, torch.Tensor):
        return torch.equal(a, b)
    return a == b


def _state(args):
    return torch.load(f"{args.out}/checkpoint.pt", weights_only=True)["trainer"]


def test_pack_members_equal_their_runs_alone(tmp_path):
    alone = _members(tmp_path, "alone")
    for args in alone:
        train_alone(args)
    packed = _members(tmp_path, "packed")
    results = train_pack(packed)
    assert [r["episodes_done"] for r in results] == [4, 4, 4]
    for a, p in zip(alone, packed, strict=True):
        assert rows(f"{a.out}/progress.csv") == rows(f"{p.out}/progress.csv")
        assert _same_state(_state(a), _state(p))
        size = sum(f.stat().st_size for f in (tmp_path / "packed").rglob("policy.pt")) / 3
        assert size < 1.5 * next((tmp_path / "alone").rglob("policy.pt")).stat().st_size


def test_pack_resumed_from_uneven_checkpoints_equals_uninterrupted(tmp_path):
    whole = _members(tmp_path, "whole")
    train_pack(whole)
    # a kill between the members' saves: member 0 at episode 3, the others at 1
    part = _members(tmp_path, "part")
    train_pack([dataclasses.replace(a, stop_after=3 if i == 0 else 1) for i, a in enumerate(part)])
    assert [_state(a)["episode"] for a in part] == [3, 1, 1]
    train_pack(part)
    for a, b in zip(whole, part, strict=True):
        assert rows(f"{a.out}/progress.csv") == rows(f"{b.out}/progress.csv")
        assert _same_state(_state(a), _state(b))


def test_what_cannot_be_packed_is_refused(tmp_path):
    methods = _members(tmp_path, "methods")
    methods[1] = tiny_args(tmp_path / "d", "ddpg", "default")
    with pytest.raises(TrainError, match="^packed D3PG members must share their hyperparameters"):
        train_pack(methods)
    mixed = _members(tmp_path, "mixed")
    mixed[1] = dataclasses.replace(mixed[1], n_envs=3)
    with pytest.raises(TrainError, match="^packed runs must share n_frames, n_slots and --n-envs"):
        train_pack(mixed)
