"""The paper's system model as pure, vectorised functions (main paper, sections 3, 4, 6.2.2, 6.3.2).

Everything here is a function of explicit arrays; nothing draws random numbers. Per-user arrays
have shape ``(..., U)`` (any leading batch shape), cache vectors ``(..., M)``. The environments,
the batched simulator, the baselines and the tests all call `evaluate_slot`.

Conventions (see `testbed.config` for units): model ids are 0-based; delays are in seconds;
sizes in bits inside this module; TV values in the units of the fitted A2/A4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from common.errors import UserError
from fitted_models.curves import generation_delay_s, tv_of_steps  # eqs. (7), (8)
from testbed.config import BITS_PER_MB, EdgeConfig


class ShapeError(UserError):
    """Arrays handed to the system model have the wrong shape (one sentence, names the array)."""


def dbm_to_watt(dbm: float) -> float:
    return 10.0 ** ((dbm - 30.0) / 10.0)


@dataclass(frozen=True)
class SystemParams:
    """The config's numbers as arrays in SI units, built once (`SystemParams.from_config`)."""

    n_users: int
    n_models: int
    uplink_bandwidth_Hz: float
    downlink_bandwidth_Hz: float
    user_tx_power_W: float
    bs_tx_power_W: float
    noise_psd_W_per_Hz: float
    bs_to_cloud_rate_bps: float
    cloud_to_bs_rate_bps: float
    total_denoising_steps: float
    slot_duration_s: float
    alpha: float
    slot_penalty: float
    frame_penalty: float
    delay_cap_s: float
    cache_capacity_GB: float
    min_distance_m: float
    storage_GB: np.ndarray  # (M,)
    output_bits: np.ndarray  # (M,)
    A1: np.ndarray  # (M,) steps
    A2: np.ndarray  # (M,) TV
    A3: np.ndarray  # (M,) steps
    A4: np.ndarray  # (M,) TV
    B1: np.ndarray  # (M,) s/step
    B2: np.ndarray  # (M,) s
    cloud_gen_delay_s: np.ndarray  # (M,) B1 * A3 + B2, the cloud's generation time (section 3.4.2)

    @classmethod
    def from_config(cls, cfg: EdgeConfig) -> SystemParams:
        arr = lambda x: np.asarray(x, dtype=np.float64)  # noqa: E731
        b1, b2, a3 = arr(cfg.B1_s_per_step), arr(cfg.B2_s), arr(cfg.A3_steps)
        return cls(
            n_users=cfg.n_users,
            n_models=cfg.n_models,
            uplink_bandwidth_Hz=cfg.uplink_bandwidth_Hz,
            downlink_bandwidth_Hz=cfg.downlink_bandwidth_Hz,
            user_tx_power_W=dbm_to_watt(cfg.user_tx_power_dBm),
            bs_tx_power_W=dbm_to_watt(cfg.bs_tx_power_dBm),
            noise_psd_W_per_Hz=dbm_to_watt(cfg.noise_psd_dBm_per_Hz),
            bs_to_cloud_rate_bps=cfg.bs_to_cloud_rate_bps,
            cloud_to_bs_rate_bps=cfg.cloud_to_bs_rate_bps,
            total_denoising_steps=cfg.total_denoising_steps,
            slot_duration_s=cfg.slot_duration_s,
            alpha=cfg.alpha,
            slot_penalty=cfg.slot_penalty,
            frame_penalty=cfg.frame_penalty,
            delay_cap_s=cfg.delay_cap_s,
            cache_capacity_GB=cfg.cache_capacity_GB,
            min_distance_m=cfg.min_distance_m,
            storage_GB=arr(cfg.model_storage_GB),
            output_bits=arr(cfg.model_output_MB) * BITS_PER_MB,
            A1=arr(cfg.A1_steps),
            A2=arr(cfg.A2_tv),
            A3=a3,
            A4=arr(cfg.A4_tv),
            B1=b1,
            B2=b2,
            cloud_gen_delay_s=b1 * a3 + b2,
        )


@dataclass(frozen=True)
class SlotOutcome:
    """Every user's components for one slot (arrays of shape ``(..., U)``)."""

    channel_gain: np.ndarray  # h = g |delta|^2, linear
    rate_up_bps: np.ndarray  # (2)
    rate_dw_bps: np.ndarray  # (5)
    hit: np.ndarray  # bool: requested model cached at the BS
    D_up_s: np.ndarray  # (4)
    D_dw_s: np.ndarray  # (6)
    D_gt_s: np.ndarray  # (8), or B1*A3 + B2 in the cloud
    D_tl_s: np.ndarray  # (9)
    tv: np.ndarray  # B^gt of (7), or A4 in the cloud
    utility: np.ndarray  # G of (10), with the delay capped at delay_cap_s
    violated: np.ndarray  # bool: D_tl > tau, i.e. (11h) broken


# --------------------------------------------------------------------------- channel


