"""The README's terminal sessions are real: every ```console block runs, in order, from an empty
folder, and prints what the README shows.

Conventions (stated in the README too): a line starting with ``$ `` is a command, run with bash
in one scratch folder shared by the whole README (so a file made by an earlier command is there
for a later one), with the venv's ``bqml-tools`` first on PATH; the lines after it, up to the next
command or the end of the block, are its output (stdout then stderr, as a terminal shows them
when the command writes one of them). ``...`` alone on a line stands for any lines, and ``...``
inside a line for any text: the few figures that depend on the machine. ``make`` commands are the
set-up this test already runs under, and are not run again.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def console_blocks(text: str) -> list[tuple[int, list[tuple[str, list[str]]]]]:
    """(line number, [(command, expected output lines)]) for each ```console block."""
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        if lines[i].strip() == "```console":
            start, i, commands = i + 1, i + 1, []
            while lines[i].strip() != "```":
                line = lines[i]
                if line.startswith("$ "):
                    command = line[2:]
                    while command.endswith("\\"):
                        i += 1
                        command = command[:-1] + lines[i].strip()
                    commands.append((command, []))
                elif commands:
                    commands[-1][1].append(line)
                else:
                    raise AssertionError(f"README.md:{i + 1}: output before any command in a console block")
                i += 1
            blocks.append((start, commands))
        i += 1
    return blocks


RUN_MARK = "<!-- test_readme: run -->"


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, code) of each ```python block right under the line ``<!-- test_readme: run -->``."""
    lines, out = text.splitlines(), []
    for i, line in enumerate(lines[:-1]):
        if line.strip() == RUN_MARK and lines[i + 1].strip() == "```python":
            end = lines.index("```", i + 2)
            out.append((i + 3, "\n".join(lines[i + 2:end])))
    return out


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whole-output match where a line ``...`` is any lines and ``...`` in a line is any text."""
    pattern = "\n".join(".*?" if line == "..." else ".*?".join(map(re.escape, line.split("...")))
                        for line in expected)
    return re.fullmatch(pattern, "\n".join(actual), flags=re.S) is not None


def test_console_blocks_are_found():
    assert python_blocks(README.read_text()), f"no Python block marked {RUN_MARK}"
    blocks = console_blocks(README.read_text())
    assert len(blocks) >= 5 and all(commands for _, commands in blocks)


def test_matcher():
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert matches(["took ... s"], ["took 1.5 s"])
    assert not matches(["a", "b"], ["a", "c"])


def test_every_readme_session_runs_as_shown(tmp_path):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("BQML_TOOLS_BIGQUERY_ENDPOINT", None)
    failures = []
    for line, commands in console_blocks(README.read_text()):
        for command, expected in commands:
            if command.startswith("make "):
                continue
            done = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True,
                                  text=True, timeout=300)
            actual = (done.stdout + done.stderr).rstrip("\n").splitlines()
            wanted = [l for l in expected]
            while wanted and not wanted[-1].strip():
                wanted.pop()
            failed = done.returncode not in (0, 2) or (done.returncode == 2) != any(
                l.startswith("Error: ") for l in wanted)
            if failed or not matches(wanted, actual):
                failures.append(f"README.md:{line} $ {command}\n  exit {done.returncode}\n--- README\n"
                                + "\n".join(wanted) + "\n--- actual\n" + "\n".join(actual))
    # the Python examples marked to run, in the folder the sessions above filled with the demo's files
    for line, code in python_blocks(README.read_text()):
        done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=300)
        if done.returncode != 0:
            failures.append(f"README.md:{line} Python block failed:\n{done.stderr[-2000:]}")
    assert not failures, "\n\n".join(failures)
