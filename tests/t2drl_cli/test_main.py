"""`t2drl_cli.main`: a user error is one line and exit 2, a bug goes through; building the
command line loads no heavy library."""

import pytest

from t2drl_cli.main import run_guarded


def test_run_guarded_prints_one_line_and_exits_2(capsys):
    from testbed.config import ConfigError

    def bad():
        raise ConfigError("field 'alpha' must be in [0, 1], got 2.")

    with pytest.raises(SystemExit) as exc:
        run_guarded(bad)
    assert exc.value.code == 2
    assert capsys.readouterr().err == "error: field 'alpha' must be in [0, 1], got 2.\n"


def test_run_guarded_lets_other_errors_through():
    def bug():
        raise ValueError("a bug, not bad input")

    with pytest.raises(ValueError, match="a bug"):
        run_guarded(bug)


def test_the_command_line_is_built_without_torch_or_numba():
    """`t2drl --help` stays fast: the `*Args` modules import no heavy library."""
    import subprocess
    import sys

    code = (
        "import sys; from t2drl_cli.main import build_app; build_app(); "
        "print(sorted(m for m in ('torch', 'numba', 'diffusers', 'pymoo') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
