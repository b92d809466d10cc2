"""`profiling.images`: image sources are deterministic and in range."""

from __future__ import annotations

import numpy as np

from profiling.images import SyntheticShapes, image_source


def test_images_deterministic_and_in_range():
    a = list(SyntheticShapes(count=3, seed=1).images(16, 3))
    b = list(SyntheticShapes(count=3, seed=1).images(16, 3))
    assert [i for i, _ in a] == [i for i, _ in b] and all(
        np.array_equal(x, y) for (_, x), (_, y) in zip(a, b, strict=True)
    )
    assert all(x.shape == (3, 16, 16) and x.min() >= 0 and x.max() <= 1 for _, x in a)
    digits = list(image_source("digits", count=2).images(16, 3))
    assert digits[0][1].shape == (3, 16, 16)
