"""What an engine says about a source before reading it: its schema, or a one-line error naming it."""
from __future__ import annotations

import os

from ..core import identifiers
from ..core.options import refusal
from ..errors import BqmlToolsError, TableNotFound
from ..sql.render import render
from .base import Engine, HasClient, HasDatabase, require


def source_schema(engine: Engine, source: identifiers.Source) -> dict[str, str]:
    """Column -> engine type of ``source``, from a dry run (reads no data).

    Every command reads its source's schema here first, so a missing or empty file and a missing table
    are one line naming them (the engine's own words stay in the exception's ``__cause__``).
    """
    require(engine, Engine, f"reading the schema of {source}")
    if engine.dialect == "duckdb":
        check_file(source)
    query = render("select_all.sql", engine.dialect, src=source)
    try:
        return engine.dry_run(query).schema
    except TableNotFound as error:
        if source.is_frame:
            raise
        raise refusal(missing_source(engine, source, error), error=TableNotFound) from error


def check_file(source: identifiers.Source) -> None:
    """A local file source exists, is a file and is not empty (DuckDB would read 0 bytes of CSV as
    one column named column0)."""
    path = source.path
    if path is None or "://" in path:  # a table, or a URL DuckDB reads itself
        return
    if not os.path.exists(path):
        raise TableNotFound(f"file {path} does not exist: check the path (it is read as written, with no "
                            "wildcards)")
    if os.path.isdir(path):
        raise TableNotFound(f"{path} is a folder: give a .csv or .parquet file")
    if os.path.getsize(path) == 0:
        raise BqmlToolsError(f"file {path} is empty (0 bytes): it has no columns and no rows")


def missing_source(engine: Engine, source: identifiers.Source, error: TableNotFound) -> str:
    """What the engine could not find, in the user's terms (no template name), in core.options' two voices."""
    if source.is_file:  # it exists (check_file): DuckDB could not read it
        detail = str(error).split(": ", 1)[-1]
        return f"DuckDB could not read file {source.path}: {detail}"
    if engine.dialect == "bigquery":
        project = getattr(engine.client, "project", None) if isinstance(engine, HasClient) else None
        where = f" (in project {project})" if len(source.parts) < 3 and project else ""
        return (f"BigQuery table {source}{where} not found (or no permission to read it): check the name, "
                "[[project]] and [[location]]")
    database = engine.database if isinstance(engine, HasDatabase) else None
    return (f"table {source} is not in the DuckDB database {database or 'of the connection given'} (give a "
            ".csv/.parquet path, or [[database=]])")
