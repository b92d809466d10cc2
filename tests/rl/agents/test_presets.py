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
