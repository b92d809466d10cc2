"""Atomic writes, the JSON writer and the file hash: the one way each is done.

`atomic_write(path, write)` has `write(tmp)` fill a temporary file next to `path`, then renames
it over `path` (`os.replace`): a reader sees the old file or the new one, never half of one, and
a `write` that raises leaves the old file as it was. The temporary file sits alone in a hidden
temporary folder beside `path` (so concurrent writers never share it) and is named
``<name>.tmp``: `torch.save` names its archive after the file, so a checkpoint's bytes do not
depend on the folder it was written in.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from common.errors import UserError


def atomic_write(
    path: str | os.PathLike, write: Callable[[Path], object], *, durable: bool = False
) -> Path:
    """Write `path` atomically: `write(tmp)` writes a temporary file, which then replaces `path`.

    `durable=True` also fsyncs the file and the folder, so the new file survives a power cut
    (a killed process never leaves half a file either way). Returns `path`.
    """
    path = Path(path)
    tmp_dir = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    tmp = tmp_dir / f"{path.name}.tmp"
    try:
        write(tmp)
        if durable:
            _fsync(tmp)
        os.replace(tmp, path)
        if durable:
            _fsync(path.parent)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    return path


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_text(path: str | os.PathLike, text: str, *, durable: bool = False) -> Path:
    """`text` (UTF-8) to `path`, atomically (see `atomic_write`)."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), durable=durable)


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, durable: bool = False) -> Path:
    """`data` to `path`, atomically (see `atomic_write`)."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data), durable=durable)


def json_default(x: Any) -> Any:
    """`default=` of `json.dump`: NumPy scalars and arrays as Python numbers and lists, paths as
    strings; anything else is a TypeError (no silent `str`)."""
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, os.PathLike):
        return os.fspath(x)
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")


def to_json(doc: Any, *, indent: int | None = 2) -> str:
    """The project's JSON text of `doc`: `json_default` for NumPy and paths, a final newline."""
    return json.dumps(doc, indent=indent, default=json_default) + "\n"


def write_json(path: str | os.PathLike, doc: Any, *, indent: int | None = 2) -> Path:
    """`to_json(doc)` to `path`, atomically (see `atomic_write`)."""
    return atomic_write_text(path, to_json(doc, indent=indent))


def file_digest(path: str | os.PathLike, digest: Any = None) -> Any:
    """The sha256 hash object of a file's bytes (`hashlib.file_digest`, read in chunks).

    With `digest` (a running hash object), the file's bytes are fed into it instead and it is
    returned: several files into one digest."""
    h = hashlib.sha256() if digest is None else digest
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, lambda: h)


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes."""
    return file_digest(path).hexdigest()


class OutputError(UserError):
    """An output location that cannot be written (found before any work starts)."""


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def writable_dir(path: str | os.PathLike, option: str = "--out") -> Path:
    """Create the folder `path` (and its parents) now and check it takes files: one sentence
    naming `option` if not. Call it before the work whose results go there."""
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=p, prefix=".probe-"):
            pass
    except OSError as exc:
        raise OutputError(f"{option} '{p}' cannot be used as a folder ({_why(exc)}).") from None
    return p


def writable_file(path: str | os.PathLike, option: str = "--out") -> Path:
    """Check now that a file can be written at `path` (its folder is created): one sentence
    naming `option` if not."""
    p = Path(path)
    if p.is_dir():
        raise OutputError(f"{option} '{p}' is a folder; expected a file name.")
    try:
        writable_dir(p.parent, option)
    except OutputError:
        raise OutputError(
            f"{option} '{p}' cannot be written (its folder cannot be created)."
        ) from None
    return p
