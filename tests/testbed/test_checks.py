"""`testbed.checks`: the paper's own values trip the cloud-path warning."""

from testbed.checks import degeneracy_warnings
from testbed.config import build_config


def test_paper_values_warn_about_the_cloud_path():
    warnings = degeneracy_warnings(build_config("paper", 0))
    assert any("cloud" in w and "(11h)" in w for w in warnings)
