"""The documentation's terminal sessions are real: every ```console block of README.md and of every
``docs/*.md`` page runs, in order, and prints what the page shows; and the site builds strictly.

Conventions (stated on the docs' home page too): a line starting with ``$ `` is a command, run with
bash in one scratch folder per page (so a file made by an earlier command of the page is there for a
later one), with the venv's ``bqml-tools`` first on PATH; the lines after it, up to the next command
or the end of the block, are its output (stdout then stderr, as a terminal shows them when the
command writes one of them). ``...`` alone on a line stands for any lines, and ``...`` inside a line
for any text: the few figures that depend on the machine. ``make`` commands are the set-up this test
already runs under, and are not run again.

Every page starts from the demo's two files: the set-up command ``SETUP`` runs once per test session
and its files are copied into each page's folder; where a page shows that command, its output is
checked against that one run instead of running it again. One test item per page, so a failure
names its page. The README's commands run in bash as a user types them; on the docs pages a plain
``bqml-tools ...`` command (no pipe, redirection or expansion) calls the entry point in-process,
which halves the time, and ``BQML_TOOLS_DOCS_SUBPROCESS=1`` runs them in bash too.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
SETUP = "bqml-tools demo --rows 50000 --save events.parquet --predictions preds.parquet"
SETUP_FILES = ("events.parquet", "preds.parquet")
RUN_MARK = "<!-- test_docs: run -->"


def console_blocks(text: str, name: str = "page") -> list[tuple[int, list[tuple[str, list[str]]]]]:
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
                    raise AssertionError(f"{name}:{i + 1}: output before any command in a console block")
                i += 1
            blocks.append((start, commands))
        i += 1
    return blocks


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, code) of each ```python block right under the line ``<!-- test_docs: run -->``."""
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


def _env() -> dict[str, str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("BQML_TOOLS_BIGQUERY_ENDPOINT", None)
    return env


# Outside single quotes, a character that makes bash do more than split words: such a command runs in bash.
_SHELL = re.compile(r"[|&;<>()$`*?\[\]{}~\\\"#!]")


def _plain(command: str) -> bool:
    """A ``bqml-tools ...`` command that bash would only split into words (quotes aside)."""
    return command.startswith("bqml-tools ") and not _SHELL.search(re.sub(r"'[^']*'", "", command))


def _run(command: str, cwd: Path, in_process: bool = False) -> tuple[int, list[str]]:
    """Exit status and output (stdout then stderr) of ``command`` run in ``cwd``.

    With ``in_process``, a plain ``bqml-tools`` command calls the console script's entry point
    (``bqml_tools.cli.main``) in this process, which saves a Python start-up and the imports per
    command (most of a small command's time); ``BQML_TOOLS_DOCS_SUBPROCESS=1`` runs every command in bash.
    """
    if in_process and _plain(command) and os.environ.get("BQML_TOOLS_DOCS_SUBPROCESS") != "1":
        return _run_in_process(shlex.split(command)[1:], cwd)
    done = subprocess.run(["bash", "-c", command], cwd=cwd, env=_env(), capture_output=True, text=True,
                          timeout=300)
    return done.returncode, (done.stdout + done.stderr).rstrip("\n").splitlines()


def _run_in_process(args: list[str], cwd: Path) -> tuple[int, list[str]]:
    from bqml_tools.cli import main

    out, err, here, saved = io.StringIO(), io.StringIO(), os.getcwd(), dict(os.environ)
    os.environ.clear()
    os.environ.update(_env())
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main(args)
        status = 0
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else 0 if exit_.code is None else 1
    except Exception:  # what the console script would print as a traceback, exit status 1
        status = 1
        err.write(traceback.format_exc())
    finally:
        os.chdir(here)
        os.environ.clear()
        os.environ.update(saved)
    return status, (out.getvalue() + err.getvalue()).rstrip("\n").splitlines()


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory) -> tuple[Path, int, list[str]]:
    """The shared set-up, run once: its folder, exit status and output."""
    folder = tmp_path_factory.mktemp("demo")
    status, output = _run(SETUP, folder)
    assert status == 0, "\n".join(output)
    return folder, status, output


def test_console_blocks_are_found():
    assert python_blocks(README.read_text()) == [], "README is a quickstart: its Python examples live in docs/"
    assert any(python_blocks(page.read_text()) for page in PAGES), f"no Python block marked {RUN_MARK}"
    for page in PAGES:
        assert all(commands for _, commands in console_blocks(page.read_text(), page.name)), page.name
    assert sum(len(console_blocks(page.read_text())) for page in PAGES) >= 17
    assert any(command == SETUP for _, commands in console_blocks(README.read_text()) for command, _ in commands)


