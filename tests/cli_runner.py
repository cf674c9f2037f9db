"""Run the command line in-process, as a user's shell would, for the CLI tests."""
from __future__ import annotations

from bqml_tools.cli import main


def run(capsys, *args) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``bqml-tools ARGS``; exit status 0 when main returns."""
    code = 0
    try:
        main(list(args))
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err
