"""`rl.experiments.claims`: improvements read per metric direction; Fig. 8 at 20 GB repeats
Fig. 7 at U = 10."""

import pytest

from rl.experiments.claims import CLAIMS, improvement


def test_improvement_follows_the_metric_direction():
    assert improvement("hit_ratio", 0.6, 0.5) == pytest.approx(20.0)
    assert improvement("utility", 40.0, 50.0) == pytest.approx(20.0)


def test_fig8_at_20_gb_is_fig7_at_ten_users():
    def pick(exp, x):
        return [(c.metric, c.other, c.percent) for c in CLAIMS if c.experiment == exp and c.x == x]

    assert pick("fig8", 20) == pick("fig7", 10) and len(pick("fig7", 10)) == 6