def test_the_readme_is_a_quickstart():
    """What it is, install, the two commands, one example, links: the rest lives in docs/."""
    text = README.read_text()
    assert len(text.splitlines()) <= 150
    for command in ("make demo", "make test"):
        assert f"$ {command}" in text
    linked = set(re.findall(r"\]\((docs/[a-z-]+\.md|BENCHMARKS\.md)\)", text))
    linked |= {"docs/benchmarks.md"} if "BENCHMARKS.md" in linked else set()  # the page includes BENCHMARKS.md
    assert {f"docs/{p.name}" for p in DOCS.glob("*.md")} <= linked, "link every docs page from the README"


def test_plain_commands():
    assert _plain("bqml-tools split events.parquet --key user_id --sample 1/10")
    assert _plain("bqml-tools split 'proj.ds.t`; DROP TABLE x; --' --key k --dialect bigquery")
    assert _plain("bqml-tools threshold fraud.parquet --label fraud --score p --target 'recall>=0.9'")
    assert not _plain("bqml-tools threshold fraud.parquet --label fraud --score p --target recall>=0.9")
    assert not _plain("python -c 'print(1)'")
    assert not _plain("bqml-tools fingerprint $HOME")


def test_matcher():
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert matches(["took ... s"], ["took 1.5 s"])
    assert not matches(["a", "b"], ["a", "c"])


SESSION_PAGES = [p for p in PAGES if console_blocks(p.read_text()) or python_blocks(p.read_text())]


@pytest.mark.parametrize("page", SESSION_PAGES, ids=[p.relative_to(ROOT).as_posix() for p in SESSION_PAGES])
def test_every_session_runs_as_shown(page: Path, demo_files, tmp_path):
    text, name = page.read_text(), page.relative_to(ROOT).as_posix()
    blocks, code_blocks = console_blocks(text, name), python_blocks(text)
    folder, setup_status, setup_output = demo_files
    for file in SETUP_FILES:
        shutil.copy(folder / file, tmp_path / file)
    failures = []
    for line, commands in blocks:
        for command, expected in commands:
            if command.startswith("make "):
                continue
            status, actual = ((setup_status, setup_output) if command == SETUP
                              else _run(command, tmp_path, in_process=page != README))
            wanted = list(expected)
            while wanted and not wanted[-1].strip():
                wanted.pop()
            failed = status not in (0, 2) or (status == 2) != any(l.startswith("Error: ") for l in wanted)
            if failed or not matches(wanted, actual):
                failures.append(f"{name}:{line} $ {command}\n  exit {status}\n--- {name}\n"
                                + "\n".join(wanted) + "\n--- actual\n" + "\n".join(actual))
    # the Python examples marked to run, in the folder the sessions above filled
    for line, code in code_blocks:
        done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_env(), capture_output=True,
                              text=True, timeout=300)
        if done.returncode != 0:
            failures.append(f"{name}:{line} Python block failed:\n{done.stderr[-2000:]}")
    assert not failures, "\n\n".join(failures)


def test_the_site_builds_strictly(tmp_path):
    """mkdocs build --strict: every page in the nav, no broken link, the API and CLI references render."""
    pytest.importorskip("mkdocs")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    nav = (ROOT / "mkdocs.yml").read_text()
    unlisted = [p.name for p in DOCS.glob("*.md") if p.name not in nav]
    assert unlisted == [], f"pages missing from mkdocs.yml's nav: {unlisted}"
    cli_page = (tmp_path / "site" / "cli" / "index.html").read_text()
    for command in ("split", "evaluate", "which-split", "threshold", "training", "compare", "curve"):
        assert f"bqml-tools {command}" in cli_page, command


def test_the_reference_pages_cover_the_public_api():
    """Every public name has its entry on the Python API page; every exception class is in the errors table."""
    import inspect

    import bqml_tools
    from bqml_tools import errors

    python_page = (DOCS / "python.md").read_text()
    missing = [name for name in bqml_tools.__all__ if f"::: bqml_tools.{name}\n" not in python_page]
    assert missing == [], f"add to docs/python.md: {missing}"
    errors_page = (DOCS / "errors.md").read_text()
    classes = [name for name, value in vars(errors).items()
               if inspect.isclass(value) and issubclass(value, errors.BqmlToolsError)]
    assert [c for c in classes if f"| `{c}`" not in errors_page] == []
