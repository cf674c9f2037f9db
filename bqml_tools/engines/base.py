"""The engine protocol, and the capabilities some calls need beyond it.

Every library call needs an ``Engine``: ``dialect`` (``"duckdb"`` or ``"bigquery"``: which SQL to render),
``run`` (a query's rows as a DataFrame) and ``dry_run`` (its schema, and the bytes it would process).
A few calls need more, each declared here as a capability and checked where it is used, so an engine
that lacks it is refused in one line naming it rather than failing half-way:

- ``CanExecute``: ``execute(query)`` runs a statement that returns no rows (``materialize``'s CREATE).
- ``CanExport``: ``export(query, path, replace=False)`` writes a query's rows to a file (``split --output``).
- ``HasConnection``: ``connection``, an open DuckDB connection (closed by ``split`` when it fails
  having created a database file).

Optional, read only to word messages when present: ``client`` (``client.project``, BigQuery),
``database`` (DuckDB's file) and ``max_bytes_billed`` (a dry run over the limit is refused).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Protocol, TypeVar, runtime_checkable

from ..errors import UnsupportedEngine

if TYPE_CHECKING:
    import pandas as pd

    from ..sql.render import Query


@dataclass(frozen=True)
class DryRun:
    """What an engine can say about a query without running it."""

    schema: dict[str, str]  # column name -> the engine's type name, in result order
    bytes_processed: int | None = None  # None where the engine cannot tell


@runtime_checkable
class Engine(Protocol):
    """What every library call needs of an engine."""

    dialect: str

    def run(self, query: Query | str, params: Mapping[str, Any] | None = None) -> pd.DataFrame: ...

    def dry_run(self, query: Query | str, params: Mapping[str, Any] | None = None) -> DryRun: ...


@runtime_checkable
class CanExecute(Protocol):
    """Runs a statement that returns no rows (CREATE TABLE/VIEW ... AS)."""

    def execute(self, query: Query) -> Any: ...


@runtime_checkable
class CanExport(Protocol):
    """Writes a query's rows to a local file, never over an existing one without ``replace``."""

    def export(self, query: Query, path: str, replace: bool = False) -> None: ...


@runtime_checkable
class HasConnection(Protocol):
    """Holds an open DuckDB connection."""

    connection: Any


@runtime_checkable
class HasClient(Protocol):
    """Holds a BigQuery client (its ``project`` words "table not found" messages)."""

    client: Any


@runtime_checkable
class HasDatabase(Protocol):
    """Names its DuckDB database file (or None), for messages."""

    database: str | None


@runtime_checkable
class HasBytesLimit(Protocol):
    """Refuses jobs that would bill more than ``max_bytes_billed`` bytes (None: no limit)."""

    max_bytes_billed: int | None


# What each capability needs, for the refusal.
NEEDS = {"Engine": "dialect, run(query) and dry_run(query)", "CanExecute": "execute(query)",
         "CanExport": "export(query, path, replace=False)", "HasConnection": "connection (a DuckDB connection)"}

E = TypeVar("E")


def require(engine: E, capability: type, what: str) -> E:
    """``engine`` if it has ``capability`` (a protocol above), else a one-line UnsupportedEngine error
    naming what ``what`` (the call) needs and the engines that have it."""
    if isinstance(engine, capability):
        return engine
    if capability is Engine:
        raise UnsupportedEngine(not_an_engine(engine, what))
    kind = type(engine).__name__
    raise UnsupportedEngine(f"{what} needs an engine with {NEEDS[capability.__name__]} ({capability.__name__}); "
                            f"{kind} has none: use DuckDBEngine or BigQueryEngine, or add it")


def not_an_engine(engine: Any, what: str) -> str:
    """The refusal of an object that is not an ``Engine``, for ``what`` (the call)."""
    return (f"engine must be an engine (DuckDBEngine, BigQueryEngine, or any object with {NEEDS['Engine']}), "
            f"not {type(engine).__name__}: {what} runs its queries on it")
