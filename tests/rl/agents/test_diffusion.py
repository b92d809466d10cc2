"""The diffusion actor (`rl.agents.diffusion`): the schedule under (14), a pinned, seeded
sampler, the noise drawn outside, and the NumPy copy equal to the torch forward."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rl.agents.diffusion import DiffusionActor, NumpyDiffusionSampler, diffusion_schedule
from rl.agents.networks import SlotStateEncoder, raw_slot_state
from testbed.batched import BatchedEdgeSim
from testbed.config import build_config
from tests.rl.tiny import TINY


def test_actor_takes_a_noise_draw_made_outside():
    """A compiled update draws the chain's noise before the loss: the same draw through the
    `noise` argument gives the same action as drawing inside from the same generator."""
    cfg = build_config("paper", 0, dict(TINY))
    actor = DiffusionActor(SlotStateEncoder(cfg), 2 * cfg.n_users)
    sim = BatchedEdgeSim(cfg, 4, np.random.default_rng(0))
    sim.reset()
    obs = torch.as_tensor(raw_slot_state(sim.state, sim.cache), dtype=torch.float32)
    inside = actor(obs, torch.Generator().manual_seed(5))
    noise = actor.sample_noise(4, torch.Generator().manual_seed(5), "cpu")
    assert torch.equal(inside, actor(obs, None, noise=noise))


def test_diffusion_schedule_and_pinned_actor():
    s = diffusion_schedule(5, 0.1, 10.0)
    ell = np.arange(1, 6)
    beta = 1 - np.exp(-0.1 / 5 - (2 * ell - 1) / 50 * 9.9)
    np.testing.assert_allclose(s["beta"].numpy(), beta, rtol=1e-6)
    assert (s["beta_bar"] <= s["beta"] + 1e-7).all()
    cfg = build_config("paper", 0, dict(TINY))
    torch.manual_seed(0)
    actor = DiffusionActor(SlotStateEncoder(cfg), 6)
    sim = BatchedEdgeSim(cfg, 2, np.random.default_rng(0))
    sim.reset()
    raw = torch.as_tensor(raw_slot_state(sim.state, sim.cache), dtype=torch.float32)
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    a1, a2 = actor(raw, g1), actor(raw, g2)
    assert torch.equal(a1, a2) and a1.shape == (2, 6)
    assert ((a1 >= 0) & (a1 <= 1)).all()
    det = actor(raw, deterministic=True)
    assert torch.equal(det, actor(raw, deterministic=True))


@pytest.mark.parametrize("output_map", ["clamp", "tanh", "softmax"])
@pytest.mark.parametrize("clip", [True, False])
def test_numpy_sampler_matches_torch(output_map, clip):
    cfg = build_config("paper", 0, dict(TINY))
    torch.manual_seed(1)
    actor = DiffusionActor(SlotStateEncoder(cfg), 6, output_map=output_map, clip_denoised=clip)
    sim = BatchedEdgeSim(cfg, 4, np.random.default_rng(0))
    sim.reset()
    raw = raw_slot_state(sim.state, sim.cache)
    with torch.no_grad():
        ref = actor(torch.as_tensor(raw, dtype=torch.float32), deterministic=True).numpy()
    np.testing.assert_allclose(NumpyDiffusionSampler(actor)(raw, None), ref, atol=1e-5)
