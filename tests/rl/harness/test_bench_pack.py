"""`t2drl bench pack` (`rl.harness.bench_pack`): its cells and summary on a tiny setting."""

import pytest

from rl.harness.args import BenchPackArgs
from rl.harness.bench_pack import main, summary
from rl.registry import TrainError


@pytest.mark.slow  # 10 s: 2 agents on the paper cell, the profiler
def test_bench_pack_cells_and_summary():
    args = BenchPackArgs(sizes=(1, 2), critic_widths=(16,), updates=4, episodes=0)
    result = main(args, log=lambda s: None)
    assert [(r["critic"], r["K"]) for r in result["updates"]] == [(16, 1), (16, 2)]
    for r in result["updates"]:
        assert r["alone"] > 0 and r["packed"] > 0
        assert r["gemm_mflop"] > 0 and r["floor_ms"] > 0
        assert r["packed_mflop"] == pytest.approx(r["gemm_mflop"])  # the same products
    assert result["episodes"] == []
    s = summary(result)
    assert len(s.tables) == 1
    assert any("goal: packed / alone >= 5 at K = 25" in line for line in s.lines)


def test_bench_pack_refuses_a_method_that_does_not_learn():
    with pytest.raises(TrainError, match="^--algo must be one of t2drl, ddpg-t2drl, ddpg"):
        main(BenchPackArgs(algo="oracle"))
