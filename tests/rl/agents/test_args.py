"""`rl.agents.args`: the hyperparameter defaults are the paper's (Table 2 and 7.1)."""

from rl.agents.args import D3PGArgs, DDQNArgs


def test_defaults_are_the_papers():
    d, q = D3PGArgs(), DDQNArgs()
    assert (d.actor, d.denoising_steps, d.actor_lr, d.critic_lr, d.batch_size) == (
        "diffusion", 5, 1e-6, 1e-6, 32
    )  # fmt: skip
    assert (q.hidden, q.lr) == ((128, 128), 1e-6)
