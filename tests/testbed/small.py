"""A small paper config shared by the env, batched-simulator and system-model tests."""

from testbed.config import build_config

SMALL = build_config("paper", 0, {"n_users": 4, "n_models": 5, "n_frames": 3, "n_slots": 4})
