"""`t2drl bench pack` (`rl.harness.bench_pack`): its cells and summary on a tiny setting."""

import time

import pytest
import torch

from common.device import DeviceError
from rl.harness.args import BenchPackArgs
from rl.harness.bench_pack import Clock, main, summary
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


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_bench_pack_on_cuda_without_cuda_is_one_sentence_before_any_work():
    with pytest.raises(DeviceError, match="^device 'cuda' was requested but CUDA is not available"):
        main(BenchPackArgs(device="cuda"), log=pytest.fail)


def test_the_cpu_clock_counts_cpu_seconds_and_the_summary_names_the_unit():
    clock = Clock(torch.device("cpu"))
    assert clock.unit == "CPU-s"
    t0, p0 = clock(), time.process_time()
    sum(range(200_000))
    assert clock() - t0 == pytest.approx(time.process_time() - p0, abs=0.01)
    # a CUDA run's result, as `main` returns it there: every label per wall second
    row = {"critic": 64, "K": 25, "alone": 100.0, "packed": 400.0}
    result = {
        "algo": "t2drl",
        "device": "cuda:0",
        "unit": "s",
        "gemm_gflops": 4e4,
        "updates": [{**row, "gemm_mflop": 2.0, "floor_ms": 5e-5, "packed_mflop": 2.0}],
        "episodes": [row],
    }
    s = summary(result)
    assert "cuda:0" in s.tables[0][0]
    assert "alone [upd/s]" in s.tables[0][1][0] and "alone [agent-slots/s]" in s.tables[1][1][0]
    assert any("K = 25: 4.00 (missed)" in line for line in s.lines)
