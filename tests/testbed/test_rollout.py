"""The one loop that runs a policy (`testbed.rollout`): common random numbers, episodes,
per-slot caching, and the metrics equal to a loop written out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from testbed.batched import BatchedEdgeSim
from testbed.config import build_config
from testbed.policies import most_popular_cache, random_cache
from testbed.rollout import METRICS, RolloutMetrics, policy_steps, run_seed, seeded_sim
from testbed.system_model import SystemParams, slot_metrics

TINY = {"n_users": 3, "n_frames": 2, "n_slots": 3}


class RandomEqual:
    """Random cache per frame, all-zero raw action (the amender's equal split)."""

    name = "random-equal"

    def __init__(self, cfg):
        self.params = SystemParams.from_config(cfg)

    def choose_cache(self, gamma, rng):
        return random_cache(self.params, rng, n=len(np.atleast_1d(gamma)))

    def allocate(self, state, cache, rng):
        zeros = np.zeros(state.model.shape)
        return zeros, zeros.copy()


class PopularRandom:
    """Most-popular cache, a random allocation drawn from the policy's generator."""

    name = "popular-random"

    def __init__(self, cfg):
        self.params = SystemParams.from_config(cfg)

    def choose_cache(self, gamma, rng):
        return np.tile(most_popular_cache(self.params), (len(np.atleast_1d(gamma)), 1))

    def allocate(self, state, cache, rng):
        return rng.random(state.model.shape), rng.random(state.model.shape)


class PerSlot(PopularRandom):
    """Re-caches every slot (`per_slot_cache`), alternating two caches."""

    per_slot_cache = True

    def __init__(self, cfg):
        super().__init__(cfg)
        self.calls = 0

    def decide_slot(self, state, cache, rng):
        self.calls += 1
        b, xi = self.allocate(state, cache, rng)
        other = np.zeros_like(cache) if self.calls % 2 else np.asarray(cache)
        return other, b, xi


@pytest.fixture(scope="module")
def cfg():
    return build_config("paper", 0, TINY)


def test_policies_see_the_same_episodes(cfg):
    """Common random numbers: a seed's environment stream does not depend on the policy."""
    seen = {}

    def recording(policy):
        allocate, seen[policy.name] = policy.allocate, []

        def wrapped(state, cache, rng):
            seen[policy.name].append(state.model.copy())
            return allocate(state, cache, rng)

        policy.allocate = wrapped
        return policy

    run_seed(recording(RandomEqual(cfg)), cfg, seed=4)
    run_seed(recording(PopularRandom(cfg)), cfg, seed=4)
    np.testing.assert_array_equal(np.stack(seen["random-equal"]), np.stack(seen["popular-random"]))


def test_episodes_per_seed(cfg):
    one = run_seed(RandomEqual(cfg), cfg, seed=4, n_episodes=1)
    two = run_seed(RandomEqual(cfg), cfg, seed=4, n_episodes=2)
    assert one["utility"] != two["utility"]  # the second episode adds new slots
    assert list(one) == list(METRICS)


def hand_written(policy, cfg, seed, n_episodes):
    """The evaluator's loop as it was written before `policy_steps` (timings left out)."""
    env_seq, policy_seq = np.random.SeedSequence(seed).spawn(2)
    rng = np.random.default_rng(policy_seq)
    sim = BatchedEdgeSim(cfg, n_envs=1, rng=np.random.default_rng(env_seq))
    per_slot = bool(getattr(policy, "per_slot_cache", False))
    sums = dict.fromkeys(("hit_ratio", "utility", "violation_share", "slot_reward"), 0.0)
    frames, n = [], 0
    for _ in range(n_episodes):
        sim.reset()
        done = False
        while not done:
            sim.set_cache(policy.choose_cache(sim.gamma, rng))
            for _k in range(cfg.n_slots):
                if per_slot:
                    c, b, xi = policy.decide_slot(sim.state, sim.cache, rng)
                    sim.set_cache(c)
                else:
                    b, xi = policy.allocate(sim.state, sim.cache, rng)
                res = sim.step(b, xi)
                m = slot_metrics(res.outcome)
                for key in ("hit_ratio", "utility", "violation_share"):
                    sums[key] += float(m[key].mean())
                sums["slot_reward"] += float(res.reward.mean())
                n += 1
                if res.frame_end:
                    frames.append(float(res.frame_reward.mean()))
                done = res.done
    out = {k: v / n for k, v in sums.items()}
    out["frame_reward"] = float(np.mean(frames))
    return out, sim.rng.bit_generator.state, rng.bit_generator.state


@pytest.mark.parametrize("policy_cls", [RandomEqual, PopularRandom, PerSlot])
def test_run_seed_equals_the_loop_written_out(cfg, policy_cls):
    """Same numbers bit for bit, and both generators left in the same state."""
    want, env_state, policy_state = hand_written(policy_cls(cfg), cfg, 9, n_episodes=2)
    sim, rng = seeded_sim(cfg, 9)
    acc, episodes = RolloutMetrics(), 0
    for step in policy_steps(policy_cls(cfg), sim, rng):
        acc.add(step)
        episodes += step.result.done
        if episodes == 2:
            break
    got = acc.summary()
    assert got.pop("decision_time_ms") > 0
    assert got == want
    assert sim.rng.bit_generator.state == env_state and rng.bit_generator.state == policy_state


def test_per_slot_caching_sets_the_cache_of_each_slot(cfg):
    sim, rng = seeded_sim(cfg, 0)
    policy = PerSlot(cfg)
    for i, step in enumerate(policy_steps(policy, sim, rng)):
        assert step.frame_start == (i % cfg.n_slots == 0)
        if i % 2 == 0:  # odd calls answer with the empty cache
            assert not step.cache.any() and not step.result.outcome.hit.any()
        if i == 5:
            break
    assert policy.calls == 6
