"""`testbed.batched`: copies are independent and seeded; wrong shapes are refused."""

import numpy as np
import pytest

from testbed.batched import BatchedEdgeSim
from testbed.system_model import ShapeError
from tests.testbed.small import SMALL


def test_batched_copies_are_independent_and_seeded():
    a = BatchedEdgeSim(SMALL, 5, rng=11)
    b = BatchedEdgeSim(SMALL, 5, rng=11)
    sa, sb = a.reset(), b.reset()
    np.testing.assert_array_equal(sa.distance_m, sb.distance_m)
    assert not np.array_equal(sa.distance_m[0], sa.distance_m[1])
    frames = 0
    zeros = np.zeros((5, SMALL.n_users))
    while not a.done:
        if a.slot == 0:
            a.set_cache(np.ones(SMALL.n_models, dtype=int))
        res = a.step(zeros, zeros)
        frames += res.frame_end
    assert frames == SMALL.n_frames
    with pytest.raises(ShapeError, match="b must have shape"):
        b.step(np.zeros(3), np.zeros(3))
