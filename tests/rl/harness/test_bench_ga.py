"""The GA through pymoo's `minimize` against the GA on arrays (`rl.harness.bench_ga`)."""

import pytest

from rl.baselines.args import GAConfig
from rl.harness.args import BenchGAArgs
from rl.harness.bench_ga import BenchGAError, main, summary
from testbed.sources import EnvArgs

TINY = EnvArgs(set=("n_frames=2", "n_slots=3"))


def test_both_baselines_timed_side_by_side_with_the_same_best():
    doc = main(BenchGAArgs(users=(3,), slots=2, env=TINY, ga=GAConfig(pop_size=6, n_gen=4)))
    assert [(r["n_users"], r["baseline"]) for r in doc["rows"]] == [(3, "SCHRS"), (3, "HCRAS")]
    for r in doc["rows"]:
        assert r["same"] == r["slots"] == 2
        assert r["pymoo_ms"] > 0 and r["arrays_ms"] > 0
    (title, rows), *_ = summary(doc).tables
    assert rows[0]["same best chromosome"] == "2 of 2"


@pytest.mark.parametrize("bad", [{"users": ()}, {"users": (0,)}, {"slots": 0}])
def test_bad_input_is_one_sentence(bad):
    with pytest.raises(BenchGAError) as info:
        main(BenchGAArgs(env=TINY, **bad))
    assert info.value.exit_code == 2
