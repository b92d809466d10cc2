"""`testbed.policies`: the caches fill the capacity in the stated order and never exceed it."""

import numpy as np

from testbed.policies import most_popular_cache, random_cache
from testbed.system_model import SystemParams
from tests.testbed.small import SMALL


def test_caches_fit_the_capacity():
    params = SystemParams.from_config(SMALL)
    popular = most_popular_cache(params)
    assert params.storage_GB[popular > 0].sum() <= params.cache_capacity_GB + 1e-12
    assert popular[0] == 1 or params.storage_GB[0] > params.cache_capacity_GB
    batch = random_cache(params, np.random.default_rng(3), n=6)
    assert batch.shape == (6, SMALL.n_models)
    assert ((batch * params.storage_GB).sum(axis=1) <= params.cache_capacity_GB + 1e-12).all()
    again = random_cache(params, np.random.default_rng(3), n=6)
    np.testing.assert_array_equal(batch, again)
    assert random_cache(params, np.random.default_rng(3)).shape == (SMALL.n_models,)
