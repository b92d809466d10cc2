"""Eqs. (7) and (8): values by hand, broadcasting, and the two float orders of (7) pinned."""

import numpy as np
import pytest

from fitted_models.curves import generation_delay_s, tv_of_steps, tv_of_steps_ramped, tv_ramp

PAPER = (60.0, 110.0, 170.0, 28.0)  # A1, A2, A3, A4 of paper.json


@pytest.mark.parametrize(
    "steps, expected",
    [
        (0, 110.0),
        (60, 110.0),
        (115, (28 - 110) / (170 - 60) * (115 - 60) + 110),
        (170, 28.0),
        (999, 28.0),
    ],
)
def test_tv_eq7(steps, expected):
    assert tv_of_steps(np.array(float(steps)), *PAPER) == pytest.approx(expected)
    assert tv_of_steps_ramped(steps, *PAPER) == pytest.approx(expected)


def test_delay_eq8():
    assert generation_delay_s(100, 0.18, 5.74) == pytest.approx(23.74)
    np.testing.assert_array_equal(generation_delay_s([0, 10], 0.5, 2.0), [2.0, 7.0])


def test_curves_broadcast_per_model_parameters():
    steps = np.array([[0.0, 100.0, 300.0], [0.0, 100.0, 300.0]])  # (models, points)
    a1, a2, a3, a4 = (np.array([[60.0], [50.0]]), 110.0, np.array([[170.0], [150.0]]), 28.0)
    tv = tv_of_steps(steps, a1, a2, a3, a4)
    assert tv.shape == (2, 3)
    np.testing.assert_allclose(tv[:, [0, 2]], [[110.0, 28.0], [110.0, 28.0]])
    np.testing.assert_allclose(tv, tv_of_steps_ramped(steps, a1, a2, a3, a4), rtol=1e-12)
    assert generation_delay_s(steps, np.array([[1.0], [2.0]]), 0.0).shape == (2, 3)


def test_ramp_is_zero_then_linear_then_one():
    np.testing.assert_array_equal(tv_ramp([0, 60, 115, 170, 500], 60.0, 170.0), [0, 0, 0.5, 1, 1])


def test_both_float_orders_are_pinned():
    # The simulator's numbers and the committed fits rest on these exact expressions (the two
    # forms differ in the last bits, so neither may be rewritten as the other).
    a1, a2, a3, a4 = 44.58309857437043, 2643.4123096583753, 140.4312197560252, 503.30670624891906
    s = np.linspace(a1 + 0.1, a3 - 0.1, 997)
    slope = (a4 - a2) / (a3 - a1)
    np.testing.assert_array_equal(tv_of_steps(s, a1, a2, a3, a4), slope * (s - a1) + a2)
    w = (s - a1) / (a3 - a1)
    np.testing.assert_array_equal(tv_of_steps_ramped(s, a1, a2, a3, a4), a2 + (a4 - a2) * w)
    # ... and they agree to rounding
    np.testing.assert_allclose(
        tv_of_steps(s, a1, a2, a3, a4), tv_of_steps_ramped(s, a1, a2, a3, a4), rtol=1e-12
    )


def test_forms_agree_on_random_parameters():
    rng = np.random.default_rng(0)
    for _ in range(200):
        a1 = rng.uniform(0, 100)
        a3 = a1 + rng.uniform(1e-3, 200)
        a2 = rng.uniform(0, 3000)
        a4 = rng.uniform(0, a2)
        s = np.concatenate([rng.uniform(0, 400, 50), [a1, a3]])
        np.testing.assert_allclose(
            tv_of_steps(s, a1, a2, a3, a4), tv_of_steps_ramped(s, a1, a2, a3, a4), rtol=1e-12
        )
