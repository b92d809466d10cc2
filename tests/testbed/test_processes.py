"""The random processes follow the laws the docs state."""

import numpy as np
import pytest

from testbed.config import build_config
from testbed.processes import (
    BOUNDARY,
    CONCENTRATED,
    UNIFORM,
    Processes,
    stationary_distribution,
    zipf_probabilities,
)


@pytest.fixture(scope="module")
def proc():
    return Processes(build_config("paper", 0, {"n_users": 50}))


def test_zipf_eq1():
    p = zipf_probabilities(0.5, 3)
    w = np.array([1.0, 2**-0.5, 3**-0.5])
    np.testing.assert_allclose(p, w / w.sum())


def test_request_frequencies_follow_zipf(proc):
    rng = np.random.default_rng(1)
    state = np.full(4000, 2)  # gamma = 0.7
    counts = np.bincount(proc.requests(state, rng).ravel(), minlength=10) / (4000 * 50)
    np.testing.assert_allclose(counts, zipf_probabilities(0.7, 10), atol=0.003)


def test_markov_chain_empirical_transitions(proc):
    rng = np.random.default_rng(2)
    state = np.zeros(200_000, dtype=int)
    nxt = proc.next_popularity(state, rng)
    np.testing.assert_allclose(np.bincount(nxt, minlength=3) / len(nxt), proc.pop_P[0], atol=0.005)
    pi = stationary_distribution(proc.loc_P)
    np.testing.assert_allclose(pi @ proc.loc_P, pi)


def test_location_distributions(proc):
    rng = np.random.default_rng(3)
    half = 125.0
    for state, check in (
        (UNIFORM, lambda d, xy: abs(np.mean(np.abs(xy)) - half / 2) < 2),
        (CONCENTRATED, lambda d, xy: abs(np.median(d) - 31.25 * np.sqrt(2 * np.log(2))) < 2),
        (BOUNDARY, lambda d, xy: (np.abs(xy).max(axis=-1) >= half - 25 - 1e-9).all()),
    ):
        xy = proc.positions_m(np.full(400, state), rng)
        d = np.hypot(xy[..., 0], xy[..., 1])
        assert (np.abs(xy) <= half).all()
        assert check(d, xy), state


def test_fading_is_exponential(proc):
    f = proc.fading(20_000, np.random.default_rng(4))
    assert f.mean() == pytest.approx(1.0, abs=0.01) and f.var() == pytest.approx(1.0, abs=0.03)
