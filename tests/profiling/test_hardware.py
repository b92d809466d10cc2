"""`profiling.hardware`: dtype names are checked at the boundary."""

import pytest
import torch

from profiling.errors import ProfilingError
from profiling.hardware import resolve_dtype


def test_dtype_names_resolve_or_are_refused_in_one_sentence():
    assert resolve_dtype("bf16") is torch.bfloat16
    with pytest.raises(ProfilingError, match="dtype 'fp8' is not one of fp32, fp16, bf16"):
        resolve_dtype("fp8")
