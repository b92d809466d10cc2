"""`testbed.vector_env`: the batched slot env against the single env, the simulator and gymnasium.

One generator drives all copies, so with N > 1 copy i cannot replay a single env seeded alike
(by construction); with N = 1 it does, bit for bit. For N > 1 the tests pin the trajectory to a
hand-driven `BatchedEdgeSim` on the same generator instead.
"""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, SyncVectorEnv

import testbed
from testbed.batched import BatchedEdgeSim
from testbed.policies import most_popular_cache
from testbed.system_model import decode_cache
from testbed.vector_env import EdgeSlotVectorEnv
from tests.testbed.small import SMALL

EPISODE = SMALL.n_frames * SMALL.n_slots
U, M = SMALL.n_users, SMALL.n_models


def by_gamma(gamma, params):
    """A cacher that depends on gamma, so copies in different popularity states differ."""
    return decode_cache(int(round(gamma * 10)) % 2**M, M)


def _actions(n, steps, seed=0):
    return np.random.default_rng(seed).random((steps, n, 2 * U)).astype(np.float32)


def _assert_same(a, b, where):
    if isinstance(a, dict):
        assert sorted(a) == sorted(b), where
        for k in a:
            _assert_same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{where}[{i}]")
    else:
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype and a.shape == b.shape, (where, a.dtype, b.dtype)
        np.testing.assert_array_equal(a, b, err_msg=where)


