"""docs/examples/sb3_vec_adapter.py: the batched slot env under SB3's VecEnv contract (same-step
autoreset, terminal observations) and a short SAC run on it (it runs; no learning checked)."""

import numpy as np
import pytest

from .conftest import load_example

pytest.importorskip("stable_baselines3")

from testbed.vector_env import EdgeSlotVectorEnv  # noqa: E402
from tests.testbed.small import SMALL  # noqa: E402

EPISODE = SMALL.n_frames * SMALL.n_slots


def test_adapter_is_same_step_autoreset_over_the_vector_env():
    ex = load_example("sb3_vec_adapter")
    n = 3
    direct = EdgeSlotVectorEnv(SMALL, n)
    adapted = ex.SB3VecAdapter(EdgeSlotVectorEnv(SMALL, n))
    adapted.seed(5)
    np.testing.assert_array_equal(adapted.reset(), direct.reset(seed=5)[0])
    actions = np.random.default_rng(0).random((2 * EPISODE, n, 2 * SMALL.n_users))
    for t, a in enumerate(actions):
        obs, rewards, dones, infos = adapted.step(a)
        want_obs, want_r, *_ = direct.step(a)
        np.testing.assert_array_equal(rewards, want_r.astype(np.float32))
        assert dones.all() == ((t + 1) % EPISODE == 0) and len(infos) == n
        if dones.all():
            for i in range(n):
                np.testing.assert_array_equal(infos[i]["terminal_observation"], want_obs[i])
                assert infos[i]["TimeLimit.truncated"]
            want_obs, *_ = direct.step(a)  # the vector env's autoreset step
        np.testing.assert_array_equal(obs, want_obs)


def test_sac_trains_on_the_adapted_vector_env():
    ex = load_example("sb3_vec_adapter")
    small = {"n_users": 3, "n_frames": 2, "n_slots": 5}  # episodes of 10 slots
    model = ex.main(copies=4, timesteps=200, seed=0, overrides=small, hidden=16)
    assert model.num_timesteps >= 200 and len(model.ep_info_buffer) >= 4
