"""`testbed.sources.EnvArgs`: a config file, the preset options and --set pairs, later ones
winning; `given()` tells a choice from the defaults."""

from testbed.sources import EnvArgs


def test_file_and_set_overrides(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('preset = "paper"\nseed = 2\nn_users = 14\nalpha = 0.5\n')
    cfg = EnvArgs(
        config=str(f),
        set=(
            "n_users=18",
            "popularity_states=[0.1, 0.9]",
            "popularity_transition=[[0.5, 0.5], [0.5, 0.5]]",
        ),
    ).build()
    assert (cfg.seed, cfg.n_users, cfg.alpha, cfg.popularity_states) == (2, 18, 0.5, (0.1, 0.9))


def test_overrides_from_code_win_and_given_tells_defaults_apart():
    env = EnvArgs(set=("n_users=4",))
    assert not EnvArgs().given() and env.given()
    assert env.with_overrides(n_users=6).build().n_users == 6
    assert EnvArgs(env_seed=3).resolved_overrides() == {"seed": 3}
