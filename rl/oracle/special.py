"""The special functions of the uplink delay and their roots, in array form.

x = b / a.  Q(x) = x ln(1 + 1/x) in (0, 1), increasing;  G(x) = Q'(x) / Q(x)^2, decreasing.
The uplink delay is f(b) = C / (a Q(x)) and -f'(b) = (C / a^2) G(x) (rl/oracle/problem.py), so
both roots the oracle needs are universal functions of x. The scalar definitions are compiled in
rl/oracle/kernels.py; these are their array forms.
"""

from __future__ import annotations

import numpy as np

from rl.oracle import kernels


def q_array(x: np.ndarray) -> np.ndarray:
    """Q(x) = x ln(1 + 1/x)."""
    return kernels.q_of(np.asarray(x, dtype=np.float64))


def _flat(x) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float64).ravel()


def _special(logx: np.ndarray) -> np.ndarray:
    return kernels.special_table(_flat(logx)).reshape((4,) + np.shape(logx))


def log_g_and_slope(logx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log G and d log G / d log x."""
    return tuple(_special(logx)[:2])


def loglog_q_and_slope(logx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """phi = log(-log Q) (decreasing, well scaled at both ends) and d phi / d log x."""
    return tuple(_special(logx)[2:])


def root_g(log_t: np.ndarray, exact: bool) -> tuple[np.ndarray, np.ndarray]:
    """log x with log G(x) = log_t, and d log x / d log t. Table interpolation (relative error
    ~1e-6 in x) during the search; `exact` polishes with Newton steps to machine precision."""
    logx, dlx = kernels.root_g_array(_flat(log_t), exact, kernels.TABLES)
    return logx.reshape(np.shape(log_t)), dlx.reshape(np.shape(log_t))


def root_q(log_z: np.ndarray, exact: bool) -> np.ndarray:
    """log x with log Q(x) = log_z < 0 (via log(-log Q), decreasing in log x)."""
    return kernels.root_q_array(_flat(log_z), exact, kernels.TABLES).reshape(np.shape(log_z))
