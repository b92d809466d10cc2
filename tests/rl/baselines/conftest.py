"""The tiny paper cell both baseline test files use."""

import pytest

from testbed.config import build_config
from testbed.system_model import SystemParams
from tests.rl.baselines.slots import TINY


@pytest.fixture(scope="module")
def cfg():
    return build_config("paper", 0, TINY)


@pytest.fixture(scope="module")
def params(cfg):
    return SystemParams.from_config(cfg)
