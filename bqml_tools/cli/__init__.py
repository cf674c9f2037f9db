"""``bqml-tools``: split and sample in the warehouse, the same on DuckDB and BigQuery.

Library errors become one line on stderr and exit status 2. One module per command (``split``,
``evaluate``, ...); ``params`` (parameter types), ``options`` (shared options), ``run`` (print the
SQL, dry-run it or run it), ``emit`` (printing results) and ``files`` (what the CLI writes).
"""
from __future__ import annotations

import os
import re
import sys
from typing import Sequence

import click

from ..errors import BqmlToolsError
from . import compare, curve, demo, diagnose, evaluate, fingerprint, split, threshold, training, which_split
from .params import Number
from .strict import StrictGroup

# Start-up stays fast: pandas, DuckDB, jinja2, numba and the BigQuery client are imported inside the
# commands that use them (tests/test_cli.py checks that --help loads none of them).
__all__ = ["Number", "cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             cls=StrictGroup)
@click.version_option(package_name="bqml-tools")
def cli() -> None:
    """Sample, split and evaluate inside BigQuery, and get the same answer on DuckDB.

    \b
    Examples:
      bqml-tools demo
      bqml-tools split my-project.ml.events --key user_id --dialect bigquery
      bqml-tools split events.parquet --key user_id --sample 1/70 --output sample.parquet
      bqml-tools fingerprint 1footrue
    """


# one module per command, each defining the command of its name (which_split: which-split)
for module in (compare, curve, demo, diagnose, evaluate, fingerprint, split, threshold, training, which_split):
    cli.add_command(getattr(module, module.__name__.rpartition(".")[2]))


def _refuse_undecodable(args: Sequence[str]) -> None:
    """Refuse an argument that is not UTF-8 (Python keeps its bytes as surrogates).

    BigQuery STRING values are UTF-8, so such bytes have no STRING fingerprint or split; hashing
    them as BYTES would silently disagree with the STRING a Latin-1 terminal user meant.
    """
    for arg in args:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            raw = os.fsencode(arg)
            raise BqmlToolsError(
                f"argument {raw!r} is not valid UTF-8 (BigQuery STRING values are UTF-8): use a UTF-8 "
                f"terminal, or hash the raw bytes as BYTES with `bqml-tools fingerprint --hex {raw.hex()}`"
            ) from None


def _one_line(message: str) -> str:
    """Every error is one line: click words some on several (``Choose from:\\n\\tregression,...``)."""
    return re.sub(r"\s*\n\s*", " ", message.strip())


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: clean one-line errors, exit status 2."""
    args = list(argv) if argv is not None else sys.argv[1:]
    try:
        _refuse_undecodable(args)
        cli.main(args=args, prog_name="bqml-tools", standalone_mode=False)
    except BqmlToolsError as error:
        click.echo(f"Error: {_one_line(error.in_cli_words())}", err=True)
        sys.exit(2)
    except OSError as error:  # the file system refused (permissions, disk full...): one line, not a traceback
        click.echo(f"Error: {_one_line(str(error))}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as error:
        hint = error.ctx.command_path + " --help" if getattr(error, "ctx", None) else "bqml-tools --help"
        click.echo(f"Error: {_one_line(error.format_message())} (see {hint})", err=True)
        sys.exit(error.exit_code)


if __name__ == "__main__":
    main()
