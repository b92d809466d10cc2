"""The CLI's tests share the profiling tests' tiny UNet and one-thread rule, and run commands
in-process through `t2drl_cli.main.cli`."""

import pytest

from t2drl_cli.main import cli
from tests.profiling.conftest import _one_thread, tiny_unet_dir  # noqa: F401 (fixtures)


@pytest.fixture
def t2drl(capsys):
    """`t2drl(*argv)` -> (exit code, stdout, stderr) of one in-process call."""

    def run(*argv: str) -> tuple[int, str, str]:
        try:
            cli([str(a) for a in argv])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
