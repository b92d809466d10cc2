"""`profiling.table`: one part file per finished cell, gathered into one table; an output
folder that cannot be written is one sentence before any work."""

import pytest

from profiling.errors import ProfilingError
from profiling.table import (
    cell_id,
    consolidate,
    done_cells,
    prepare_output,
    read_measurements,
    write_cell,
)


def test_parts_resume_and_consolidate(tmp_path):
    prepare_output(tmp_path)
    a, b = cell_id({"model": "m", "n": 1}), cell_id({"n": 1, "model": "m"})
    assert a == b and len(a) == 20
    write_cell(tmp_path, a, [{"model_id": "m", "step_n": 1, "tv_l1": 2.5}])
    write_cell(tmp_path, cell_id({"n": 2}), [{"model_id": "m", "step_n": 2, "tv_l1": 1.5}])
    assert done_cells(tmp_path) == {a, cell_id({"n": 2})}
    df = read_measurements(consolidate(tmp_path))
    assert sorted(df.step_n) == [1, 2] and set(df.columns) >= {"model_id", "tv_l1", "latency_s"}


def test_an_unwritable_output_is_one_sentence(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ProfilingError, match="not writable"):
        prepare_output(blocker / "campaign")
    with pytest.raises(ProfilingError, match="does not exist"):
        read_measurements(tmp_path / "nope.parquet")


def test_an_unreadable_part_is_set_aside_not_counted_as_done(tmp_path):
    from profiling.table import set_aside_unreadable_parts

    prepare_output(tmp_path)
    good, bad = cell_id({"n": 1}), cell_id({"n": 2})
    write_cell(tmp_path, good, [{"model_id": "m", "step_n": 1}])
    broken = write_cell(tmp_path, bad, [{"model_id": "m", "step_n": 2}])
    broken.write_bytes(broken.read_bytes()[:50])  # a part cut short
    (said,) = set_aside_unreadable_parts(tmp_path)
    assert broken.name in said and "measured again" in said
    assert done_cells(tmp_path) == {good}
    assert (tmp_path / "parts" / "unreadable" / broken.name).stat().st_size == 50
