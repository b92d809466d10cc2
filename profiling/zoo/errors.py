"""Errors of the zoo: one sentence each, ``exit_code = 2`` for the CLI."""

from __future__ import annotations

from profiling.errors import ProfilingError


class ZooError(ProfilingError):
    """A zoo file is missing or damaged, or a domain is unknown."""

    exit_code = 2


class ZooDataMissing(ZooError):
    """The training data of a domain is not installed (only `train-zoo` needs it)."""
