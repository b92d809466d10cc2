"""The one base class of every error a user can fix."""

from __future__ import annotations


class UserError(ValueError):
    """Bad input (an option, a field, a file): the user can fix it, the code is not at fault.

    Convention: the message is one sentence that names the file/field/option and says what
    was expected. The CLI (`t2drl_cli.main.run_guarded`) prints it as one line on stderr and
    exits with `exit_code` (2), never a traceback. Every package's error subclasses this one;
    it stays a `ValueError` so callers that catch `ValueError` keep working.
    """

    exit_code = 2
