"""`common.device`: the one device rule; bad names are refused in one sentence."""

import pytest
import torch

from common.device import DeviceError, resolve_device
from common.errors import UserError


def test_names_resolve_or_are_refused_in_one_sentence():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type in ("cpu", "cuda")
    with pytest.raises(DeviceError, match="not a torch device name"):
        resolve_device("gpu0")
    assert issubclass(DeviceError, UserError)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_cuda_is_refused():
    with pytest.raises(DeviceError, match="CUDA is not available"):
        resolve_device("cuda")