def path_loss_dB(distance_m: np.ndarray, min_distance_m: float = 0.0) -> np.ndarray:
    """Eq. (3): g = -128.1 - 37.6 log10(dis[km]), in dB (3GPP macro-cell form)."""
    d_km = np.maximum(distance_m, min_distance_m) / 1000.0
    return -128.1 - 37.6 * np.log10(d_km)


def channel_gain(
    distance_m: np.ndarray, fading: np.ndarray, min_distance_m: float = 0.0
) -> np.ndarray:
    """h = g |delta|^2 (linear), `fading` being |delta|^2 ~ Exp(1) (Rayleigh)."""
    return 10.0 ** (path_loss_dB(distance_m, min_distance_m) / 10.0) * fading


def uplink_rate_bps(b: np.ndarray, h: np.ndarray, p: SystemParams) -> np.ndarray:
    """Eq. (2): R^up = b W^up log2(1 + p_u h / (N0 b W^up)); 0 where b = 0 (its limit)."""
    bw = b * p.uplink_bandwidth_Hz
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = bw * np.log2(1.0 + p.user_tx_power_W * h / (p.noise_psd_W_per_Hz * bw))
    return np.where(bw > 0, rate, 0.0)


def downlink_rate_bps(h: np.ndarray, p: SystemParams) -> np.ndarray:
    """Eq. (5): R^dw = W^dw log2(1 + p^BS h / (N0 W^dw)), W^dw per user."""
    w = p.downlink_bandwidth_Hz
    return w * np.log2(1.0 + p.bs_tx_power_W * h / (p.noise_psd_W_per_Hz * w))


# --------------------------------------------------------------------------- one slot


def _check_shapes(distance_m, fading, model, input_bits, cache, b, xi, p: SystemParams) -> None:
    users = distance_m.shape
    if users[-1:] != (p.n_users,):
        raise ShapeError(f"distance_m must have shape (..., U={p.n_users}), got {users}.")
    for name, a in (
        ("fading", fading),
        ("model", model),
        ("input_bits", input_bits),
        ("b", b),
        ("xi", xi),
    ):
        if a.shape != users:
            raise ShapeError(f"{name} must have the shape of distance_m {users}, got {a.shape}.")
    if cache.shape != users[:-1] + (p.n_models,):
        raise ShapeError(f"cache must have shape {users[:-1] + (p.n_models,)}, got {cache.shape}.")


def evaluate_slot(
    distance_m: np.ndarray,
    fading: np.ndarray,
    model: np.ndarray,
    input_bits: np.ndarray,
    cache: np.ndarray,
    b: np.ndarray,
    xi: np.ndarray,
    p: SystemParams,
    check: bool = True,
) -> SlotOutcome:
    """Every user's delays, TV, utility and (11h) flag for one slot: eqs. (2)-(10).

    Args:
        distance_m: user-BS distance, (..., U) metres.
        fading: |delta|^2 Rayleigh power gain, (..., U).
        model: requested model id phi (0-based), (..., U) int.
        input_bits: d_in, (..., U) bits.
        cache: rho, (..., M) in {0, 1}.
        b: bandwidth ratios after the amender, (..., U).
        xi: denoising-step ratios after the amender, (..., U).
        p: `SystemParams`.
        check: validate shapes (set False on hot paths that built the arrays themselves).
    """
    distance_m, fading, input_bits, b, xi = (
        np.asarray(a, dtype=np.float64) for a in (distance_m, fading, input_bits, b, xi)
    )
    model = np.asarray(model, dtype=np.int64)
    cache = np.asarray(cache)
    if check:
        _check_shapes(distance_m, fading, model, input_bits, cache, b, xi, p)
    h = channel_gain(distance_m, fading, p.min_distance_m)
    r_up = uplink_rate_bps(b, h, p)
    r_dw = downlink_rate_bps(h, p)
    hit = np.take_along_axis(cache, model, axis=-1) > 0
    out_bits = p.output_bits[model]

    with np.errstate(divide="ignore"):
        d_up = input_bits / r_up  # inf where b = 0: the request never gets through
    d_up = d_up + np.where(hit, 0.0, input_bits / p.bs_to_cloud_rate_bps)  # (4)
    d_dw = out_bits / r_dw + np.where(hit, 0.0, out_bits / p.cloud_to_bs_rate_bps)  # (6)

    steps = xi * p.total_denoising_steps
    d_gt = np.where(
        hit, generation_delay_s(steps, p.B1[model], p.B2[model]), p.cloud_gen_delay_s[model]
    )
    tv = np.where(
        hit, tv_of_steps(steps, p.A1[model], p.A2[model], p.A3[model], p.A4[model]), p.A4[model]
    )
    d_tl = d_up + d_dw + d_gt  # (9)
    utility = p.alpha * np.minimum(d_tl, p.delay_cap_s) + (1.0 - p.alpha) * tv  # (10)
    return SlotOutcome(
        channel_gain=h,
        rate_up_bps=r_up,
        rate_dw_bps=r_dw,
        hit=hit,
        D_up_s=d_up,
        D_dw_s=d_dw,
        D_gt_s=d_gt,
        D_tl_s=d_tl,
        tv=tv,
        utility=utility,
        violated=d_tl > p.slot_duration_s,
    )


