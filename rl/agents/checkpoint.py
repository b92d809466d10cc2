"""Reading what training wrote: `run.json` and the `policy.pt` / `checkpoint.pt` state dicts.

Every file is read defensively: a missing, truncated, foreign or hostile file is one sentence
naming it (`CheckpointError`, exit code 2). State dicts are loaded by
`common.torch_files.load_tensors` (`weights_only=True` only; a file that needs code to load is
refused for safety).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from common.errors import UserError
from common.torch_files import load_tensors

RUN_KEYS = ("algo", "config", "d3pg", "seed", "episodes")
"""Keys every run.json written by `rl.harness.train` has."""


class CheckpointError(UserError):
    """A run folder, run.json or state dict that is not what this project writes."""


def read_run_record(meta: Path, checkpoint: Path | str | None = None) -> dict[str, Any]:
    """The run.json at `meta`, checked to be a run record of this project; `checkpoint` is
    what the user named (the message names it)."""
    if not meta.is_file():
        given = checkpoint if checkpoint is not None else meta.parent
        raise CheckpointError(f"'{given}' has no run.json beside it (not a training run).")
    try:
        record = json.loads(meta.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CheckpointError(
            f"'{meta}' is not valid JSON (truncated or not a run.json)."
        ) from None
    missing = [k for k in RUN_KEYS if not isinstance(record, dict) or k not in record]
    if missing:
        raise CheckpointError(
            f"'{meta}' is not a run record of this project (no '{missing[0]}' field)."
        )
    return record


def load_state(path: Path, required: str | None = None, device: str = "cpu") -> dict[str, Any]:
    """A state dict written by `torch.save` of tensors and plain Python; with `required`, the
    key it must hold (checkpoint.pt: 'trainer')."""
    if not path.is_file():
        raise CheckpointError(f"checkpoint '{path}' does not exist.")
    state = load_tensors(path, CheckpointError, device)
    if not isinstance(state, dict) or (required is not None and required not in state):
        what = f"no '{required}' entry" if isinstance(state, dict) else type(state).__name__
        raise CheckpointError(f"'{path}' is not a checkpoint of this project ({what}).")
    return state


def load_into(trainer, state: dict[str, Any], path: Path) -> None:
    """`trainer.load_state_dict(state)`, a state of another shape being one sentence."""
    try:
        trainer.load_state_dict(state)
    except (KeyError, RuntimeError, TypeError, ValueError, AttributeError, IndexError) as exc:
        why = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise CheckpointError(f"'{path}' does not match the run in its run.json ({why}).") from None


def own_tensors(state: Any) -> Any:
    """`state` with every tensor that views a larger storage copied into its own: `torch.save`
    writes a view's whole storage, and a packed member's parameters view the pack's
    (`rl.agents.pack`)."""
    if isinstance(state, dict):
        return {k: own_tensors(v) for k, v in state.items()}
    if isinstance(state, list | tuple):
        return type(state)(own_tensors(v) for v in state)
    if isinstance(state, torch.Tensor):
        whole = state.untyped_storage().nbytes()
        return state.clone() if whole != state.numel() * state.element_size() else state
    return state
