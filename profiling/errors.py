"""The one exception type of the profiling stage."""

from __future__ import annotations


class ProfilingError(ValueError):
    """Bad input to the profiling stage: one sentence that names the input and what was expected.

    The CLI prints it as one line and exits with `exit_code`.
    """

    exit_code = 2
