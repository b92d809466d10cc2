"""The house rules that no linter checks: library files stay small enough to read, and every
one has its test file at the mirrored path."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("common", "fitted_models", "testbed", "profiling", "rl", "validation", "t2drl_cli")
MAX_LINES = 500


def library_files() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


@pytest.mark.parametrize("path", library_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_library_file_is_at_most_500_lines(path):
    n = len(path.read_text().splitlines())
    assert n <= MAX_LINES, f"{path.relative_to(ROOT)} has {n} lines; split it along its seams."


def mirrored_test(path: Path) -> Path:
    rel = path.relative_to(ROOT)
    return ROOT / "tests" / rel.parent / f"test_{rel.name}"


MIRRORED = [
    p
    for p in library_files()
    if p.name
    not in ("__init__.py", "__main__.py", "errors.py")  # errors: tests/common/test_errors.py
]


@pytest.mark.parametrize("path", MIRRORED, ids=lambda p: str(p.relative_to(ROOT)))
def test_library_file_has_its_mirrored_mirrored_test(path):
    assert mirrored_test(path).is_file(), (
        f"{path.relative_to(ROOT)} has no {mirrored_test(path).relative_to(ROOT)}."
    )