# --------------------------------------------------------------------------- amender (6.2.2)


def _normalise(x: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """x / sum(x) over eligible users; an all-zero eligible set gets an equal split."""
    x = np.where(eligible, x, 0.0)
    total = x.sum(axis=-1, keepdims=True)
    n_eligible = eligible.sum(axis=-1, keepdims=True)
    equal = np.where(eligible, 1.0 / np.maximum(n_eligible, 1), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = x / total
    return np.where(total > 0, shares, equal)


def amend_action(
    b_raw: np.ndarray,
    xi_raw: np.ndarray,
    model: np.ndarray,
    cache: np.ndarray,
    step_amender: str = "normalise",
) -> tuple[np.ndarray, np.ndarray]:
    """The action amender of section 6.2.2, made total.

    b = b~ / sum(b~) (11e); xi = xi~ rho_phi / sum(rho_phi xi~) (11f), (11g).
    Raw values are first clipped to [0, 1] (the actor's output range) and NaN is read as 0.
    Where the sum is 0 (all-zero action) the share is split equally: among all users for b,
    among users whose model is cached for xi; with no cached request, xi is all zero.
    With ``step_amender="cap"`` (our option, not the paper's) xi~ rho is only scaled down when
    its sum exceeds 1, so steps may stay idle and an all-zero xi~ means no steps.
    The result never contains NaN and always satisfies (11b), (11c), (11e)-(11g).
    """
    b_raw = np.clip(np.nan_to_num(np.asarray(b_raw, dtype=np.float64), nan=0.0), 0.0, 1.0)
    xi_raw = np.clip(np.nan_to_num(np.asarray(xi_raw, dtype=np.float64), nan=0.0), 0.0, 1.0)
    hit = np.take_along_axis(np.asarray(cache), np.asarray(model, dtype=np.int64), axis=-1) > 0
    b = _normalise(b_raw, np.ones_like(hit))
    if step_amender == "cap":
        xi = np.where(hit, xi_raw, 0.0)
        xi = xi / np.maximum(xi.sum(axis=-1, keepdims=True), 1.0)
    else:
        xi = _normalise(xi_raw, hit)
    return b, xi


def equal_allocation(model: np.ndarray, cache: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Equal bandwidth for all users, equal steps for users whose model is cached (RCARS)."""
    zeros = np.zeros(np.shape(model))
    return amend_action(zeros, zeros, model, cache)


# --------------------------------------------------------------------------- rewards and metrics


def slot_reward(outcome: SlotOutcome, p: SystemParams) -> np.ndarray:
    """Eq. (23): r = -(1/U) sum_u (G_u + chi 1{D_tl,u > tau}), shape (...,)."""
    return -(outcome.utility + p.slot_penalty * outcome.violated).mean(axis=-1)


def cache_over_capacity(cache: np.ndarray, p: SystemParams) -> np.ndarray:
    """(11d) broken: sum_m rho_m c_m > C."""
    return (np.asarray(cache) * p.storage_GB).sum(axis=-1) > p.cache_capacity_GB + 1e-12


def frame_reward(slot_rewards: np.ndarray, cache: np.ndarray, p: SystemParams) -> np.ndarray:
    """Eq. (32), sign-corrected: r(t) = (1/K) sum_k r_t(k) - Xi 1{sum rho c > C}.

    The paper prints r(t) = -(1/K) sum_k r_t(k) - ..., but r_t(k) of (23) is already negative
    and (32) is said to align with the negative of (13); the leading minus would make the
    agent maximise the utility it should minimise, so we read it as a typo. `slot_rewards`
    has shape (..., K).
    """
    return np.mean(slot_rewards, axis=-1) - p.frame_penalty * cache_over_capacity(cache, p)


def slot_metrics(outcome: SlotOutcome) -> dict[str, np.ndarray]:
    """Hit ratio, average utility (11) and (11h)-violation share per slot, shape (...,)."""
    return {
        "hit_ratio": outcome.hit.mean(axis=-1),
        "utility": outcome.utility.mean(axis=-1),
        "violation_share": outcome.violated.mean(axis=-1),
    }


# --------------------------------------------------------------------------- caching action (31)


def decode_cache(index: int | np.ndarray, n_models: int) -> np.ndarray:
    """Eq. (31): rho_m = floor(a / 2^(M - m)) mod 2, m = 1..M (model 1 is the top bit)."""
    index = np.asarray(index, dtype=np.int64)
    shifts = np.arange(n_models - 1, -1, -1, dtype=np.int64)
    return ((index[..., None] >> shifts) & 1).astype(np.int8)


def encode_cache(cache: np.ndarray) -> np.ndarray:
    """Inverse of `decode_cache`."""
    cache = np.asarray(cache, dtype=np.int64)
    m = cache.shape[-1]
    weights = 1 << np.arange(m - 1, -1, -1, dtype=np.int64)
    return (cache * weights).sum(axis=-1)
