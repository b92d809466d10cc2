"""`rl.agents.common`: one seed gives one stream; the soft update is tau source + (1 - tau)
target."""

import numpy as np
import pytest
import torch

from rl.agents.common import seed_everything, soft_update


def test_seed_everything_repeats_every_stream():
    first = (seed_everything(5).random(), np.random.rand(), torch.rand(1).item())
    assert first == (seed_everything(5).random(), np.random.rand(), torch.rand(1).item())


def test_soft_update_is_a_lerp():
    target, source = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    pairs = zip(target.parameters(), source.parameters(), strict=True)
    expected = [(0.75 * t + 0.25 * s).detach() for t, s in pairs]
    soft_update(target, source, 0.25)
    for got, want in zip(target.parameters(), expected, strict=True):
        torch.testing.assert_close(got, want)
    with pytest.raises(ValueError, match="different parameter lists"):
        soft_update(target, torch.nn.Linear(2, 2, bias=False), 0.5)
