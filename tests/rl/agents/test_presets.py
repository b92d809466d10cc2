"""`rl.agents.presets`: the DDPG variants are the same presets with an MLP actor; ablations are
named."""

import pytest

from rl.agents.presets import PRESETS, ablated, hyperparameters


@pytest.mark.parametrize("preset", PRESETS)
def test_ddpg_variants_swap_only_the_actor(preset):
    d3pg, ddqn = hyperparameters("t2drl", preset)
    mlp, ddqn_mlp = hyperparameters("ddpg-t2drl", preset)
    assert d3pg.actor != "mlp" and mlp.actor == "mlp" and ddqn == ddqn_mlp
    assert hyperparameters("ddpg", preset)[0] == mlp


def test_unknown_ablation_is_named():
    d3pg, ddqn = hyperparameters("t2drl", "default")
    assert ablated("t2drl", "none", d3pg, ddqn, 8) == (d3pg, ddqn, 8)
    with pytest.raises(ValueError, match="unknown ablation 'nope'"):
        ablated("t2drl", "nope", d3pg, ddqn, 8)


def test_default_reward_scales_give_the_scaled_fitted_preset_the_paper_cells_reward_size():
    """On the fitted preset at the paper's ratios the rewards are in units of its own alpha G;
    the `default` preset divides both reward scales by that unit, so random caching's scaled
    rewards there are the size they are on the paper cell (within 1.5x; 18.5x apart before).
    `paper` and `tuned` keep their scales, and so does every other environment."""
    from rl.registry import make_policy
    from testbed.config import build_config, paper_reward_units
    from testbed.rollout import run_seed

    paper, fitted = build_config("paper", 0), build_config("fitted", 0)
    raw = build_config("fitted", 0, {"fitted_scaling": "raw"})
    units = paper_reward_units(fitted)
    assert 0.01 < units < 0.2 and paper_reward_units(paper) == paper_reward_units(raw) == 1.0
    base_d3pg, base_ddqn = hyperparameters("t2drl", "default")
    d3pg, ddqn = hyperparameters("t2drl", "default", fitted)
    assert d3pg.reward_scale == base_d3pg.reward_scale / units
    assert ddqn.reward_scale == base_ddqn.reward_scale / units
    for cfg in (paper, raw, build_config("paper", 1)):
        assert hyperparameters("t2drl", "default", cfg) == (base_d3pg, base_ddqn)
    for preset in ("paper", "tuned"):
        assert hyperparameters("t2drl", preset, fitted) == hyperparameters("t2drl", preset)

    def scaled_reward(cfg, scale):
        return scale * run_seed(make_policy("rcars", cfg), cfg, 1000, 1)["slot_reward"]

    ratio = scaled_reward(fitted, d3pg.reward_scale) / scaled_reward(paper, base_d3pg.reward_scale)
    assert 1 / 1.5 < ratio < 1.5, ratio
