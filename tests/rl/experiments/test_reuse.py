"""`rl.experiments.reuse`: a run another experiment has done is copied, with its numbers."""

from __future__ import annotations

import json

import pytest

from rl.experiments.spec import plan
from rl.experiments.sweep import main
from testbed.sources import EnvArgs
from tests.rl.experiments.stand_in import tiny_args

pytestmark = pytest.mark.usefixtures("stand_in_oracle")


def test_a_run_another_experiment_has_done_is_reused_with_its_numbers(tmp_path):
    """Fig. 8 at C = 20 GB is Fig. 7's cell: its run is copied from the Fig. 7 directory beside
    it (marked `reused_from`), with the numbers a fresh run gives."""
    quiet = dict(echo=lambda s: None)
    main(tiny_args(tmp_path / "fig7", algos=("rcars",)), **quiet)
    fig8 = dict(
        name="fig8", grid=("20",), algos=("rcars",), reuse=True,
        env=EnvArgs(overrides={"n_frames": 2, "n_users": 3}),
    )  # fmt: skip
    lines = []
    assert main(tiny_args(tmp_path / "fig8", **fig8), echo=lines.append)["done"] == 1
    assert any("1 runs reused" in s for s in lines)
    main(tiny_args(tmp_path / "fresh" / "fig8", report=False, **fig8 | {"reuse": False}), **quiet)
    (path,) = (tmp_path / "fig8" / "runs").glob("*.json")
    got = json.loads(path.read_text())
    assert "fig7/runs/" in got["reused_from"] and got["spec"]["experiment"] == "fig8"
    want = json.loads((tmp_path / "fresh" / "fig8" / "runs" / path.name).read_text())
    for a, b in zip(got["eval"], want["eval"], strict=True):
        a.pop("decision_time_ms"), b.pop("decision_time_ms")  # a timing
        assert a == b
    assert "1 runs reused from sibling" in (tmp_path / "fig8" / "report.md").read_text()


def test_the_same_work_under_three_names():
    """Fig. 7 at U = 10, Fig. 8 at C = 20 GB and Fig. 6a at L = 5 are one run per seed; other
    grid points, seeds and methods are not."""
    from rl.experiments.reuse import work_key
    from rl.experiments.spec import FULL

    def key(name, grid, algo="t2drl", seed=0):
        specs = plan(name, FULL, algos=(algo,), grid=grid)
        return work_key(next(s for s in specs if s.train_seed in (seed, None)))

    assert key("fig7", (10,)) == key("fig8", (20,)) == key("fig6a", (5,))
    assert key("fig7", (10,), "rcars") == key("fig8", (20,), "rcars")
    others = {
        key("fig7", (12,)),
        key("fig6a", (3,)),
        key("fig8", (23,)),
        key("fig7", (10,), seed=1),
    }
    assert key("fig7", (10,)) not in others and len(others) == 4
    assert key("fig7", (10,), "ddpg-t2drl") != key("fig7", (10,))
