"""`profiling.masks`: masks are deterministic per seed; bad mask (and image) input is refused."""

from __future__ import annotations

import numpy as np
import pytest

from profiling.errors import ProfilingError
from profiling.images import image_source
from profiling.masks import MASK_KINDS, make_mask, mask_set


@pytest.mark.parametrize("kind", MASK_KINDS)
def test_masks_deterministic(kind):
    a, b = make_mask(kind, 32, seed=3), make_mask(kind, 32, seed=3)
    assert a.shape == (1, 32, 32) and np.array_equal(a, b)
    assert 0 < (a == 0).mean() < 1 and set(np.unique(a)) <= {0.0, 1.0}
    if kind in ("thick", "thin", "half"):
        assert any(not np.array_equal(a, make_mask(kind, 32, seed=s)) for s in range(4, 8))


def test_mask_and_image_errors(tmp_path):
    with pytest.raises(ProfilingError, match="unknown"):
        mask_set("thick,blob", 16, 0)
    from PIL import Image

    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "small.png")
    with pytest.raises(ProfilingError, match="small.png' is 8x8"):
        list(image_source(str(tmp_path), count=2).images(16, 3))
    masks = tmp_path / "masks"
    masks.mkdir()
    Image.fromarray(np.full((8, 8), 255, np.uint8)).save(masks / "m.png")
    with pytest.raises(ProfilingError, match="m.png' is 8x8"):
        mask_set(str(masks), 16, 0)
