"""Engines run rendered queries. The protocol is three members: ``dialect``, ``run``, ``dry_run``."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from .errors import BadQuery, BqmlToolsError, DestinationExists, EngineUnavailable, QueryError, TableNotFound
from .fingerprint import register_duckdb
from .templates import Query


@dataclass(frozen=True)
class DryRun:
    """What an engine can say about a query without running it."""

    schema: dict[str, str]  # column name -> the engine's type name, in result order
    bytes_processed: int | None = None  # None where the engine cannot tell


@runtime_checkable
class Engine(Protocol):
    dialect: str

    def run(self, query: Query) -> pd.DataFrame: ...

    def dry_run(self, query: Query) -> DryRun: ...


def connect_duckdb(database: str = ":memory:", **kwargs: Any) -> Any:
    """A DuckDB connection with ``farm_fingerprint`` (bit-identical to BigQuery's) registered."""
    import duckdb

    return register_duckdb(duckdb.connect(database, **kwargs))


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class DuckDBEngine:
    """Runs queries on an embedded DuckDB database (in memory by default)."""

    dialect = "duckdb"

    def __init__(self, connection: Any = None, *, database: str = ":memory:", read_only: bool = False) -> None:
        """``read_only=True`` opens an existing database file without ever creating or changing it."""
        if connection is None:
            connection = open_duckdb(database, read_only=read_only)
        else:
            register_duckdb_once(connection)
        self.connection = connection

    def _execute(self, sql: str, query: Query) -> Any:
        if query.dialect != self.dialect:
            raise QueryError(f"query {query.template} was rendered for {query.dialect}, not duckdb")
        import duckdb

        try:
            return self.connection.execute(sql, query.params or None)
        except duckdb.CatalogException as error:
            if "already exists" in str(error):
                raise DestinationExists(f"DuckDB: {_first_line(error)} (query {query.template}): pass --replace "
                                        "to overwrite it") from error
            raise TableNotFound(f"DuckDB: not found in query {query.template}: {_first_line(error)}") from error
        except duckdb.IOException as error:
            raise TableNotFound(f"DuckDB could not read a file in query {query.template}: "
                                f"{_unescape_glob(_first_line(error))}") from error
        except (duckdb.ParserException, duckdb.BinderException, duckdb.InvalidInputException,
                duckdb.ConversionException) as error:
            raise BadQuery(f"DuckDB rejected query {query.template}: {_first_line(error)}") from error
        except duckdb.Error as error:
            raise QueryError(f"DuckDB failed query {query.template}: {_first_line(error)}") from error

    def run(self, query: Query) -> pd.DataFrame:
        return self._execute(query.sql, query).df()

    def dry_run(self, query: Query) -> DryRun:
        """DuckDB plans the query (``DESCRIBE``) without reading data; it cannot estimate bytes."""
        rows = self._execute(f"DESCRIBE {query.sql}", query).fetchall()
        return DryRun(schema={row[0]: row[1] for row in rows}, bytes_processed=None)

    def execute(self, query: Query) -> None:
        """Run a statement that returns no rows (DDL)."""
        self._execute(query.sql, query)

    def export(self, query: Query, path: str, replace: bool = False) -> None:
        """Write the query's rows to a Parquet, CSV or TSV file with DuckDB's COPY (streams, no pandas).

        The rows go to a temporary file next to ``path`` that is renamed only when COPY succeeded,
        so a failed or interrupted run never leaves a partial file and never damages a good one.
        An existing ``path`` is refused unless ``replace`` (checked again atomically at the rename,
        so two runs racing for the same new file cannot both win).
        """
        fmt = output_format(path)
        if not replace and os.path.lexists(path):
            raise DestinationExists(f"output file {path} already exists: pass --replace to overwrite it")
        folder = os.path.dirname(os.path.abspath(path))
        # a fresh name DuckDB creates itself (mkstemp's 0600 mode would leak into the output file)
        temporary = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(8)}.tmp")
        try:
            target = "'" + temporary.replace("'", "''") + "'"
            self._execute(f"COPY ({query.sql}) TO {target} (FORMAT {fmt})", query)
            _publish(temporary, path, replace)
        finally:
            if os.path.lexists(temporary):
                os.unlink(temporary)


# COPY options per output suffix; anything else is refused rather than silently written as CSV.
OUTPUT_FORMATS = {".parquet": "PARQUET", ".pq": "PARQUET", ".csv": "CSV, HEADER", ".tsv": "CSV, HEADER, DELIMITER '\t'"}


def output_format(path: str) -> str:
    """The COPY format for ``path``'s suffix, or a one-line error listing the accepted suffixes."""
    fmt = OUTPUT_FORMATS.get(os.path.splitext(path)[1].lower())
    if fmt is None:
        raise BqmlToolsError(f"output file {path!r} has an unknown suffix: write {', '.join(OUTPUT_FORMATS)}")
    return fmt


def _publish(temporary: str, path: str, replace: bool) -> None:
    """Move the finished file into place: os.replace, or a hard link that fails if ``path`` appeared."""
    if replace:
        os.replace(temporary, path)
        return
    try:
        os.link(temporary, path)  # atomic no-clobber: FileExistsError when another run got there first
    except FileExistsError:
        raise DestinationExists(f"output file {path} already exists: pass --replace to overwrite it") from None
    except OSError:  # a file system without hard links: the check above is the best we can do
        if os.path.lexists(path):
            raise DestinationExists(f"output file {path} already exists: pass --replace to overwrite it") from None
        os.replace(temporary, path)


def open_duckdb(database: str = ":memory:", read_only: bool = False) -> Any:
    """``connect_duckdb`` with one-line errors; a database file is only created when not ``read_only``."""
    import duckdb

    in_memory = database == "" or database.startswith(":memory:")
    if not in_memory:
        if os.path.splitext(database)[1].lower() in (".csv", ".tsv", ".parquet", ".pq", ".json"):
            raise EngineUnavailable(f"--database {database!r} is a data file, not a DuckDB database: pass it as "
                                    "SOURCE instead")
        folder = os.path.dirname(os.path.abspath(database))
        if not os.path.isdir(folder):
            raise EngineUnavailable(f"--database {database!r}: folder {folder} does not exist")
        if read_only and not os.path.exists(database):
            raise EngineUnavailable(f"--database {database!r} does not exist: check the path (only commands that "
                                    "store a table, like split --destination, create a database)")
    try:
        return connect_duckdb(database, read_only=read_only and not in_memory)
    except duckdb.Error as error:
        raise EngineUnavailable(f"--database {database!r} could not be opened by DuckDB: {_first_line(error)}") from None


def _unescape_glob(text: str) -> str:
    """A DuckDB message with the path as the user wrote it (the relation macro escapes [, * and ?)."""
    return text.replace("[[]", "[").replace("[*]", "*").replace("[?]", "?")


def register_duckdb_once(connection: Any) -> None:
    """Register farm_fingerprint on a caller's connection unless it already has it."""
    try:
        connection.execute("SELECT farm_fingerprint('')").fetchall()
    except Exception:  # noqa: BLE001 - any failure means it is not registered yet
        register_duckdb(connection)
