"""Every equation of the system model against values computed by hand (with `math`) here."""

import math

import numpy as np
import pytest

from fitted_models.curves import tv_of_steps
from testbed.config import build_config
from testbed.system_model import (
    ShapeError,
    SystemParams,
    decode_cache,
    downlink_rate_bps,
    encode_cache,
    evaluate_slot,
    frame_reward,
    path_loss_dB,
    slot_reward,
    uplink_rate_bps,
)
from tests.testbed.small import SMALL

# Two models with round numbers, two users.
MODELS = {
    "model_ids": ["a", "b"],
    "model_storage_GB": [4.0, 6.0],
    "model_output_MB": [5.0, 10.0],
    "A1_steps": [60.0, 50.0],
    "A2_tv": [110.0, 120.0],
    "A3_steps": [170.0, 150.0],
    "A4_tv": [28.0, 20.0],
    "B1_s_per_step": [0.18, 0.1],
    "B2_s": [5.74, 2.0],
}


@pytest.fixture
def params():
    cfg = build_config("paper", 0, {"n_users": 2, **MODELS, "cache_capacity_GB": 8.0})
    return SystemParams.from_config(cfg)


def test_path_loss_eq3_uses_km():
    # 100 m = 0.1 km: -128.1 - 37.6 * log10(0.1) = -90.5 dB
    assert path_loss_dB(np.array([100.0]))[0] == pytest.approx(-90.5)
    assert path_loss_dB(np.array([1000.0]))[0] == pytest.approx(-128.1)
    # clamped below the minimum distance
    assert path_loss_dB(np.array([1.0]), min_distance_m=10.0)[0] == pytest.approx(-128.1 + 37.6 * 2)


def test_unit_conversions(params):
    assert params.user_tx_power_W == pytest.approx(10 ** (23 / 10) / 1000)  # 23 dBm = 0.1995 W
    assert params.bs_tx_power_W == pytest.approx(19.952623, rel=1e-6)
    assert params.noise_psd_W_per_Hz == pytest.approx(10 ** (-176 / 10) / 1000)
    assert params.output_bits.tolist() == [40e6, 80e6]  # 1 MB = 8e6 bits


def test_rates_eq2_eq5(params):
    h = 10 ** (-90.5 / 10) * 1.3
    p_u, p_bs, n0 = 0.19952623149688797, 19.952623149688797, 2.51188643150958e-21
    r_up = 0.25 * 20e6 * math.log2(1 + p_u * h / (n0 * 0.25 * 20e6))
    r_dw = 40e6 * math.log2(1 + p_bs * h / (n0 * 40e6))
    assert uplink_rate_bps(np.array([0.25]), np.array([h]), params)[0] == pytest.approx(
        r_up, rel=1e-9
    )
    assert downlink_rate_bps(np.array([h]), params)[0] == pytest.approx(r_dw, rel=1e-9)
    assert uplink_rate_bps(np.array([0.0]), np.array([h]), params)[0] == 0.0  # limit b -> 0


