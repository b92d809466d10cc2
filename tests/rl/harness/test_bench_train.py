"""Training-side benches (`rl.harness.bench_train`): they run and give positive times."""

from rl.harness.bench_train import decision_time


def test_decision_time_runs_through_the_rollout_loop():
    assert decision_time("ddpg-t2drl", n_users=3, n_slots=3) > 0
