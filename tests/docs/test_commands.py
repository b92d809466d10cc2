"""Every `t2drl` / `profile-models` / `fit-models` command shown in the README and the docs
parses with today's options (parsed, not run: the commands are swapped for stand-ins)."""

from __future__ import annotations

import functools
import re
import shlex
from pathlib import Path

import pytest
import tyro

from t2drl_cli import main as cli_main
from t2drl_cli import profiling_cmds

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = {
    "t2drl": None,
    "profile-models": profiling_cmds.profile,
    "fit-models": profiling_cmds.fit,
}
PLACEHOLDER = re.compile(r"[<>\[\]]|\.\.\.|\bNAME\b|\bDIR\b|\bPATH\b")


def _shown_commands() -> list[tuple[str, str]]:
    found = []
    pages = [ROOT / "README.md", ROOT / "datasets.md", *sorted((ROOT / "docs").rglob("*.md"))]
    for page in pages:
        text = page.read_text()
        blocks = re.findall(r"```(?:bash|sh|console)?\n(.*?)```", text, flags=re.S)
        lines = [ln for b in blocks for ln in b.replace("\\\n", " ").splitlines()]
        lines += re.findall(r"`((?:t2drl|profile-models|fit-models) [^`]+)`", text)
        for line in lines:
            cmd = line.split(" #")[0].strip().removeprefix("$ ")
            cmd = re.sub(r"^(/usr/bin/time( -v)? |OMP_NUM_THREADS=\S+ |nohup )+", "", cmd)
            cmd = cmd.split(" && ")[0].split(" > ")[0].split(" | ")[0].split(" 2>")[0]
            if cmd.split(" ")[0] in PROGRAMS and not PLACEHOLDER.search(cmd):
                found.append((page.relative_to(ROOT).as_posix(), cmd))
    return sorted(set(found))


def _stand_in(command):
    @functools.wraps(command)
    def parsed(*args, **kwargs):
        return args, kwargs

    return parsed


@pytest.mark.parametrize(("page", "command"), _shown_commands())
def test_documented_command_parses(page, command):
    program, *argv = shlex.split(command.replace("$D", "/tmp/d").replace("$OUT", "/tmp/o"))
    try:
        if PROGRAMS[program] is None:
            cli_main.build_app(_stand_in).cli(args=argv, config=cli_main.CONFIG)
        else:
            tyro.cli(_stand_in(PROGRAMS[program]), args=argv, config=cli_main.CONFIG)
    except SystemExit as exc:
        assert exc.code == 0, f"{page}: `{command}` does not parse"  # 0: it asked for --help


def test_commands_are_found():
    assert len(_shown_commands()) > 40
