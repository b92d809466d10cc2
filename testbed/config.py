"""One validated configuration of the edge network, with units in every name.

Defaults are the main paper's Table 2 and section 7.1 (T2DRL, "two-timescale caching").
Unit conventions (stated once, used everywhere):

* 1 MB = 10^6 bytes = 8 x 10^6 bits (decimal, as "Mbps" = 10^6 bit/s); 1 GB = 10^9 bytes.
* Powers are in dBm, converted with P[W] = 10^((P[dBm] - 30) / 10); N0 in dBm/Hz likewise.
* Distances in metres; eq. (3) takes the distance in km (3GPP macro-cell form).
* Delays and the slot duration tau in seconds; B1 in seconds per denoising step.
* Model ids are 0-based in code; the paper's model m (Zipf rank m) is id m - 1.

Presets:

* ``paper``: M = 10 model types whose parameters are drawn per seed from the ranges of
  section 7.1 (c_m in [2, 10] GB, A1 in [50, 100], A2 in [100, 150], A3 in [150, 200],
  A4 in (0, 50], B1 in (0, 0.5] s/step, B2 in (0, 10] s, d_op in [5, 10] MB).
* ``fitted``: model types read from a fitted-models JSON file (``fitted_models/schema.py``);
  storage sizes are the measured checkpoint sizes and, unless given, the cache capacity is
  set to half of their total (at least the largest model). With ``fitted_scaling =
  "paper-ratios"`` (the default) tau, the backhaul rates, L, the input sizes, alpha, the
  penalties and the delay cap are set relative to the measured models so that the paper
  preset's dimensionless ratios hold (`testbed.scaling`, whose docstring has the rule); with
  ``"raw"`` they keep Table 2's absolute values. Explicitly given fields win; the notes
  (printed by check-config) say what was set.

Any field can be overridden from a TOML/JSON file or ``--set name=value`` on the command line.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from common.errors import UserError
from fitted_models.reader import FittedModels, read_fitted
from fitted_models.schema import DELAY_KEYS, TV_KEYS, FittedModelsError
from testbed.scaling import (
    DEFAULT_FITTED_SCALING,
    FITTED_SCALINGS,
    ScalingError,
    paper_ratio_fields,
    reward_unit,
)

PRESETS = ("paper", "fitted")
STEP_AMENDERS = ("normalise", "cap")
PER_MODEL_FIELDS = (
    "model_storage_GB",
    "model_output_MB",
    "A1_steps",
    "A2_tv",
    "A3_steps",
    "A4_tv",
    "B1_s_per_step",
    "B2_s",
)
BITS_PER_MB = 8e6
BYTES_PER_GB = 1e9


class ConfigError(UserError):
    """Invalid configuration: one sentence naming the field and what was expected."""


@dataclass(frozen=True)
class EdgeConfig:
    """Parameters of the edge network (Table 2 and section 7.1 unless noted)."""

    # --- time structure (section 3.1, Table 2)
    n_frames: int = 10
    """T: time frames per episode (one caching decision each)."""
    n_slots: int = 10
    """K: time slots per frame (one allocation decision each)."""
    slot_duration_s: float = 20.0
    """tau: slot duration, also the delay limit of (11h)."""

    # --- users and mobility (section 7.1 (1), eq. (36))
    n_users: int = 10
    """U: users in the cell (the paper sweeps 10-18)."""
    area_side_m: float = 250.0
    """Side of the square cell; the BS sits at its centre."""
    min_distance_m: float = 10.0
    """Distances below this are clamped before (3), which diverges at 0 (our assumption)."""
    location_concentrated_std_m: float = 31.25
    """lambda_2 'concentrated near the BS': per-axis std of a Gaussian at the BS (side / 8)."""
    location_boundary_band_m: float = 25.0
    """lambda_3 'near the boundary': width of the band along the square's edge (side / 10)."""
    location_transition: tuple[tuple[float, ...], ...] = (
        (0.6, 0.1, 0.3),
        (0.3, 0.6, 0.1),
        (0.1, 0.3, 0.6),
    )
    """P^Lambda (36): per-slot Markov chain over (uniform, concentrated, boundary)."""

    # --- popularity (eqs. (1), (37))
    popularity_states: tuple[float, ...] = (0.2, 0.5, 0.7)
    """Gamma: Zipf skewness states gamma_1..gamma_J."""
    popularity_transition: tuple[tuple[float, ...], ...] = (
        (0.6, 0.2, 0.2),
        (0.1, 0.7, 0.2),
        (0.2, 0.3, 0.5),
    )
    """P^Gamma (37): per-frame Markov chain over the skewness states."""

    # --- requests (Table 2)
    input_size_min_MB: float = 5.0
    """Lower end of d_in, drawn uniformly per request."""
    input_size_max_MB: float = 10.0
    """Upper end of d_in."""

    # --- radio (eqs. (2), (3), (5), Table 2)
    uplink_bandwidth_Hz: float = 20e6
    """W^up, shared among users by the ratios b."""
    downlink_bandwidth_Hz: float = 40e6
    """W^dw, per user."""
    user_tx_power_dBm: float = 23.0
    """p_u."""
    bs_tx_power_dBm: float = 43.0
    """p^BS."""
    noise_psd_dBm_per_Hz: float = -176.0
    """N0."""
    bs_to_cloud_rate_bps: float = 100e6
    """R^bc, backhaul BS -> cloud (4)."""
    cloud_to_bs_rate_bps: float = 100e6
    """R^cb, backhaul cloud -> BS (6)."""

    # --- computing and caching (eqs. (7), (8), (11d), Table 2)
    total_denoising_steps: float = 1000.0
    """curly-L: denoising steps the BS runs per slot, shared by the ratios xi."""
    cache_capacity_GB: float = 20.0
    """C of (11d)."""

    # --- objective and rewards (eqs. (10), (23), (32), Table 2)
    alpha: float = 0.7
    """Preference weight of delay vs TV in the utility (10)."""
    slot_penalty: float = 10.0
    """chi of (23): added per user violating (11h)."""
    frame_penalty: float = 100.0
    """Xi of (32): subtracted when the cache exceeds the capacity (11d)."""
    step_amender: str = "normalise"
    """How the amender treats xi: "normalise" (section 6.2.2, the paper: xi~ rho / sum(xi~ rho),
    so all L steps are always spent) or "cap" (our option: scale down only when the sum exceeds 1,
    so a policy may leave steps idle; still satisfies (11f), (11g))."""
    delay_cap_s: float = 1000.0
    """Our assumption: a delay above this (a user given almost no bandwidth) counts as this
    value inside G (10), so averages stay finite; the info still reports the true delay."""

    # --- model types (section 7.1 (2) for `paper`; a fitted-models file for `fitted`)
    model_ids: tuple[str, ...] = ()
    model_storage_GB: tuple[float, ...] = ()
    """c_m (11d)."""
    model_output_MB: tuple[float, ...] = ()
    """d_m^op (6)."""
    A1_steps: tuple[float, ...] = ()
    """(7): steps where quality starts to improve."""
    A2_tv: tuple[float, ...] = ()
    """(7): TV plateau before A1 (the worst quality)."""
    A3_steps: tuple[float, ...] = ()
    """(7): steps where quality stabilises; the cloud runs A3 steps."""
    A4_tv: tuple[float, ...] = ()
    """(7): TV plateau after A3 (the best quality); the cloud delivers A4."""
    B1_s_per_step: tuple[float, ...] = ()
    """(8): generation seconds per denoising step."""
    B2_s: tuple[float, ...] = ()
    """(8): fixed generation overhead in seconds."""

    # --- provenance
    preset: str = "paper"
    seed: int = 0
    """Seed of the `paper` preset's model draw (not of the environment's randomness)."""
    fitted_file: str | None = None
    fitted_scaling: str = DEFAULT_FITTED_SCALING
    """How the `fitted` preset sets the fields that fix the problem's scales (tau, backhaul
    rates, L, input sizes, alpha, penalties, delay cap): "paper-ratios" (relative to the
    measured models, so that the paper preset's dimensionless ratios hold; rule in
    testbed/scaling.py) or "raw" (Table 2's absolute values). Given fields win either way;
    the `paper` preset is at its own ratios and takes only "paper-ratios"."""
    notes: tuple[str, ...] = field(default=(), compare=False)
    """What preset resolution decided on the user's behalf (printed by check-config)."""

    @property
    def n_models(self) -> int:
        return len(self.model_ids)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


