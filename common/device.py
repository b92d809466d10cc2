"""The one device rule of every stage: `auto` is CUDA when present, else the CPU; a named
device is checked before any work starts."""

from __future__ import annotations

import torch

from common.errors import UserError


class DeviceError(UserError):
    """A device name that torch does not know, or CUDA asked for where there is none."""


def resolve_device(spec: str = "auto") -> torch.device:
    """`auto` -> cuda if available, else cpu; otherwise the device named (checked)."""
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(spec)
    except RuntimeError:
        raise DeviceError(
            f"device '{spec}' is not a torch device name (auto, cpu, cuda, cuda:1, ...)."
        ) from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DeviceError(
            f"device '{spec}' was requested but CUDA is not available on this machine."
        )
    return device
