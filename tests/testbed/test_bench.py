"""`testbed.bench`: the throughput benchmark's table (rates measured, not asserted)."""

from testbed.bench import BenchTestbedArgs, main


def test_bench_reports_a_rate_per_batch_size():
    s = main(BenchTestbedArgs(users=3, batches=(4, 8), repeats=1, gym_steps=50, vector_copies=2))
    ((title, rows),) = s.tables
    assert "U = 3" in title and [r["copies"] for r in rows] == [4, 8]
    assert all(float(r["pure evaluate_slot [user-slots/s]"]) > 0 for r in rows)
    assert any("gymnasium" in line for line in s.lines)
    assert any("EdgeSlotVectorEnv" in line for line in s.lines)
