"""`testbed.scaling`: the fitted preset at the paper's ratios; raw mode as before; given fields
win."""

import json
from dataclasses import fields

import pytest

from fitted_models.schema import load_fitted
from testbed.config import (
    ConfigError,
    EdgeConfig,
    build_config,
    default_fitted_capacity_GB,
    fitted_models_fields,
    paper_reference,
)
from testbed.scaling import SCALED_FIELDS, Scales, paper_groups
from testbed.sources import EnvArgs


@pytest.fixture(scope="module")
def two_models(tmp_path_factory):
    """A tiny fitted file: two models, fast and small, in their own TV units."""
    doc = load_fitted("paper")
    model = doc["models"][0]
    doc["models"] = [
        dict(
            model,
            id=f"m{i}",
            storage_size_bytes=1e6,
            output_size_bits=24576 * (i + 1),
            tv_model={"A1_steps": 40 + i, "A2_tv": 2500.0, "A3_steps": 130 + 5 * i, "A4_tv": 400},
            delay_model={"B1_s_per_step": 0.015 + 0.002 * i, "B2_s": 0.01 * i},
        )
        for i in range(2)
    ]
    path = tmp_path_factory.mktemp("fits") / "two.json"
    path.write_text(json.dumps(doc))
    return str(path)


def test_the_rule_reproduces_the_papers_ratios(two_models):
    paper = paper_reference()
    cfg = build_config("fitted", fitted_file=two_models)
    assert cfg.fitted_scaling == "paper-ratios"
    assert paper_groups(cfg.to_dict()) == pytest.approx(paper_groups(paper), rel=1e-12)
    mine, ref = Scales.of(cfg.to_dict()), Scales.of(paper)
    # the uplink: input size per second of generation as in the paper, on the paper's radio
    assert mine.input_MB / mine.generation_s == pytest.approx(ref.input_MB / ref.generation_s)
    assert cfg.uplink_bandwidth_Hz == paper["uplink_bandwidth_Hz"]
    # the paper's problem: the cloud's generation delay exceeds tau about 3-fold
    assert paper_groups(paper)["generation_over_tau"] == pytest.approx(2.973, abs=1e-3)
    assert cfg.slot_duration_s < min(
        b * a for b, a in zip(cfg.B1_s_per_step, cfg.A3_steps, strict=True)
    )
    notes = " ".join(cfg.notes)
    assert "paper-ratios" in notes and all(name in notes for name in SCALED_FIELDS)


def test_the_measured_models_are_untouched(two_models):
    raw = build_config("fitted", fitted_file=two_models, overrides={"fitted_scaling": "raw"})
    scaled = build_config("fitted", fitted_file=two_models)
    names = [f.name for f in fields(EdgeConfig) if f.name != "notes"]
    changed = {n for n in names if getattr(raw, n) != getattr(scaled, n)}
    assert changed == {*SCALED_FIELDS, "fitted_scaling"}


def test_raw_mode_is_the_config_of_before(two_models):
    """Raw: every field as build_config gave it before the rule (the models, the capacity rule,
    Table 2's defaults)."""
    base, _ = fitted_models_fields(two_models)
    before = EdgeConfig(
        preset="fitted",
        fitted_file=two_models,
        cache_capacity_GB=default_fitted_capacity_GB(base["model_storage_GB"]),
        **base,
    )
    raw = build_config("fitted", fitted_file=two_models, overrides={"fitted_scaling": "raw"})
    assert raw.fitted_scaling == "raw"
    for f in fields(EdgeConfig):
        if f.name not in ("fitted_scaling", "notes"):
            assert getattr(raw, f.name) == getattr(before, f.name), f.name
    assert (raw.slot_duration_s, raw.total_denoising_steps, raw.alpha) == (20.0, 1000.0, 0.7)


def test_a_given_field_wins_and_the_rules_after_it_use_it(two_models):
    env = EnvArgs(
        env_preset="fitted",
        fitted_file=two_models,
        set=("slot_duration_s=5", "input_size_min_MB=1", "input_size_max_MB=3", "alpha=0.9"),
    )
    cfg = env.build()
    scaled = build_config("fitted", fitted_file=two_models)
    assert (cfg.slot_duration_s, cfg.input_size_min_MB, cfg.alpha) == (5, 1, 0.9)
    assert cfg.total_denoising_steps == scaled.total_denoising_steps  # still the rule's
    s = Scales.of(cfg.to_dict()).generation_s / Scales.of(paper_reference()).generation_s
    assert cfg.bs_to_cloud_rate_bps == pytest.approx(100e6 * (2.0 / 7.5) / s)  # given d_in
    ratio = cfg.slot_penalty / scaled.slot_penalty
    assert ratio == pytest.approx(0.9 / scaled.alpha)  # chi follows the given alpha
    assert any("slot_duration_s = 5 given" in n for n in cfg.notes)


def test_bad_modes_name_the_field(tmp_path):
    with pytest.raises(ConfigError, match="fitted_scaling"):
        build_config("fitted", fitted_file="paper", overrides={"fitted_scaling": "cubic"})
    with pytest.raises(ConfigError, match="applies to the fitted preset"):
        build_config("paper", 0, {"fitted_scaling": "raw"})
    assert build_config("paper", 0, {"fitted_scaling": "paper-ratios"}) == build_config("paper")
    doc = load_fitted("paper")
    doc["models"][0]["tv_model"]["A2_tv"] = doc["models"][0]["tv_model"]["A4_tv"]
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps(doc))
    with pytest.raises(ConfigError, match="quality swing"):
        build_config("fitted", fitted_file=str(flat))
    assert build_config("fitted", fitted_file=str(flat), overrides={"fitted_scaling": "raw"})
