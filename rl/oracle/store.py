"""P3 tables kept on disk, so the sweeps of one evaluation compute each one once.

Table 3's oracle times its decisions on the environments of Fig. 7's oracle runs (the same
`EdgeConfig` per U, the same samples and seed): the same P3 tables, which are most of either
run's cost. `stored_frame_oracle(folder, ...)` returns the table in `folder` when there is one
for exactly these arguments, else computes it (`frame_oracle`) and writes it there.

A table is a JSON file named by the SHA-256 of everything its numbers depend on: the resolved
environment, gamma, the number of samples, their seed, the node budget, the source of the
oracle and of the testbed, and the versions of NumPy and numba (which compiles the slot
oracle's kernels), so a change to any of them is a new file, never a stale table. JSON writes
floats by `repr`, so a loaded table equals the computed one bit for bit. A file that cannot be read as a table of these arguments is computed again and replaced;
a folder that takes no files leaves the table computed, as without a store.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

import numba
import numpy as np

import testbed
from common.io import file_digest, write_json
from rl.oracle.frame import FrameOracleResult, frame_oracle
from testbed.config import EdgeConfig

_ARRAYS = ("caches", "mean", "stderr")


@functools.cache
def source_fingerprint() -> str:
    """SHA-256 over the source files the oracle's numbers come from (rl.oracle, testbed)."""
    h = hashlib.sha256()
    for package in (Path(__file__).parent, Path(testbed.__file__).parent):
        for path in sorted(package.rglob("*.py")):
            h.update(path.relative_to(package.parent).as_posix().encode())
            file_digest(path, h)
    return h.hexdigest()


def table_arguments(
    cfg: EdgeConfig, gamma: float, n_samples: int, seed: int, max_nodes: int
) -> dict[str, Any]:
    """What a P3 table's numbers depend on, as it reads back from JSON."""
    arguments = {
        "config": cfg.to_dict(),
        "gamma": float(gamma),
        "n_samples": int(n_samples),
        "seed": int(seed),
        "max_nodes": int(max_nodes),
        "source": source_fingerprint(),
        "numpy": np.__version__,
        "numba": numba.__version__,
    }
    return json.loads(json.dumps(arguments))


def table_key(arguments: dict[str, Any]) -> str:
    canon = json.dumps(arguments, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()


def stored_frame_oracle(
    folder: Path,
    cfg: EdgeConfig,
    gamma: float,
    n_samples: int,
    seed: int,
    max_nodes: int = 1,
    progress: bool = False,
) -> FrameOracleResult:
    """`frame_oracle(cfg, gamma, n_samples, seed, max_nodes)`, read from `folder` when it holds
    this table, else computed and written there."""
    arguments = table_arguments(cfg, gamma, n_samples, seed, max_nodes)
    path = Path(folder) / f"{table_key(arguments)}.json"
    found = load_table(path, arguments)
    if found is not None:
        return found
    result = frame_oracle(cfg, gamma, n_samples, seed, max_nodes=max_nodes, progress=progress)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json(path, {"arguments": arguments, "table": _table_dict(result)}, indent=None)
    except OSError:
        pass  # a store that takes no files only costs the next process this computation
    return result


def load_table(path: Path, arguments: dict[str, Any]) -> FrameOracleResult | None:
    """The table in `path` if it is one of exactly `arguments`, else None."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc["arguments"] != arguments:
            return None
        table = dict(doc["table"])
        for name in _ARRAYS:
            table[name] = np.asarray(table[name], dtype=np.int8 if name == "caches" else float)
        return FrameOracleResult(**table)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None


def _table_dict(result: FrameOracleResult) -> dict[str, Any]:
    d = dict(vars(result))
    for name in _ARRAYS:
        d[name] = d[name].tolist()
    return d