# --------------------------------------------------------------------------- presets


def _draw_open_low(rng: np.random.Generator, high: float, size: int) -> np.ndarray:
    """Uniform on (0, high] (the paper's half-open ranges)."""
    return high - rng.uniform(0.0, high, size)


def draw_paper_models(n_models: int, seed: int) -> dict[str, tuple]:
    """Model types of the `paper` preset, drawn from section 7.1's ranges with `seed`."""
    rng = np.random.default_rng(seed)
    draws = {
        "model_storage_GB": rng.uniform(2.0, 10.0, n_models),
        "A1_steps": rng.uniform(50.0, 100.0, n_models),
        "A2_tv": rng.uniform(100.0, 150.0, n_models),
        "A3_steps": rng.uniform(150.0, 200.0, n_models),
        "A4_tv": _draw_open_low(rng, 50.0, n_models),
        "B1_s_per_step": _draw_open_low(rng, 0.5, n_models),
        "B2_s": _draw_open_low(rng, 10.0, n_models),
        "model_output_MB": rng.uniform(5.0, 10.0, n_models),
    }
    out = {k: tuple(float(x) for x in v) for k, v in draws.items()}
    out["model_ids"] = tuple(f"model-{m + 1}" for m in range(n_models))
    return out


def fitted_models_fields(path: str) -> tuple[dict[str, tuple], FittedModels]:
    """Per-model fields read from a fitted-models file, and the file as read."""
    try:
        fitted = read_fitted(path)
    except FittedModelsError as exc:
        raise ConfigError(str(exc)) from None
    models = fitted.models
    out = {
        "model_ids": fitted.ids,
        "model_storage_GB": tuple(m.storage_size_bytes / BYTES_PER_GB for m in models),
        "model_output_MB": tuple(m.output_size_bits / BITS_PER_MB for m in models),
        # (7) and (8): EdgeConfig's fields are named as the file's keys
        **{key: tuple(getattr(m, key) for m in models) for key in TV_KEYS + DELAY_KEYS},
    }
    return out, fitted


