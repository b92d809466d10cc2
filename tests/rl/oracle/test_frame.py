"""P3 (rl/oracle/frame.py): the known best cache on a constructed case, fitting caches."""

import numpy as np

from rl.oracle.frame import fitting_caches, frame_oracle
from testbed.batched import BatchedEdgeSim
from tests.rl.oracle.conftest import constructed_cfg, make_cfg


def test_p3_picks_the_known_best_cache():
    cfg = constructed_cfg()
    res = frame_oracle(cfg, 1.2, n_samples=24, seed=0)
    assert len(res.caches) == 4  # empty and one model each: (11d) allows exactly one
    assert res.best_cache.tolist() == [0, 1, 0]
    assert res.margin > 0 and np.isfinite(res.best_stderr)
    worst = res.caches[np.argmin(res.mean)].tolist()
    assert worst == [1, 0, 0]


def test_fitting_caches_respect_capacity():
    cfg = make_cfg("paper", "cap", 3)
    p = BatchedEdgeSim(cfg, 1, 0).params
    caches = fitting_caches(p)
    assert (caches @ p.storage_GB <= p.cache_capacity_GB + 1e-12).all()
    assert caches[0].sum() == 0
