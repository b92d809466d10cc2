"""T2DRL (`rl.agents.t2drl`: DDQN caching + D3PG allocation) learns: on the tiny environment
it comes within a few per cent of the oracle after 30 episodes, with the diffusion actor and
with the MLP actor of DDPG-based T2DRL (the same trainer)."""

import pytest

from tests.rl.agents.learning import trained_untrained_oracle


@pytest.mark.parametrize("algo", ["t2drl", "ddpg-t2drl"])
def test_t2drl_comes_close_to_the_oracle_on_the_tiny_environment(tmp_path, algo):
    trained, untrained, oracle = trained_untrained_oracle(tmp_path, algo)
    assert trained <= 1.05 * oracle and 1.5 * oracle < untrained
