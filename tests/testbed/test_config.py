"""Presets, overrides and bad input: one clear sentence naming the field."""

import json

import pytest

from fitted_models.schema import load_fitted
from testbed.config import ConfigError, build_config


def test_paper_preset_draws_within_section_7_1_ranges():
    cfg = build_config("paper", seed=3)
    assert cfg.n_models == 10
    checks = {
        "model_storage_GB": (2, 10),
        "A1_steps": (50, 100),
        "A2_tv": (100, 150),
        "A3_steps": (150, 200),
        "A4_tv": (0, 50),
        "B1_s_per_step": (0, 0.5),
        "B2_s": (0, 10),
        "model_output_MB": (5, 10),
    }
    for name, (lo, hi) in checks.items():
        assert all(lo <= v <= hi for v in getattr(cfg, name)), name
    assert all(v > 0 for v in cfg.A4_tv + cfg.B1_s_per_step + cfg.B2_s)  # half-open (0, x]
    assert build_config("paper", seed=3) == cfg
    assert build_config("paper", seed=4) != cfg


def test_table2_defaults():
    cfg = build_config()
    assert (cfg.n_frames, cfg.n_slots, cfg.slot_duration_s) == (10, 10, 20.0)
    assert (cfg.uplink_bandwidth_Hz, cfg.downlink_bandwidth_Hz) == (20e6, 40e6)
    assert (cfg.user_tx_power_dBm, cfg.bs_tx_power_dBm, cfg.noise_psd_dBm_per_Hz) == (23, 43, -176)
    assert (cfg.total_denoising_steps, cfg.cache_capacity_GB, cfg.alpha) == (1000, 20, 0.7)
    assert (cfg.slot_penalty, cfg.frame_penalty) == (10, 100)
    assert cfg.popularity_states == (0.2, 0.5, 0.7)


def test_fitted_preset_reads_the_paper_reference_entry():
    cfg = build_config("fitted", fitted_file="paper")
    assert cfg.model_ids == ("repaint-celebahq",)
    assert (cfg.A1_steps, cfg.A2_tv, cfg.A3_steps, cfg.A4_tv) == ((60,), (110,), (170,), (28,))
    assert (cfg.B1_s_per_step, cfg.B2_s) == ((0.18,), (5.74,))
    assert cfg.model_storage_GB == (6.0,) and cfg.model_output_MB == (7.5,)
    assert any("cache_capacity_GB" in n for n in cfg.notes)


def test_fitted_capacity_is_half_the_total(tmp_path):
    doc = load_fitted("paper")
    model = doc["models"][0]
    doc["models"] = [
        dict(model, id=f"m{i}", storage_size_bytes=s) for i, s in enumerate((1e9, 2e9, 3e9, 4e9))
    ]
    path = tmp_path / "four.json"
    path.write_text(json.dumps(doc))
    assert build_config("fitted", fitted_file=str(path)).cache_capacity_GB == pytest.approx(5.0)
    assert (
        build_config(
            "fitted", fitted_file=str(path), overrides={"cache_capacity_GB": 7}
        ).cache_capacity_GB
        == 7
    )


BAD = [
    ({"uplink_bandwidth_Hz": -1.0}, "uplink_bandwidth_Hz"),
    ({"user_tx_power_dBm": float("nan")}, "user_tx_power_dBm"),
    ({"alpha": 1.5}, "alpha"),
    (
        {"location_transition": [[0.5, 0.6, -0.1], [0.3, 0.6, 0.1], [0.1, 0.3, 0.6]]},
        "location_transition",
    ),
    (
        {"popularity_transition": [[0.6, 0.2, 0.3], [0.1, 0.7, 0.2], [0.2, 0.3, 0.5]]},
        "popularity_transition[0]",
    ),
    ({"popularity_transition": [[1.0]]}, "popularity_transition"),
    ({"A1_steps": [200.0] * 10}, "A1_steps[0]"),
    ({"A2_tv": [1.0] * 10}, "A2_tv[0]"),
    ({"cache_capacity_GB": 0.5}, "cache_capacity_GB"),
    ({"A2_tv": [120.0] * 3}, "A2_tv"),
    ({"n_users": 0}, "n_users"),
    ({"input_size_min_MB": 11.0}, "input_size_max_MB"),
    ({"no_such_field": 1}, "no_such_field"),
]


@pytest.mark.parametrize("override, field", BAD)
def test_bad_values_name_the_field(override, field):
    with pytest.raises(ConfigError) as err:
        build_config("paper", 0, override)
    msg = str(err.value)
    assert f"'{field}'" in msg and msg.count(".") >= 1 and "\n" not in msg


def test_unknown_preset_and_bad_fitted_files(tmp_path):
    with pytest.raises(ConfigError, match="unknown preset 'nope'"):
        build_config("nope")
    with pytest.raises(ConfigError, match="does not exist"):
        build_config("fitted", fitted_file=str(tmp_path / "missing.json"))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        build_config("fitted", fitted_file=str(broken))
    doc = load_fitted("paper")
    wrong = tmp_path / "v99.json"
    wrong.write_text(json.dumps(dict(doc, schema_version=99)))
    with pytest.raises(ConfigError, match="'schema_version'"):
        build_config("fitted", fitted_file=str(wrong))
    doc["models"][0]["tv_model"]["A3_steps"] = 10
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(ConfigError, match=r"models\[0\].tv_model.A3_steps"):
        build_config("fitted", fitted_file=str(bad))
