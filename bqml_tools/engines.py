"""Engines run rendered queries. The protocol is three members: ``dialect``, ``run``, ``dry_run``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from .errors import BadQuery, DestinationExists, QueryError, TableNotFound
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

    def __init__(self, connection: Any = None, *, database: str = ":memory:") -> None:
        self.connection = connection if connection is not None else connect_duckdb(database)
        if connection is not None:
            register_duckdb_once(connection)

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
            raise TableNotFound(f"DuckDB could not read a file in query {query.template}: {_first_line(error)}") from error
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

    def export(self, query: Query, path: str) -> None:
        """Write the query's rows to a Parquet or CSV file with DuckDB's COPY (streams, no pandas)."""
        fmt = "PARQUET" if path.lower().endswith((".parquet", ".pq")) else "CSV, HEADER"
        target = "'" + path.replace("'", "''") + "'"
        self._execute(f"COPY ({query.sql}) TO {target} (FORMAT {fmt})", query)


def register_duckdb_once(connection: Any) -> None:
    """Register farm_fingerprint on a caller's connection unless it already has it."""
    try:
        connection.execute("SELECT farm_fingerprint('')").fetchall()
    except Exception:  # noqa: BLE001 - any failure means it is not registered yet
        register_duckdb(connection)
