"""P3 tables on disk (rl/oracle/store.py): loaded equals computed, bad files are recomputed, the
key follows every argument."""

import dataclasses

import numpy as np
import pytest

from rl.oracle import store
from rl.oracle.frame import frame_oracle
from rl.oracle.policy import OraclePolicy
from tests.rl.oracle.conftest import make_cfg

ARGS = (1.2, 4, 7)  # gamma, samples, seed


def _same(a, b):
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True), f.name
        else:
            assert x == y or (x != x and y != y), f.name


def _no_compute(*args, **kw):
    raise AssertionError("the table was computed again")


def test_a_stored_table_loads_bit_for_bit_equal_to_computing_it(tmp_path, monkeypatch):
    cfg = make_cfg("paper", "normalise", 3)
    computed = frame_oracle(cfg, *ARGS)
    first = store.stored_frame_oracle(tmp_path, cfg, *ARGS)
    _same(first, computed)
    assert len(list(tmp_path.glob("*.json"))) == 1
    monkeypatch.setattr(store, "frame_oracle", _no_compute)
    _same(store.stored_frame_oracle(tmp_path, cfg, *ARGS), computed)


@pytest.mark.parametrize("damage", ["truncate", "other_arguments", "garbage"])
def test_a_damaged_table_is_computed_again_and_replaced(tmp_path, damage):
    cfg = make_cfg("paper", "normalise", 3)
    store.stored_frame_oracle(tmp_path, cfg, *ARGS)
    (path,) = tmp_path.glob("*.json")
    text = path.read_text()
    path.write_text(
        {
            "truncate": text[: len(text) // 2],
            "other_arguments": text.replace('"seed":7', '"seed":8'),
            "garbage": '{"arguments": 1}',
        }[damage]
    )
    _same(store.stored_frame_oracle(tmp_path, cfg, *ARGS), frame_oracle(cfg, *ARGS))
    assert path.read_text() == text


def test_the_key_changes_with_every_argument_and_the_source(monkeypatch):
    cfg = make_cfg("paper", "normalise", 3)
    base = store.table_key(store.table_arguments(cfg, *ARGS, 1))
    others = [
        store.table_arguments(make_cfg("paper", "normalise", 4), *ARGS, 1),
        store.table_arguments(make_cfg("paper", "cap", 3), *ARGS, 1),
        store.table_arguments(cfg, 1.4, 4, 7, 1),
        store.table_arguments(cfg, 1.2, 5, 7, 1),
        store.table_arguments(cfg, 1.2, 4, 8, 1),
        store.table_arguments(cfg, *ARGS, 2),
    ]
    monkeypatch.setattr(store, "source_fingerprint", lambda: "edited")
    others.append(store.table_arguments(cfg, *ARGS, 1))
    keys = {store.table_key(a) for a in others}
    assert base not in keys and len(keys) == len(others)


def test_oracles_in_other_processes_read_the_stored_tables(tmp_path, monkeypatch):
    cfg = make_cfg("paper", "normalise", 3)
    g = cfg.popularity_states[0]
    first = OraclePolicy(cfg, n_frame_samples=4, seed=11, store=tmp_path).frame_result(g)
    assert len(list(tmp_path.glob("*.json"))) == 1
    # a new process: nothing kept in memory, nothing computed
    monkeypatch.setattr(store, "frame_oracle", _no_compute)
    from rl.oracle import policy

    policy._shared_frame_oracle.cache_clear()
    _same(OraclePolicy(cfg, n_frame_samples=4, seed=11, store=tmp_path).frame_result(g), first)


def test_a_store_that_takes_no_files_still_gives_the_table(tmp_path):
    cfg = make_cfg("paper", "normalise", 3)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    _same(store.stored_frame_oracle(blocked, cfg, *ARGS), frame_oracle(cfg, *ARGS))
    assert blocked.read_text() == "not a folder"
