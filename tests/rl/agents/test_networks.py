"""Critics and the differentiable amender (`rl.agents.networks`)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rl.agents.networks import Critic, FactoredCritic, SlotStateEncoder, amend_torch, raw_slot_state
from testbed.batched import BatchedEdgeSim
from testbed.config import build_config
from testbed.system_model import amend_action
from tests.rl.tiny import TINY


def test_factored_critic_fits_the_slot_reward():
    """The factored critic regresses the slot reward (23) of random allocations far better
    than one MLP over [features(s), a] at the same budget: its structure is (23)'s."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    cfg = build_config("paper", 0, {"n_users": 4, "n_models": 3})
    enc = SlotStateEncoder(cfg)
    rng = np.random.default_rng(0)

    def data(n):
        sim = BatchedEdgeSim(cfg, n, rng)
        sim.reset()
        sim.set_cache(rng.integers(0, 2, (n, 3)))
        raw = raw_slot_state(sim.state, sim.cache)
        act = rng.dirichlet(np.ones(4), 2 * n).reshape(n, 8) ** 0.5  # varied shares
        res = sim.step(act[:, :4], act[:, 4:])
        t = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
        return t(raw), t(act), t(0.01 * res.reward)

    train, test = data(4096), data(1024)
    errors = {}
    for name, critic in (("factored", FactoredCritic(enc, (64, 64))), ("mlp", Critic(enc, 8))):
        opt = torch.optim.Adam(critic.parameters(), lr=3e-3)
        for _ in range(400):
            i = torch.as_tensor(rng.integers(0, 4096, 256))
            loss = torch.nn.functional.mse_loss(critic(train[0][i], train[1][i]), train[2][i])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            err = critic(test[0], test[1]) - test[2]
        errors[name] = float(err.pow(2).mean().sqrt() / test[2].std())
    print(f"held-out RMSE / std of the reward: {errors}")
    assert errors["factored"] < 0.3
    assert errors["factored"] < 0.5 * errors["mlp"]


@pytest.mark.parametrize("step_amender", ["normalise", "cap"])
def test_amend_torch_matches_testbed(step_amender):
    cfg = build_config("paper", 0, {**TINY, "step_amender": step_amender})
    sim = BatchedEdgeSim(cfg, 5, np.random.default_rng(0))
    sim.reset()
    sim.set_cache(np.array([[1, 0, 1]] * 5))
    raw = raw_slot_state(sim.state, sim.cache)
    act = np.random.default_rng(1).uniform(0.05, 1.0, (5, 6))
    b, xi = amend_action(act[:, :3], act[:, 3:], sim.state.model, sim.cache, step_amender)
    out = amend_torch(torch.as_tensor(raw), torch.as_tensor(act), SlotStateEncoder(cfg))
    np.testing.assert_allclose(out.numpy(), np.concatenate([b, xi], -1), atol=1e-9)
