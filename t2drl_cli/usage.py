"""A malformed command line as one sentence (exit code 2), instead of tyro's error box.

tyro (>= 1.0) calls a parse-error hook before it prints its own box; this one turns the events
about one option's value (and unknown options) into a `UsageError` that `t2drl_cli.main`
prints as one line. The hook API is tyro's private, experimental `tyro._errors`: where it is
missing, tyro's box (also exit code 2) is what the user sees.
"""

from __future__ import annotations

import contextlib
import re

from common.errors import UserError

try:
    from tyro import _errors as events
except ImportError:  # pragma: no cover - another tyro version
    events = None


class UsageError(UserError):
    """An option's value the parser cannot take, or an option it does not know."""


def _flag(argument) -> str:
    names = getattr(getattr(argument, "lowered", None), "name_or_flags", None) or ()
    flags = [n for n in names if n.startswith("--")]
    if flags:
        return flags[0]
    return names[0].rsplit(".", 1)[-1].upper() if names else "an argument"  # a positional


NO_TYPE = re.compile(r"no type matching (.+) could be instantiated from \[(.*)\]")


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "not a valid value"
    match = NO_TYPE.search(line)
    if match:
        expected = match.group(1).replace("{None}|", "")
        return f"expected {expected}, got {match.group(2)}"
    return line.rstrip(".")


def _raise_one_sentence(event) -> None:
    if isinstance(event, events.InstantiationFailure):
        what = f"{_first_line(event.message)}."
        raise UsageError(what if event.argument is None else f"{_flag(event.argument)}: {what}")
    if isinstance(event, events.InvalidChoice):
        raise UsageError(
            f"{_flag(event.argument)} must be one of {', '.join(event.choices)}, "
            f"got '{event.value}'."
        )
    if isinstance(event, events.BadValue):
        got = f", got '{event.offending_value}'" if event.offending_value else ""
        raise UsageError(f"{_flag(event.argument)} needs a value{got}.")
    if isinstance(event, events.UnrecognizedArgs):
        raise UsageError(
            f"unknown option {' '.join(event.tokens)} for '{event.prog}' (see {event.prog} --help)."
        )


def one_sentence_errors():
    """Context in which tyro's value errors become `UsageError`s."""
    if events is None or not hasattr(events, "on_parse_error"):
        return contextlib.nullcontext()
    return events.on_parse_error(_raise_one_sentence)