def test_full_slot_by_hand(params):
    # user 0 requests model a (cached) at 100 m; user 1 requests model b (not cached) at 200 m.
    dist, fad = np.array([100.0, 200.0]), np.array([1.0, 0.5])
    model, bits = np.array([0, 1]), np.array([40e6, 64e6])
    cache, b, xi = np.array([1, 0]), np.array([0.6, 0.4]), np.array([1.0, 0.0])
    out = evaluate_slot(dist, fad, model, bits, cache, b, xi, params)

    p_u, p_bs, n0 = 0.19952623149688797, 19.952623149688797, 2.51188643150958e-21
    h0 = 10 ** ((-128.1 - 37.6 * math.log10(0.1)) / 10) * 1.0
    h1 = 10 ** ((-128.1 - 37.6 * math.log10(0.2)) / 10) * 0.5
    rup0 = 0.6 * 20e6 * math.log2(1 + p_u * h0 / (n0 * 0.6 * 20e6))
    rup1 = 0.4 * 20e6 * math.log2(1 + p_u * h1 / (n0 * 0.4 * 20e6))
    rdw0 = 40e6 * math.log2(1 + p_bs * h0 / (n0 * 40e6))
    rdw1 = 40e6 * math.log2(1 + p_bs * h1 / (n0 * 40e6))
    # (4): the cloud request also crosses the backhaul at R^bc = 100 Mbps
    dup = [40e6 / rup0, 64e6 / rup1 + 64e6 / 100e6]
    # (6): model a outputs 5 MB = 40e6 bits; model b 10 MB = 80e6 bits, plus R^cb
    ddw = [40e6 / rdw0, 80e6 / rdw1 + 80e6 / 100e6]
    # (8) with xi * L = 1000 steps; the cloud runs A3 steps: B1 * A3 + B2
    dgt = [0.18 * 1000 + 5.74, 0.1 * 150 + 2.0]
    dtl = [dup[i] + ddw[i] + dgt[i] for i in range(2)]  # (9)
    tv = [28.0, 20.0]  # (7) beyond A3; the cloud delivers A4
    g = [0.7 * dtl[i] + 0.3 * tv[i] for i in range(2)]  # (10)

    np.testing.assert_allclose(out.D_up_s, dup, rtol=1e-9)
    np.testing.assert_allclose(out.D_dw_s, ddw, rtol=1e-9)
    np.testing.assert_allclose(out.D_gt_s, dgt, rtol=1e-12)
    np.testing.assert_allclose(out.D_tl_s, dtl, rtol=1e-9)
    np.testing.assert_allclose(out.tv, tv)
    np.testing.assert_allclose(out.utility, g, rtol=1e-9)
    assert out.hit.tolist() == [True, False]
    assert out.violated.tolist() == [dtl[0] > 20, dtl[1] > 20]

    # (23): r = -(1/U) sum (G + chi 1{D > tau}), chi = 10
    r = -(g[0] + 10 * (dtl[0] > 20) + g[1] + 10 * (dtl[1] > 20)) / 2
    assert slot_reward(out, params) == pytest.approx(r)


def test_zero_bandwidth_is_infinite_delay_but_finite_utility(params):
    out = evaluate_slot(
        np.array([100.0, 100.0]),
        np.ones(2),
        np.array([0, 0]),
        np.full(2, 40e6),
        np.array([1, 1]),
        np.array([1.0, 0.0]),
        np.array([0.5, 0.5]),
        params,
    )
    assert math.isinf(out.D_up_s[1]) and out.violated[1]
    # G counts the delay at delay_cap_s = 1000 s
    assert out.utility[1] == pytest.approx(
        0.7 * 1000 + 0.3 * tv_of_steps(np.array(500.0), 60, 110, 170, 28)
    )


def test_frame_reward_eq32_sign_and_penalty(params):
    slot_rewards = np.array([-10.0, -20.0, -30.0])
    # fits: 4 GB <= 8 GB
    assert frame_reward(slot_rewards, np.array([1, 0]), params) == pytest.approx(-20.0)
    # 4 + 6 GB > 8 GB: minus Xi = 100
    assert frame_reward(slot_rewards, np.array([1, 1]), params) == pytest.approx(-120.0)


def test_cache_decoding_eq31():
    # M = 4, a = 6 = 0b0110: rho_m = floor(6 / 2^(4 - m)) mod 2 -> models 2 and 3 (1-based)
    assert decode_cache(6, 4).tolist() == [0, 1, 1, 0]
    assert decode_cache(0, 3).tolist() == [0, 0, 0]
    assert decode_cache(7, 3).tolist() == [1, 1, 1]
    idx = np.arange(2**5)
    assert (encode_cache(decode_cache(idx, 5)) == idx).all()


def test_batch_dimensions_broadcast(params):
    rng = np.random.default_rng(0)
    n = 7
    args = (
        rng.uniform(10, 170, (n, 2)),
        rng.exponential(1, (n, 2)),
        rng.integers(0, 2, (n, 2)),
        rng.uniform(4e7, 8e7, (n, 2)),
        rng.integers(0, 2, (n, 2)),
    )
    b, xi = np.full((n, 2), 0.5), np.full((n, 2), 0.5)
    batched = evaluate_slot(*args, b, xi, params)
    for i in range(n):
        single = evaluate_slot(*(a[i] for a in args), b[i], xi[i], params)
        np.testing.assert_allclose(batched.utility[i], single.utility)


def test_pure_function_rejects_wrong_shapes():
    params = SystemParams.from_config(SMALL)
    ok = np.ones(4)
    with pytest.raises(ShapeError, match="cache must have shape"):
        evaluate_slot(ok * 50, ok, ok.astype(int), ok, np.ones(3), ok, ok, params)
    with pytest.raises(ShapeError, match="fading"):
        evaluate_slot(ok * 50, np.ones(3), ok.astype(int), ok, np.ones(5), ok, ok, params)
