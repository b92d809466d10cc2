"""The simulated edge network of the T2DRL paper: config, system model, batched simulator, envs.

Importing this package registers the gymnasium ids ``t2drl/EdgeSlot-v0`` (problem P2) and
``t2drl/EdgeFrame-v0`` (problem P3).
"""

from gymnasium.envs.registration import register, registry

from testbed.config import ConfigError, EdgeConfig, build_config

SLOT_ENV_ID = "t2drl/EdgeSlot-v0"
FRAME_ENV_ID = "t2drl/EdgeFrame-v0"

if SLOT_ENV_ID not in registry:
    register(id=SLOT_ENV_ID, entry_point="testbed.envs:EdgeSlotEnv")
if FRAME_ENV_ID not in registry:
    register(id=FRAME_ENV_ID, entry_point="testbed.envs:EdgeFrameEnv")

__all__ = ["ConfigError", "EdgeConfig", "build_config", "SLOT_ENV_ID", "FRAME_ENV_ID"]
