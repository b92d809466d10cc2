"""Reading a file written by `torch.save`: with `weights_only=True` only, every failure one
sentence naming the file (the caller's `UserError` class, exit code 2). A file that needs code
to load is refused for safety, never retried without `weights_only`."""

from __future__ import annotations

import pickle
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

from common.errors import UserError


def load_tensors(path: Path, error: type[UserError], device: str = "cpu") -> Any:
    """`torch.load(path, weights_only=True)`, or `error` in one sentence naming `path`."""
    import torch

    try:
        with warnings.catch_warnings():
            # a plain pickle (not torch's zip) warns before it is refused: the refusal says it
            warnings.filterwarnings("ignore", "Detected pickle protocol", UserWarning)
            return torch.load(path, weights_only=True, map_location=device)
    except pickle.UnpicklingError as exc:
        code = re.search(r"GLOBAL (\S+)", str(exc))
        if code:
            raise error(
                f"'{path}' was refused for safety: loading it would run code ({code.group(1)}); "
                "it is not a checkpoint of this project."
            ) from None
        raise error(
            f"'{path}' is not a checkpoint of this project (not a torch file of tensors)."
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile):
        raise error(
            f"'{path}' is not a readable checkpoint (truncated, or not a torch file)."
        ) from None
