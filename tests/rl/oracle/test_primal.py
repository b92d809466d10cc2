"""The raw action (rl/oracle/primal.py): a fixed point of the amender, scored as reported."""

import numpy as np
import pytest

from rl.oracle.slot import slot_oracle
from testbed.system_model import amend_action
from tests.rl.oracle.conftest import make_cfg, slots


@pytest.mark.parametrize("amender", ["normalise", "cap"])
def test_raw_action_round_trip(amender):
    """The raw action is a fixed point of the amender, and the simulator scores it as reported."""
    cfg = make_cfg("paper", amender, 6)
    sim = slots(cfg, 5, 2)
    res = slot_oracle(sim.state, sim.cache, sim.params, amender)
    b, xi = amend_action(res.b, res.xi, sim.state.model, sim.cache, amender)
    np.testing.assert_allclose(b, res.b, atol=1e-12)
    np.testing.assert_allclose(xi, res.xi, atol=1e-12)
    step = sim.step(res.b, res.xi)
    np.testing.assert_allclose(step.reward, res.reward, rtol=0, atol=1e-12)
