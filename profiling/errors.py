"""The one exception type of the profiling stage."""

from __future__ import annotations

from common.errors import UserError


class ProfilingError(UserError):
    """Bad input to the profiling stage: one sentence that names the input and what was expected.

    The CLI prints it as one line and exits with `exit_code`.
    """
