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