@pytest.mark.parametrize("kwargs", [{}, {"cache_policy": by_gamma}, {"cache": 6}])
def test_one_copy_is_the_single_env_across_an_autoreset(kwargs):
    """N = 1: observations, rewards, flags and infos are gymnasium's SyncVectorEnv over one
    `EdgeSlotEnv`, bit for bit, for 2.5 episodes (two autoresets)."""
    ours = EdgeSlotVectorEnv(SMALL, 1, **kwargs)
    sync = gym.make_vec(testbed.SLOT_ENV_ID, 1, vectorization_mode="sync", config=SMALL, **kwargs)
    assert isinstance(sync, SyncVectorEnv)
    assert sync.metadata["autoreset_mode"] == ours.metadata["autoreset_mode"]
    assert ours.single_observation_space == sync.single_observation_space
    assert ours.single_action_space == sync.single_action_space
    _assert_same(ours.reset(seed=3), sync.reset(seed=3), "reset")
    for t, a in enumerate(_actions(1, 2 * EPISODE + EPISODE // 2)):
        _assert_same(ours.step(a), sync.step(a), f"step {t}")


def _hand_driven(n, seed, cache_policy, actions):
    """The same episode on a bare `BatchedEdgeSim`: (obs, reward) per step, the reset's first."""
    sim = BatchedEdgeSim(SMALL, n)
    sim.reset(seeding.np_random(seed)[0])

    def obs():
        caches = np.stack([cache_policy(float(g), sim.params) for g in sim.gamma])
        if sim.slot == 0 and not sim.done:
            sim.set_cache(caches)
        s = sim.state
        parts = (s.channel_gain, s.model, sim.cache, s.input_bits, s.output_bits)
        return np.concatenate([np.asarray(p, dtype=np.float64) for p in parts], axis=1)

    out = [(obs(), None)]
    for a in actions:
        result = sim.step(a[:, :U], a[:, U:])
        out.append((obs(), result.reward))
    return out


@pytest.mark.parametrize("cache_policy", [None, by_gamma])
def test_copies_follow_the_batched_simulator_on_the_same_generator(cache_policy):
    """N = 5: observation (21) stacked over copies, reward (23) = `BatchedEdgeSim`'s reward for
    the same actions, each copy's cache its own gamma's; all observations inside the space."""
    n = 5
    policy = cache_policy or (lambda gamma, params: most_popular_cache(params))
    env = EdgeSlotVectorEnv(SMALL, n, cache_policy=cache_policy)
    actions = _actions(n, EPISODE, seed=1)
    expected = _hand_driven(n, 9, policy, actions)
    obs, info = env.reset(seed=9)
    np.testing.assert_array_equal(obs, expected[0][0])
    assert env.observation_space.contains(obs)
    for a, (want_obs, want_r) in zip(actions, expected[1:], strict=True):
        obs, r, term, trunc, info = env.step(a)
        np.testing.assert_array_equal(obs, want_obs)
        np.testing.assert_array_equal(r, want_r)
        assert env.observation_space.contains(obs)
        assert obs.dtype == np.float64 and r.shape == (n,) and r.dtype == np.float64
        assert term.dtype == trunc.dtype == np.bool_ and term.shape == trunc.shape == (n,)
        for i in range(n):
            np.testing.assert_array_equal(
                info["cache"][i], policy(info["gamma"][i], env.sim.params)
            )
        assert info["D_tl_s"].shape == (n, U) and info["_D_tl_s"].all()
    assert trunc.all() and not term.any()
    assert not np.array_equal(obs[0], obs[1])  # the copies are independent


def _trajectory(seed, steps=EPISODE + 3, n=4, actions_seed=0):
    env = gym.make_vec(testbed.SLOT_ENV_ID, n, config=SMALL)
    obs, _ = env.reset(seed=seed)
    trace = [obs]
    for a in _actions(n, steps, actions_seed):
        obs, r, term, trunc, _ = env.step(a)
        trace += [obs, r, term, trunc]
    return np.concatenate([np.ravel(t).astype(np.float64) for t in trace])


def test_same_seed_same_trajectories():
    a, b, c = _trajectory(7), _trajectory(7), _trajectory(8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_next_step_autoreset():
    """The truncating step keeps the last state; the next step ignores its actions and starts new
    episodes (reward 0, flags False, frame 0 slot 0) on the same generator, not a reseeded one."""
    n = 3
    env = EdgeSlotVectorEnv(SMALL, n)
    assert env.metadata["autoreset_mode"] is AutoresetMode.NEXT_STEP
    first, _ = env.reset(seed=4)
    for t, a in enumerate(_actions(n, EPISODE)):
        obs, r, term, trunc, info = env.step(a)
        assert trunc.all() == (t == EPISODE - 1) and not term.any()
    last = obs
    twin = EdgeSlotVectorEnv(SMALL, n)
    twin.reset(seed=4)
    for a in _actions(n, EPISODE):
        twin.step(a)
    ones, zeros = np.ones((n, 2 * U)), np.zeros((n, 2 * U))
    (obs, r, term, trunc, info), twin_step = env.step(ones), twin.step(zeros)
    _assert_same((obs, r, term, trunc, info), twin_step, "autoreset step")
    assert (r == 0).all() and not term.any() and not trunc.any()
    assert (info["frame"] == 0).all() and (info["slot"] == 0).all() and "D_tl_s" not in info
    assert not np.array_equal(obs, first) and not np.array_equal(obs, last)
    obs, r, term, trunc, info = env.step(ones)  # the new episode runs on
    assert (info["slot"] == 1).all() and (r < 0).all()


def test_gymnasium_vector_wrappers_read_its_episodes():
    n = 2
    env = gym.wrappers.vector.RecordEpisodeStatistics(EdgeSlotVectorEnv(SMALL, n))
    env.reset(seed=0)
    total = np.zeros(n)
    for a in _actions(n, EPISODE):
        _, r, _, _, info = env.step(a)
        total += r
    np.testing.assert_allclose(info["episode"]["r"], total)
    assert (info["episode"]["l"] == EPISODE).all() and info["_episode"].all()


def test_make_vec_builds_it_and_sync_stays_available():
    env = gym.make_vec(testbed.SLOT_ENV_ID, 3, config=SMALL, cache=1)
    assert isinstance(env, EdgeSlotVectorEnv) and env.num_envs == 3
    assert env.observation_space.shape == (3, 4 * U + M) and env.action_space.shape == (3, 2 * U)
    assert isinstance(
        gym.make_vec(testbed.SLOT_ENV_ID, 2, vectorization_mode="sync"), SyncVectorEnv
    )


def test_bad_input_is_one_sentence():
    env = EdgeSlotVectorEnv(SMALL, 2)
    with pytest.raises(RuntimeError, match="call reset"):
        env.step(np.zeros((2, 2 * U)))
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"actions must have shape \(N, 2U\) = \(2, 8\)"):
        env.step(np.zeros(2 * U))
    with pytest.raises(ValueError, match="one int"):
        env.reset(seed=[0, 1])
    with pytest.raises(ValueError, match="num_envs must be a positive integer"):
        EdgeSlotVectorEnv(SMALL, 0)
    with pytest.raises(ValueError, match="either cache or cache_policy"):
        EdgeSlotVectorEnv(SMALL, 2, cache=1, cache_policy=by_gamma)
