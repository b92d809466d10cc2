"""`testbed.simulate`: the RCARS reference run gives per-episode metrics, the same for one seed."""

import numpy as np

from testbed.simulate import simulate_random_equal
from tests.testbed.small import SMALL


def test_same_seed_same_summary():
    frames = []
    a = simulate_random_equal(SMALL, episodes=2, seed=4, progress=frames.append)
    b = simulate_random_equal(SMALL, episodes=2, seed=4)
    assert frames == list(range(1, SMALL.n_frames + 1))
    for field in ("hit_ratio", "utility", "violation_share", "slot_reward", "frame_reward"):
        x, y = getattr(a, field), getattr(b, field)
        assert x.shape == (2,) and np.isfinite(x).all()
        np.testing.assert_array_equal(x, y)
    assert ((a.hit_ratio >= 0) & (a.hit_ratio <= 1)).all()
