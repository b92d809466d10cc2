"""Gymnasium contract, determinism and the info the envs expose."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import testbed
from testbed.system_model import SystemParams, decode_cache, evaluate_slot
from tests.testbed.small import SMALL


@pytest.mark.parametrize("env_id", [testbed.SLOT_ENV_ID, testbed.FRAME_ENV_ID])
def test_env_checker(env_id):
    for cfg in (None, SMALL):
        env = gym.make(env_id, **({} if cfg is None else {"config": cfg}))
        with pytest.warns(UserWarning) if env_id == testbed.SLOT_ENV_ID else _nothing():
            check_env(env.unwrapped, skip_render_check=True)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def _rollout(env_id, seed, cfg=SMALL):
    env = gym.make(env_id, config=cfg)
    env.action_space.seed(seed)
    obs, _ = env.reset(seed=seed)
    trace = [obs]
    while True:
        obs, r, term, trunc, info = env.step(env.action_space.sample())
        trace += [obs, np.array([r])]
        if term or trunc:
            return np.concatenate([np.ravel(t) for t in trace]), info


@pytest.mark.parametrize("env_id", [testbed.SLOT_ENV_ID, testbed.FRAME_ENV_ID])
def test_same_seed_same_trajectory(env_id):
    a, _ = _rollout(env_id, 7)
    b, _ = _rollout(env_id, 7)
    c, _ = _rollout(env_id, 8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_slot_env_horizon_and_info_matches_pure_function():
    env = gym.make(testbed.SLOT_ENV_ID, config=SMALL)
    obs, info = env.reset(seed=0)
    u, m = SMALL.n_users, SMALL.n_models
    params = SystemParams.from_config(SMALL)
    sim = env.unwrapped.sim
    steps = 0
    while True:
        s = sim.state
        args = (s.distance_m[0], s.fading[0], s.model[0], s.input_bits[0], sim.cache[0].copy())
        obs, r, term, trunc, info = env.step(np.full(2 * u, 0.3, dtype=np.float32))
        steps += 1
        direct = evaluate_slot(*args, info["b"], info["xi"], params)
        np.testing.assert_allclose(info["D_tl_s"], direct.D_tl_s)
        np.testing.assert_allclose(info["tv"], direct.tv)
        assert r == pytest.approx(-(direct.utility + 10 * direct.violated).mean())
        assert set(info) >= {
            "D_up_s",
            "D_dw_s",
            "D_gt_s",
            "D_tl_s",
            "tv",
            "utility",
            "violated",
            "hit",
        }
        if term or trunc:
            break
    assert steps == SMALL.n_frames * SMALL.n_slots and trunc and not term
    assert obs.shape == (4 * u + m,)


def test_frame_env_reward_is_eq32_over_the_slot_envs_rewards():
    """Same seed, same cache, equal allocation: (32) = mean of the K slot rewards (23) - Xi 1{...}."""
    params = SystemParams.from_config(SMALL)
    for index in (3, 2**SMALL.n_models - 1):
        frame_env = gym.make(testbed.FRAME_ENV_ID, config=SMALL)
        slot_env = gym.make(testbed.SLOT_ENV_ID, config=SMALL, cache=index)
        frame_env.reset(seed=5)
        slot_env.reset(seed=5)
        _, frame_r, _, _, info = frame_env.step(index)
        slot_rs = [slot_env.step(np.zeros(2 * SMALL.n_users))[1] for _ in range(SMALL.n_slots)]
        over = (
            params.storage_GB[decode_cache(index, SMALL.n_models) > 0].sum()
            > SMALL.cache_capacity_GB
        )
        assert info["over_capacity"] == over
        assert frame_r == pytest.approx(np.mean(slot_rs) - 100.0 * over)
