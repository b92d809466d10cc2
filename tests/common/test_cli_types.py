"""`common.cli_types`: comma lists and ranges parse as tyro options; hidden fields are not
options."""

from dataclasses import dataclass, field

import pytest
import tyro

from common.cli_types import CommaFloats, CommaInts, CommaStrs, Hidden, Repeatable


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
