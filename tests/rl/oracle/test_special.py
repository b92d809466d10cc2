"""The special functions' array forms (rl/oracle/special.py): the roots invert them."""

import numpy as np

from rl.oracle.special import log_g_and_slope, loglog_q_and_slope, root_g, root_q


def test_roots_invert_the_special_functions():
    logx = np.random.default_rng(0).uniform(-60.0, 60.0, 2000)
    log_g = log_g_and_slope(logx)[0]
    np.testing.assert_allclose(root_g(log_g, exact=True)[0], logx, atol=1e-9)
    log_q = -np.exp(loglog_q_and_slope(logx)[0])
    np.testing.assert_allclose(root_q(log_q, exact=True), logx, atol=1e-9)