def default_fitted_capacity_GB(storage_GB: tuple[float, ...]) -> float:
    """Room for about half the models by size, and at least for the largest one."""
    return max(0.5 * sum(storage_GB), max(storage_GB))


def build_config(
    preset: str = "paper",
    seed: int = 0,
    overrides: dict[str, Any] | None = None,
    fitted_file: str | None = None,
    n_models: int | None = None,
) -> EdgeConfig:
    """Resolve a preset plus overrides into a validated `EdgeConfig`."""
    overrides = dict(overrides or {})
    preset = overrides.pop("preset", preset)
    seed = overrides.pop("seed", seed)
    fitted_file = overrides.pop("fitted_file", fitted_file)
    n_models = overrides.pop("n_models", n_models)
    known = {f.name for f in fields(EdgeConfig)} - {"preset", "seed", "fitted_file", "notes"}
    for key in overrides:
        if key not in known:
            raise ConfigError(
                f"unknown configuration field '{key}'; expected one of: {', '.join(sorted(known))}."
            )
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ConfigError(f"field 'seed' must be a non-negative integer, got {seed!r}.")
    notes: list[str] = []
    if preset == "paper":
        m = 10 if n_models is None else n_models
        if not isinstance(m, int) or isinstance(m, bool) or m < 1:
            raise ConfigError(f"field 'n_models' must be a positive integer, got {m!r}.")
        base = draw_paper_models(m, seed)
        notes.append(
            f"paper preset: {m} model types drawn from section 7.1's ranges with seed {seed}"
        )
    elif preset == "fitted":
        fitted_file = fitted_file or "zoo-cpu"
        base, fitted = fitted_models_fields(fitted_file)
        if n_models is not None and n_models != len(base["model_ids"]):
            raise ConfigError(
                f"field 'n_models' is {n_models} but fitted file '{fitted_file}' has "
                f"{len(base['model_ids'])} models; leave it unset for the fitted preset."
            )
        notes.append(
            f"fitted preset: {len(base['model_ids'])} model types from '{fitted_file}' "
            f"(protocol {fitted.protocol}, device {fitted.device.get('name')})"
        )
        if "cache_capacity_GB" not in overrides:
            base["cache_capacity_GB"] = default_fitted_capacity_GB(base["model_storage_GB"])
            notes.append(
                f"cache_capacity_GB set to {base['cache_capacity_GB']:.6g} GB: half of the models' "
                "total measured checkpoint size (at least the largest model); override to change"
            )
    else:
        raise ConfigError(f"unknown preset '{preset}'; expected one of {', '.join(PRESETS)}.")
    values = {**base, **{k: _as_field_value(k, v) for k, v in overrides.items()}}
    values |= _scaling_fields(preset, values, overrides, notes)
    cfg = EdgeConfig(
        preset=preset, seed=seed, fitted_file=fitted_file, notes=tuple(notes), **values
    )
    validate_config(cfg)
    return cfg


