"""--append-to TABLE_OR_FILE --model-name NAME (evaluate, compare): keep each result in a metrics history."""
from __future__ import annotations

from typing import Any, Mapping

import click

from ..errors import BqmlToolsError

history_options = [
    click.option("--append-to", default=None, metavar="TABLE_OR_FILE",
                 help="Append the result to a metrics history: a .parquet file, a DuckDB table (--database FILE) or "
                      "a BigQuery table (--engine bigquery), with when it ran, --model-name, the source, filters and "
                      "options; earlier rows are never lost (bqml_tools.plots.history draws it)."),
    click.option("--model-name", default=None, metavar="NAME", help="With --append-to: the model's name in the history."),
]


def check(append_to: str | None, model_name: str | None, engine_options: Mapping[str, Any]) -> bool:
    """Refuse a history option without the other, or a table that would not last; True when the engine must
    be able to write (a DuckDB table)."""
    if (append_to is None) != (model_name is None):
        raise BqmlToolsError("--append-to TABLE_OR_FILE and --model-name NAME go together: give both")
    if append_to is None:
        return False
    if engine_options["dialect"] is not None or engine_options["dry_run"]:
        raise BqmlToolsError("--append-to appends the result of a run: drop --dialect/--dry-run, or drop --append-to")
    if append_to.lower().endswith((".parquet", ".pq")):
        return False
    on_duckdb = (engine_options["engine_name"] or "duckdb") == "duckdb"
    if on_duckdb and engine_options["database"].startswith(":memory:"):
        raise BqmlToolsError(f"--append-to {append_to}: an in-memory DuckDB table is gone when the command ends; "
                             "give --database FILE, a .parquet file, or --engine bigquery")
    return on_duckdb


def append_result(frame: Any, spec: Any, *, append_to: str, model_name: str, command: str, source: str,
                  engine: Any, against: str | None = None) -> None:
    from ..evaluation import history

    rows = history.records(frame, spec, model_name=model_name, command=command, source=source, against=against)
    total = history.append(rows, append_to, engine)
    click.echo(f"appended {len(rows):,} row(s) of {model_name} to {append_to} ({total:,} in all)", err=True)
