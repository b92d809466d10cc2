"""The slot problem's constants (`rl.oracle.problem.build_problem`) are the system model's."""

import numpy as np
import pytest

from rl.oracle.problem import OracleError, build_problem, take_state
from testbed.config import build_config
from testbed.policies import most_popular_cache
from testbed.rollout import seeded_sim


@pytest.fixture
def slot():
    cfg = build_config("paper", 0, {"n_users": 5})
    sim, _ = seeded_sim(cfg, 3)
    sim.reset()
    sim.set_cache(most_popular_cache(sim.params))
    return sim


def test_hits_and_whole_band_uplink_are_the_system_models(slot):
    p, s = slot.params, slot.state
    prob = build_problem(s, slot.cache, p, "normalise")
    hit = np.take_along_axis(np.broadcast_to(slot.cache, s.model.shape[:-1] + (p.n_models,)),
                             s.model, axis=-1) > 0  # fmt: skip
    np.testing.assert_array_equal(prob.hit, hit)
    snr = p.user_tx_power_W * s.channel_gain / (p.noise_psd_W_per_Hz * p.uplink_bandwidth_Hz)
    shannon_s = s.input_bits / (p.uplink_bandwidth_Hz * np.log2(1.0 + snr))
    np.testing.assert_allclose(prob.f1, shannon_s, rtol=1e-12)
    np.testing.assert_array_equal(prob.B1, np.where(hit, p.B1[s.model], 0.0))


def test_take_state_and_a_bad_amender(slot):
    assert take_state(slot.state, np.arange(len(slot.state.model))) is slot.state
    with pytest.raises(OracleError, match="step_amender"):
        build_problem(slot.state, slot.cache, slot.params, "round")
