"""`rl.baselines.args.GAConfig`: a bad GA setting is one sentence naming it."""

import pytest

from rl.baselines.args import GAConfig, GAConfigError


@pytest.mark.parametrize(
    "kw, name",
    [
        ({"pop_size": 1}, "pop_size"),
        ({"n_gen": 0}, "n_gen"),
        ({"crossover_prob": 2.0}, "crossover_prob"),
    ],
)
def test_bad_setting_names_the_field(kw, name):
    with pytest.raises(GAConfigError, match=f"'{name}'") as info:
        GAConfig(**kw)
    assert info.value.exit_code == 2
