"""`rl.experiments.args.ExperimentArgs`: the environment options resolve to the flat record
that sweep.json keeps (and the report reads back)."""

from rl.experiments.args import ExperimentArgs
from testbed.sources import EnvArgs


def test_record_is_flat():
    a = ExperimentArgs(env=EnvArgs(env_preset="fitted", env_seed=2, set=("n_frames=5",)))
    assert a.environment() == ("fitted", 2, {"n_frames": 5})
    rec = a.record()
    assert (rec["preset"], rec["env_seed"], rec["env_overrides"], rec["algos"]) == (
        "fitted", 2, {"n_frames": 5}, None
    )  # fmt: skip
    assert "env" not in rec
