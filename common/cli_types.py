"""How an `*Args` field appears on the command line (tyro reads these annotations).

The `*Args` dataclasses are the one declaration of every option: `t2drl_cli` hands them to
tyro, which takes names, types, defaults and help (the attribute docstrings) from them. These
aliases are the few hints a field needs beyond its type; tyro is imported here only.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

import tyro

T = TypeVar("T")

Hidden = tyro.conf.Suppress
"""Not an option (nested hyperparameters, dicts filled by code)."""

Positional = tyro.conf.Positional
"""An argument without a flag (the file a command reads)."""

Repeatable = tyro.conf.UseAppendAction
"""A list option given once per value: `--algo t2drl --algo ddpg`."""


def renamed(name: str):
    """The option is `--<name>` although the field keeps its name (records use the field)."""
    return tyro.conf.arg(name=name)


def short(flag: str):
    """A one-letter alias of the option: `short("-m")` makes `-m X` the same as `--model X`."""
    return tyro.conf.arg(aliases=(flag,))


def _ints(part: str) -> list[int]:
    if "-" in part[1:]:
        lo, hi = (int(v) for v in part.split("-", 1))
        if hi < lo:
            raise ValueError(part)
        return list(range(lo, hi + 1))
    return [int(part)]


def _comma_list(parse_one, metavar: str):
    def parse(tokens: list[str]) -> tuple:
        parts = [v.strip() for t in tokens for v in t.split(",") if v.strip()]
        try:
            return tuple(v for part in parts for v in parse_one(part))
        except ValueError:
            raise ValueError(f"expected {metavar}, got '{' '.join(tokens)}'") from None

    def show(values: tuple) -> list[str]:
        return [",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)]

    return tyro.constructors.PrimitiveConstructorSpec(
        nargs="*",
        metavar=metavar,
        instance_from_str=parse,
        is_instance=lambda x: isinstance(x, tuple),
        str_from_instance=show,
    )


CommaInts = Annotated[tuple[int, ...], _comma_list(_ints, "INT[,INT...]")]
"""Integers given as `10,14,18` (or `10 14 18`); `100-104` is the inclusive range."""

CommaFloats = Annotated[tuple[float, ...], _comma_list(lambda v: [float(v)], "NUM[,NUM...]")]
"""Numbers given as `20,24.5` (or `20 24.5`)."""

CommaStrs = Annotated[tuple[str, ...], _comma_list(lambda v: [v], "STR[,STR...]")]
"""Words given as `a,b` (or `a b`)."""