@functools.cache
def paper_reference() -> dict[str, Any]:
    """The paper preset's field values (Table 2, seed-0 draw), the reference of the rule."""
    return build_config("paper", 0).to_dict()


def has_own_reward_unit(preset: str, fitted_scaling: str) -> bool:
    """Is a config of this preset and scaling mode the paper's problem in other reward units?
    Only the fitted preset at the paper's ratios is; the others have Table 2's units."""
    return preset == "fitted" and fitted_scaling == DEFAULT_FITTED_SCALING


def paper_reward_units(cfg: EdgeConfig) -> float:
    """One reward unit of `cfg` in the paper preset's (`testbed.scaling.reward_unit`): the
    fitted preset at the paper's ratios has rewards (alpha G)_fitted / (alpha G)_paper times the
    size of the paper's (0.054 for the zoo); 1 for every other config."""
    if not has_own_reward_unit(cfg.preset, cfg.fitted_scaling):
        return 1.0
    return reward_unit(cfg.to_dict()) / reward_unit(paper_reference())


def _scaling_fields(
    preset: str, values: dict[str, Any], given: dict[str, Any], notes: list[str]
) -> dict[str, Any]:
    """The fields `testbed.scaling` sets for the fitted preset (none under "raw")."""
    mode = values.get("fitted_scaling", DEFAULT_FITTED_SCALING)
    if preset != "fitted":
        if mode != DEFAULT_FITTED_SCALING:
            raise ConfigError(
                "field 'fitted_scaling' applies to the fitted preset; the paper preset is at "
                f"the paper's own ratios and takes only 'paper-ratios', got {mode!r}."
            )
        return {}
    _check(mode in FITTED_SCALINGS, "fitted_scaling", f"one of {FITTED_SCALINGS}", mode)
    if mode == "raw":
        notes.append(
            "fitted_scaling 'raw': tau, backhaul rates, L, input sizes, alpha, penalties and "
            "delay cap at Table 2's absolute values"
        )
        return {}
    defaults = {f.name: f.default for f in fields(EdgeConfig)}
    try:
        fitted_fields, rule_notes = paper_ratio_fields(paper_reference(), defaults | values, given)
    except ScalingError as exc:
        raise ConfigError(str(exc)) from None
    notes.extend(rule_notes)
    return fitted_fields


def _as_field_value(name: str, value: Any) -> Any:
    if isinstance(value, list):
        return tuple(tuple(v) if isinstance(v, list) else v for v in value)
    return value


# --------------------------------------------------------------------------- validation


def _check(ok: bool, name: str, expected: str, got: Any) -> None:
    if not ok:
        raise ConfigError(f"field '{name}' must be {expected}, got {got!r}.")


