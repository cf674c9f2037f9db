"""``--check``: the printed BigQuery SQL analyzed by GoogleSQL's own analyzer, offline, before it is pasted.

The source's columns come from ``--schema`` (COLUMN:TYPE,... or a JSON schema file as ``bq show --schema``
writes it; for a query SOURCE, the columns of the one table it reads). The analyzer is also the rendering's
schema reader, so the printed SQL is the one that knows the source's types, and is the one checked. Needs the
``check`` extra (``zetasql``).
"""
from __future__ import annotations

import os
from typing import Any, Mapping

import click

from ..errors import BqmlToolsError

CHECK_HELP = ('With --dialect bigquery: analyze the printed SQL with GoogleSQL\'s own analyzer, offline, against '
              '--schema, before printing it (pip install "bqml-tools[check]"; the first use compiles the '
              'analyzer, about a minute, then it is cached).')
SCHEMA_HELP = ("With --check: the source's columns (of a query SOURCE, the one table it reads), "
               "COLUMN:TYPE,... (user_id:INT64,label:BOOL) or a JSON file as "
               "`bq show --schema --format=json PROJECT:DATASET.TABLE > schema.json` writes it.")


def refuse_misuse(options: Mapping[str, Any]) -> None:
    """--check only with --dialect bigquery; --schema only with --check."""
    check, schema, dialect = options.get("check"), options.get("schema"), options.get("dialect")
    if schema is not None and not check:
        raise BqmlToolsError("--schema is read by --check: add --check (with --dialect bigquery)")
    if check and dialect != "bigquery":
        raise BqmlToolsError(f"--check analyzes the BigQuery SQL a command prints: use it with --dialect bigquery"
                             f"{'' if dialect is None else f', not --dialect {dialect}'}")


NEEDS_SCHEMA = ("--check needs the source's columns: --schema COLUMN:TYPE,... or --schema FILE.json "
                "(bq show --schema --format=json PROJECT:DATASET.TABLE > FILE.json)")


def analyzer(source: str, options: Mapping[str, Any]) -> Any | None:
    """With --check: GoogleSQL's analyzer with the source's table (``--schema``: SOURCE's columns, or those of
    the one table a query SOURCE reads), started (saying so on stderr when it compiles first); else None."""
    if not options.get("check"):
        return None
    from ..core.identifiers import source as parsed
    from ..engines import googlesql

    spec, is_query = options.get("schema"), parsed(source).is_query
    if spec is None and not is_query:
        raise BqmlToolsError(NEEDS_SCHEMA)
    columns = read_schema(spec) if spec is not None else None
    if not googlesql.compiled():
        click.echo(f"note: compiling GoogleSQL's analyzer for --check (once, about a minute; cached in "
                   f"{googlesql.cache_directory()})", err=True)
    engine = googlesql.GoogleSQLAnalyzer(googlesql.start(), project=options.get("project") or "my-project")
    if is_query:
        engine.add_models_read(source)  # training --model: ML.TRAINING_INFO(MODEL m)
    tables = sorted(set(engine.tables_read(source))) if is_query else [source]
    if len(tables) > 1:
        raise BqmlToolsError(f"--check with a query SOURCE: --schema describes one table, and it reads {len(tables)} "
                             f"({', '.join(tables)}): check a query of one table, or run --dry-run on BigQuery")
    if tables and columns is None:
        raise BqmlToolsError(NEEDS_SCHEMA.replace("the source's columns", f"the columns of {tables[0]}"))
    if not tables and columns is not None:
        raise BqmlToolsError("--check: the query SOURCE reads no table (only BigQuery ML functions): drop --schema")
    if tables:
        engine.add_table(tables[0], columns)
    return engine


def read_schema(spec: str) -> dict[str, Any]:
    """--schema: COLUMN:TYPE,... or a JSON schema file, as column -> TypeProto."""
    from ..engines.googlesql_types import schema_from_json, schema_from_text

    if not (spec.lower().endswith(".json") or os.path.isfile(spec)):
        return schema_from_text(spec)
    try:
        with open(spec, encoding="utf-8") as handle:
            return schema_from_json(handle.read(), f"--schema {spec}")
    except OSError as error:
        raise BqmlToolsError(f"--schema {spec}: {error.strerror or error}: give a JSON schema file or "
                             "COLUMN:TYPE,...") from None


def check(engine: Any, printed: str) -> None:
    """Analyze what the command would print; a refusal is one line naming the analyzer's message and line."""
    engine.check_script(printed)
