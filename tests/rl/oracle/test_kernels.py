"""The compiled scalar kernels (`rl.oracle.kernels`): Q and its derivative against plain NumPy,
and the table roots invert G and Q (to machine precision with Newton polishing, to ~1e-6
without)."""

import numpy as np

from rl.oracle import kernels as K


def test_q_and_its_derivative_match_numpy():
    x = np.geomspace(1e-6, 1e6, 200)
    np.testing.assert_allclose(K.q_of(x), x * np.log1p(1.0 / x), rtol=1e-14)
    x = np.geomspace(1e-3, 1e2, 100)  # a central difference of Q loses digits beyond
    h = 1e-5 * x
    numeric = (K.q_of(x + h) - K.q_of(x - h)) / (2 * h)
    dq = np.array([K.dq_of(v) for v in x])
    np.testing.assert_allclose(dq, numeric, rtol=1e-4)


def test_table_roots_invert_g_and_q():
    for logx in (-5.0, 0.3, 7.0):
        log_g = K.log_g_and_slope(logx)[0]
        log_q = K.log_q_of(float(np.exp(logx)))
        assert abs(K.root_g(log_g, True, K.TABLES)[0] - logx) < 1e-9
        assert abs(K.root_q(log_q, True, K.TABLES) - logx) < 1e-9
        assert abs(K.root_g(log_g, False, K.TABLES)[0] - logx) < 1e-5
