"""Decision time per slot (`rl.harness.bench`, Table 3)."""

from rl.baselines.args import GAConfig
from rl.harness.args import BenchArgs
from rl.harness.bench import main
from testbed.sources import EnvArgs


def test_bench_rows_and_ratio():
    doc = main(
        BenchArgs(
            users=(3,),
            algos=("rcars", "schrs"),
            slots=2,
            env=EnvArgs(set=("n_frames=2", "n_slots=3")),
            ga=GAConfig(pop_size=4, n_gen=2),
        )
    )
    assert [(r["algo"], r["n_users"]) for r in doc["rows"]] == [("rcars", 3), ("schrs", 3)]
    assert all(r["decision_time_ms"] > 0 and r["ratio_to_ddpg_t2drl"] is None for r in doc["rows"])


def test_the_oracles_p3_table_is_built_before_its_timing():
    """Every popularity state's P3 table exists before the first timed slot (the sweep's Table 3
    used to time it inside the slots where a new state first came up)."""
    from rl.harness.bench import time_policy
    from testbed.config import build_config
    from tests.rl.experiments.stand_in import StandInOracle

    cfg = build_config("paper", 0, {"n_users": 3, "n_frames": 2, "n_slots": 3})
    calls = []

    class Spy(StandInOracle):
        def frame_table(self):
            calls.append("table")

        def choose_cache(self, gamma, rng):
            calls.append("cache")
            return super().choose_cache(gamma, rng)

    time_policy(Spy(cfg), cfg, seed=0, n_slots=2)
    assert calls[0] == "table" and calls.count("table") == 1 and "cache" in calls
