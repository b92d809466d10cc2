"""Errors of the zoo: one sentence each (`common.errors.UserError`: exit code 2 in the CLI)."""

from __future__ import annotations

from profiling.errors import ProfilingError


class ZooError(ProfilingError):
    """A zoo file is missing or damaged, or a domain is unknown."""


class ZooDataMissing(ZooError):
    """The training data of a domain is not installed (only `train-zoo` needs it)."""
