"""`profiling.zoo.matrix`: the cross-domain matrix on a tiny zoo."""

from __future__ import annotations

import json

import pandas as pd

from profiling.zoo.train import train_zoo
from tests.profiling.zoo.toy import TOY, tiny_zoo_args


def test_matrix_on_a_tiny_zoo(tmp_path):
    from profiling.zoo.matrix import MatrixArgs, diagonal_wins, plot_fig1, run_matrix, write_tables

    train_zoo(tiny_zoo_args(tmp_path / "zoo"), loaders=TOY)
    args = MatrixArgs(
        num_images=2, steps=2, jump_n_sample=1, root=str(tmp_path / "zoo"),
        out_dir=str(tmp_path / "docs"), progress=False,
    )  # fmt: skip
    result = run_matrix(args)
    assert len(result["rows"]) == 4
    assert {r["unet_calls"] for r in result["rows"]} == {2}
    md, csv_path = write_tables(result, args)
    assert "own model wins" in md.read_text() and len(csv_path.read_text().splitlines()) == 5
    assert set(diagonal_wins(result["rows"], result["domains"])) == {"dark", "bright"}
    assert plot_fig1(result, tmp_path / "fig.png").stat().st_size > 0
    assert json.loads((tmp_path / "zoo" / "manifest.json").read_text())["domains"]


def test_main_refuses_bad_settings_and_summary_shows_the_matrix(tmp_path):
    import pytest

    from profiling.zoo.errors import ZooError
    from profiling.zoo.matrix import MatrixArgs, main, summary

    with pytest.raises(ZooError, match="--jump-n-sample must be at least 1, got 0"):
        main(MatrixArgs(jump_n_sample=0, out_dir=str(tmp_path / "never")))
    train_zoo(tiny_zoo_args(tmp_path / "zoo"), loaders=TOY)
    args = MatrixArgs(
        num_images=2, steps=2, jump_n_sample=1, root=str(tmp_path / "zoo"),
        out_dir=str(tmp_path / "docs"), progress=False,
    )  # fmt: skip
    result = main(args)
    assert [p.name for p in result["written"]] == [
        "zoo-matrix.md",
        "zoo-matrix.csv",
        "zoo-fig1.png",
    ]
    printed = summary(result)
    (_, psnr), (_, tv) = printed.tables
    psnr = pd.DataFrame(psnr)
    tv = pd.DataFrame(tv)
    assert list(psnr.columns) == ["images \\ model", "dark", "bright", "own model wins"]
    assert list(tv.columns)[-1] == "clean images" and "diagonal wins" in printed.lines[0]
    assert not (tmp_path / "never").exists()