def _is_num(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _check_markov(name: str, matrix: Any, n_states: int) -> None:
    ok_shape = (
        isinstance(matrix, tuple)
        and len(matrix) == n_states
        and all(isinstance(r, tuple) and len(r) == n_states for r in matrix)
    )
    _check(ok_shape, name, f"a {n_states}x{n_states} matrix", matrix)
    for i, row in enumerate(matrix):
        for p in row:
            _check(_is_num(p) and 0.0 <= p <= 1.0, name, "probabilities in [0, 1]", p)
        total = float(sum(row))
        _check(abs(total - 1.0) <= 1e-9, f"{name}[{i}]", "a row summing to 1", round(total, 12))


def validate_config(cfg: EdgeConfig) -> None:
    """Raise ConfigError (one sentence naming the field) on the first invalid value."""
    for name in ("n_frames", "n_slots", "n_users"):
        v = getattr(cfg, name)
        _check(
            isinstance(v, int) and not isinstance(v, bool) and v >= 1, name, "a positive integer", v
        )
    positive = (
        "slot_duration_s",
        "area_side_m",
        "min_distance_m",
        "location_concentrated_std_m",
        "location_boundary_band_m",
        "input_size_min_MB",
        "input_size_max_MB",
        "uplink_bandwidth_Hz",
        "downlink_bandwidth_Hz",
        "bs_to_cloud_rate_bps",
        "cloud_to_bs_rate_bps",
        "total_denoising_steps",
        "cache_capacity_GB",
        "delay_cap_s",
    )
    for name in positive:
        v = getattr(cfg, name)
        _check(_is_num(v) and v > 0, name, "a positive finite number", v)
    for name in ("user_tx_power_dBm", "bs_tx_power_dBm", "noise_psd_dBm_per_Hz"):
        v = getattr(cfg, name)
        _check(_is_num(v), name, "a finite number (in dBm)", v)
    for name in ("slot_penalty", "frame_penalty"):
        v = getattr(cfg, name)
        _check(_is_num(v) and v >= 0, name, "a non-negative number", v)
    _check(_is_num(cfg.alpha) and 0 <= cfg.alpha <= 1, "alpha", "a number in [0, 1]", cfg.alpha)
    _check(
        cfg.fitted_scaling in FITTED_SCALINGS,
        "fitted_scaling",
        f"one of {FITTED_SCALINGS}",
        cfg.fitted_scaling,
    )
    _check(
        cfg.step_amender in STEP_AMENDERS,
        "step_amender",
        f"one of {STEP_AMENDERS}",
        cfg.step_amender,
    )
    _check(
        cfg.input_size_min_MB <= cfg.input_size_max_MB,
        "input_size_max_MB",
        f"at least input_size_min_MB = {cfg.input_size_min_MB}",
        cfg.input_size_max_MB,
    )
    _check(
        cfg.location_boundary_band_m <= cfg.area_side_m / 2,
        "location_boundary_band_m",
        f"at most half the area side ({cfg.area_side_m / 2} m)",
        cfg.location_boundary_band_m,
    )
    _check(
        isinstance(cfg.popularity_states, tuple) and len(cfg.popularity_states) >= 1,
        "popularity_states",
        "a non-empty list of skewness values",
        cfg.popularity_states,
    )
    for g in cfg.popularity_states:
        _check(_is_num(g) and g >= 0, "popularity_states", "non-negative skewness values", g)
    _check_markov("popularity_transition", cfg.popularity_transition, len(cfg.popularity_states))
    _check_markov("location_transition", cfg.location_transition, 3)
    _validate_models(cfg)


def _validate_models(cfg: EdgeConfig) -> None:
    m = len(cfg.model_ids)
    _check(m >= 1, "model_ids", "a non-empty list of model ids", cfg.model_ids)
    for name in PER_MODEL_FIELDS:
        values = getattr(cfg, name)
        _check(
            isinstance(values, tuple) and len(values) == m,
            name,
            f"a list of {m} values (one per model)",
            values,
        )
        for v in values:
            _check(_is_num(v), name, "finite numbers", v)
    for name in ("model_storage_GB", "model_output_MB"):
        for v in getattr(cfg, name):
            _check(v > 0, name, "positive sizes", v)
    for i in range(m):
        a1, a2, a3, a4 = cfg.A1_steps[i], cfg.A2_tv[i], cfg.A3_steps[i], cfg.A4_tv[i]
        _check(a1 >= 0, f"A1_steps[{i}]", "non-negative", a1)
        _check(a1 < a3, f"A1_steps[{i}]", f"smaller than A3_steps[{i}] = {a3}", a1)
        _check(a2 >= a4, f"A2_tv[{i}]", f"at least A4_tv[{i}] = {a4}", a2)
        _check(
            cfg.B1_s_per_step[i] >= 0, f"B1_s_per_step[{i}]", "non-negative", cfg.B1_s_per_step[i]
        )
        _check(cfg.B2_s[i] >= 0, f"B2_s[{i}]", "non-negative", cfg.B2_s[i])
    smallest = min(cfg.model_storage_GB)
    _check(
        cfg.cache_capacity_GB >= smallest,
        "cache_capacity_GB",
        f"at least the smallest model's size ({smallest:.6g} GB), or no model can ever be cached",
        cfg.cache_capacity_GB,
    )


def replace(cfg: EdgeConfig, **changes: Any) -> EdgeConfig:
    """A validated copy of `cfg` with some fields changed."""
    new = dataclasses.replace(cfg, **changes)
    validate_config(new)
    return new
