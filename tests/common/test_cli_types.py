"""`common.cli_types`: the annotations a field needs beyond its type, as tyro parses them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import pytest
import tyro

from common.cli_types import CommaInts, CommaStrs, Repeatable, renamed, short


@dataclass
class Opts:
    models: Annotated[Repeatable[tuple[str, ...]], renamed("model"), short("-m")] = ()
    """Repeatable, renamed, with a short flag."""
    seeds: CommaInts = (0,)
    """Comma-separated integers or ranges."""
    words: CommaStrs = ("a", "b")
    """Comma-separated words."""


def _parse(*argv: str) -> Opts:
    return tyro.cli(Opts, args=list(argv), config=(tyro.conf.OmitArgPrefixes,))


def test_repeatable_renamed_short_and_comma_lists():
    assert _parse() == Opts()
    opts = _parse("-m", "x", "--model", "y", "--seeds", "1,3-5", "--words", "c", "d")
    assert opts == Opts(models=("x", "y"), seeds=(1, 3, 4, 5), words=("c", "d"))


def test_malformed_comma_list_exits_2_naming_the_option(capsys):
    with pytest.raises(SystemExit) as exc:
        _parse("--seeds", "1,x")
    assert exc.value.code == 2 and "--seeds" in capsys.readouterr().err
