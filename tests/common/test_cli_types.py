"""`common.cli_types`: comma lists and ranges parse as tyro options; hidden fields are not
options."""

from dataclasses import dataclass, field
from typing import Annotated

import pytest
import tyro

from common.cli_types import CommaFloats, CommaInts, CommaStrs, Hidden, Repeatable, renamed, short


@dataclass
class Demo:
    ints: CommaInts = (1, 2)
    """Some integers."""
    nums: CommaFloats = (0.5,)
    """Some numbers."""
    words: CommaStrs | None = None
    """Some words."""
    many: Repeatable[tuple[str, ...]] = ()
    """Repeatable."""
    hidden: Hidden[dict] = field(default_factory=dict)


def parse(*argv: str) -> Demo:
    return tyro.cli(Demo, args=list(argv))


def test_comma_lists_ranges_and_repeats():
    d = parse(
        "--ints", "100-102,7", "--nums", "1,2.5", "--words", "a,b", "--many", "x", "--many", "y"
    )
    assert (d.ints, d.nums, d.words, d.many) == (
        (100, 101, 102, 7),
        (1.0, 2.5),
        ("a", "b"),
        ("x", "y"),
    )
    assert parse("--ints", "3", "4").ints == (3, 4)
    assert parse() == Demo()


@pytest.mark.parametrize("argv", [("--ints", "1,x"), ("--ints", "5-2"), ("--hidden", "{}")])
def test_malformed_and_hidden_options_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        parse(*argv)
    assert exc.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


@dataclass
class ShortOpts:
    models: Annotated[Repeatable[tuple[str, ...]], renamed("model"), short("-m")] = ()
    """Repeatable, renamed, with a short flag."""
    seeds: CommaInts = (0,)
    """Comma-separated integers or ranges."""
    words: CommaStrs = ("a", "b")
    """Comma-separated words."""


def _parse(*argv: str) -> ShortOpts:
    return tyro.cli(ShortOpts, args=list(argv), config=(tyro.conf.OmitArgPrefixes,))


def test_repeatable_renamed_short_and_comma_lists():
    assert _parse() == ShortOpts()
    opts = _parse("-m", "x", "--model", "y", "--seeds", "1,3-5", "--words", "c", "d")
    assert opts == ShortOpts(models=("x", "y"), seeds=(1, 3, 4, 5), words=("c", "d"))


def test_malformed_comma_list_exits_2_naming_the_option(capsys):
    with pytest.raises(SystemExit) as exc:
        _parse("--seeds", "1,x")
    assert exc.value.code == 2 and "--seeds" in capsys.readouterr().err
