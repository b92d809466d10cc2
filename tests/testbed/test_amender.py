"""The action amender of section 6.2.2: constraints (11b), (11c), (11e)-(11g), never NaN."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from testbed.system_model import amend_action, equal_allocation

U, M = 6, 4
raw = arrays(np.float64, (U,), elements=st.floats(allow_nan=True, allow_infinity=True, width=64))
unit = arrays(np.float64, (U,), elements=st.floats(0.0, 1.0))


@settings(max_examples=300, deadline=None)
@given(
    b=raw,
    xi=raw,
    model=arrays(np.int64, (U,), elements=st.integers(0, M - 1)),
    cache=arrays(np.int64, (M,), elements=st.integers(0, 1)),
)
@pytest.mark.parametrize("mode", ["normalise", "cap"])
def test_amender_always_feasible_and_finite(mode, b, xi, model, cache):
    b_out, xi_out = amend_action(b, xi, model, cache, mode)
    assert np.isfinite(b_out).all() and np.isfinite(xi_out).all()
    assert ((b_out >= 0) & (b_out <= 1)).all() and (
        (xi_out >= 0) & (xi_out <= 1)
    ).all()  # (11b), (11c)
    assert b_out.sum() <= 1 + 1e-9  # (11e)
    assert xi_out.sum() <= 1 + 1e-9  # (11f)
    hit = cache[model] > 0
    assert (xi_out[~hit] == 0).all()  # (11g)
    assert abs(b_out.sum() - 1) < 1e-9  # the paper's normalisation uses all the bandwidth
    if hit.any() and mode == "normalise":
        assert abs(xi_out.sum() - 1) < 1e-9


@settings(max_examples=100, deadline=None)
@given(b=unit, xi=unit)
def test_amender_is_the_papers_normalisation(b, xi):
    model, cache = np.array([0, 1, 2, 3, 0, 1]), np.array([1, 0, 1, 0])
    b_out, xi_out = amend_action(b, xi, model, cache)
    if b.sum() > 0:
        np.testing.assert_allclose(b_out, b / b.sum())
    rho = cache[model]
    if (xi * rho).sum() > 0:
        np.testing.assert_allclose(xi_out, xi * rho / (xi * rho).sum())


def test_all_zero_action_is_equal_split():
    model, cache = np.array([0, 1, 2, 0]), np.array([1, 1, 0, 0])
    b, xi = amend_action(np.zeros(4), np.zeros(4), model, cache)
    np.testing.assert_allclose(b, [0.25] * 4)
    np.testing.assert_allclose(xi, [1 / 3, 1 / 3, 0, 1 / 3])
    b, xi = equal_allocation(model, np.zeros(4, dtype=int))  # nothing cached: no steps at all
    np.testing.assert_allclose(xi, 0.0)


def test_cap_mode_leaves_steps_idle():
    model, cache = np.array([0, 1, 2, 0]), np.array([1, 1, 0, 0])
    _, xi = amend_action(np.ones(4), np.array([0.1, 0.2, 0.9, 0.0]), model, cache, "cap")
    np.testing.assert_allclose(xi, [0.1, 0.2, 0.0, 0.0])  # sum 0.3 <= 1: kept as given
    _, xi = amend_action(np.ones(4), np.array([0.8, 0.8, 0.9, 0.4]), model, cache, "cap")
    np.testing.assert_allclose(xi, [0.4, 0.4, 0.0, 0.2])  # sum 2 > 1: scaled down
    _, xi = amend_action(np.ones(4), np.zeros(4), model, cache, "cap")
    np.testing.assert_allclose(xi, 0.0)
