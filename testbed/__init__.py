"""The simulated edge network of the T2DRL paper: config, system model, batched simulator, envs.

Importing this package registers the gymnasium ids ``t2drl/EdgeSlot-v0`` (problem P2) and
``t2drl/EdgeFrame-v0`` (problem P3). The slot id also has a ``vector_entry_point``:
``gymnasium.make_vec("t2drl/EdgeSlot-v0", num_envs=n)`` builds `EdgeSlotVectorEnv`
(`testbed.vector_env`), n copies stepped as one `BatchedEdgeSim` batch, autoreset
``NEXT_STEP``; pass ``vectorization_mode="sync"`` for n separate `EdgeSlotEnv`s instead.
"""

from gymnasium.envs.registration import register, registry

from testbed.config import ConfigError, EdgeConfig, build_config

SLOT_ENV_ID = "t2drl/EdgeSlot-v0"
FRAME_ENV_ID = "t2drl/EdgeFrame-v0"

if SLOT_ENV_ID not in registry:
    register(
        id=SLOT_ENV_ID,
        entry_point="testbed.envs:EdgeSlotEnv",
        vector_entry_point="testbed.vector_env:EdgeSlotVectorEnv",
    )
if FRAME_ENV_ID not in registry:
    register(id=FRAME_ENV_ID, entry_point="testbed.envs:EdgeFrameEnv")

__all__ = ["ConfigError", "EdgeConfig", "build_config", "SLOT_ENV_ID", "FRAME_ENV_ID"]
