"""The one way every command runs a statement: print its SQL (--dialect), dry-run it (--dry-run), or run it.

Also the engines the CLI makes: DuckDB (read-only unless the command stores a table) or BigQuery.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Callable, Mapping

import click

from ..errors import READ_LESS, BqmlToolsError


def duckdb_engine(database: str, writes: bool = False) -> Any:
    """Only a command that stores a table (``writes``) may create or change the database file."""
    from ..engines.duckdb import DuckDBEngine

    return DuckDBEngine(database=database, read_only=not writes)


def readable(source: str, database: str) -> bool:
    """Whether DuckDB can see ``source`` (a file, or a table in an existing database), to check its schema."""
    from ..core.identifiers import QUERY

    if QUERY.match(source):  # a query: an in-memory DuckDB describes it (reading any file it names)
        return True
    if source.lower().endswith((".csv", ".parquet", ".pq", ".tsv")):
        return os.path.exists(source)
    return database != ":memory:" and os.path.exists(database)


def make_engine(engine_name: str | None, database: str, project: str | None, location: str | None,
                api_endpoint: str | None, max_bytes_billed: int | None, progress: bool | None,
                timeout: float = 600.0, writes: bool = False, job_labels: Mapping[str, str] | None = None,
                batch: bool = False, **_: Any) -> Any:
    """The engine of --engine: DuckDB (read-only unless ``writes``) or BigQuery (anonymous with --api-endpoint)."""
    if (engine_name or "duckdb") == "duckdb":
        return duckdb_engine(database, writes=writes)
    from ..engines.bigquery import BigQueryEngine

    credentials = None
    if api_endpoint:
        from google.auth.credentials import AnonymousCredentials

        credentials = AnonymousCredentials()
    return BigQueryEngine(project=project, location=location, credentials=credentials,
                          client_options={"api_endpoint": api_endpoint} if api_endpoint else None,
                          max_bytes_billed=max_bytes_billed, labels=job_labels or None,
                          priority="BATCH" if batch else "INTERACTIVE",
                          progress=sys.stderr.isatty() if progress is None else progress,
                          use_storage_api=not api_endpoint, timeout=timeout)


def schema_reader(source: str, dialect: str, options: dict[str, Any]) -> Any:
    """The engine that can read the source's schema while printing SQL, if any."""
    if options.get("engine_name") == "bigquery" and dialect == "bigquery":
        return make_engine(**options)
    if dialect == "duckdb" or source.lower().endswith((".csv", ".parquet", ".pq", ".tsv")):
        if not readable(source, options["database"]):
            return None
        database = options["database"]  # printing SQL never creates, nor fails for, a missing database
        return duckdb_engine(database if database.startswith(":memory:") or os.path.exists(database) else ":memory:")
    return None


def dry_run(engine: Any, query: Any) -> None:
    """Dry-run every job ``query`` stands for (a Query, or the list of the jobs a command runs), print the
    bytes each would process and, for several, their total; refuse past --max-bytes-billed, which caps
    the command's total."""
    queries = list(query) if isinstance(query, (list, tuple)) else [query]
    sizes = []
    for one in queries:
        result = engine.dry_run(one)
        sizes.append(result.bytes_processed)
        size = "an unknown number of" if result.bytes_processed is None else f"{result.bytes_processed:,}"
        note = " (DuckDB cannot estimate bytes)" if result.bytes_processed is None else ""
        click.echo(f"dry run: {one.template} is valid on {engine.dialect}; it would process {size} bytes{note}")
    known = None if any(s is None for s in sizes) else sum(sizes)
    if len(queries) > 1:
        total = "an unknown number of" if known is None else f"{known:,}"
        click.echo(f"dry run: {len(queries)} jobs in all; they would process {total} bytes")
    from ..engines.base import HasBytesLimit

    limit = engine.max_bytes_billed if isinstance(engine, HasBytesLimit) else None
    if limit is not None and known is not None and known > limit:
        what = queries[0].template if len(queries) == 1 else f"the command's {len(queries)} jobs"
        raise BqmlToolsError(f"{what} would process {known:,} bytes, more than --max-bytes-billed {limit:,} "
                             "(it caps the command's total): raise the limit, or read less: " + READ_LESS)


def run_only(engine_options: Mapping[str, Any], **flags: str | None) -> None:
    """Refuse, with --dialect or --dry-run, each given option that only a run uses: ``flags`` maps the
    option (``metrics`` for ``--metrics``) to what it does (``"chooses the printed columns"``), or None
    when the option is not given."""
    if engine_options["dialect"] is None and not engine_options["dry_run"]:
        return
    for name, what in flags.items():
        if what is not None:
            flag = "--" + name.replace("_", "-")
            raise BqmlToolsError(f"{flag} {what} of a run: drop --dialect/--dry-run, or drop {flag}")


def statement(source: str, engine_options: Mapping[str, Any], render: Callable[[str, Any, bool], Any], *,
              writes: bool = False) -> Any | None:
    """Print, dry-run or prepare to run the statement ``render(dialect, engine, inline)`` returns.

    With --dialect: print the SQL (reading the source's schema where an engine can), return None; with
    --check, analyzed first by GoogleSQL's analyzer against --schema (cli/check.py).
    With --dry-run: validate it on the engine and print the bytes it would process, return None.
    Otherwise: return the engine to run it on (``writes``: the command stores a table).
    ``render`` may return a Query, the text to print (several statements) or, to dry-run, the list of
    every job the command runs."""
    from . import check

    check.refuse_misuse(engine_options)
    dialect = engine_options["dialect"]
    if dialect is not None:
        analyzer = check.analyzer(source, engine_options)  # --check: also the schema reader
        query = render(dialect, analyzer or schema_reader(source, dialect, dict(engine_options)), True)
        printed = query if isinstance(query, str) else query.sql
        if analyzer is not None:
            check.check(analyzer, printed)
        click.echo(printed, nl=False)
        return None
    engine = make_engine(**engine_options, writes=writes and not engine_options["dry_run"])
    if engine_options["dry_run"]:
        dry_run(engine, render(engine.dialect, engine, False))
        return None
    return engine
