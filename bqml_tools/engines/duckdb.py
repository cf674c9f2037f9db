"""The embedded DuckDB engine: connections with ``farm_fingerprint``, BigQuery-like result dtypes, exports."""
from __future__ import annotations

import os
import re
import secrets
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

from ..core.fingerprint import register_duckdb
from ..core.identifiers import frames_in
from ..core.options import refusal
from ..errors import BadQuery, BqmlToolsError, DestinationExists, EngineUnavailable, QueryError, TableNotFound
from ..sql.render import Query, as_query
from .base import DryRun
from .publish import output_format, publish

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


# Settings of the connections bqml_tools opens. memory_limit (DuckDB's own default is 80% of RAM): exact
# AUC sorts every row, and DuckDB spills past the limit instead of growing (evaluate's peak RSS: 10M rows
# ~0.7 GiB instead of 1.5 GiB, 100M rows ~0.85 GiB; see BENCHMARKS.md); raise it with SET memory_limit. No
# progress bar: DuckDB's Python client draws it on stdout, into the table or CSV a command prints.
DUCKDB_CONFIG = {"memory_limit": "500MB"}


def connect_duckdb(database: str = ":memory:", **kwargs: Any) -> Any:
    """A DuckDB connection with ``farm_fingerprint`` (bit-identical to BigQuery's) registered and
    ``DUCKDB_CONFIG`` applied where ``config`` does not say otherwise, and no progress bar."""
    import duckdb

    config = {**DUCKDB_CONFIG, **(kwargs.pop("config", None) or {})}
    if database == "" or database.startswith(":memory:"):
        # past memory_limit an in-memory database spills to ".tmp" in the working directory (a user's
        # project, or read-only: then the query fails); a private folder under the system's temporary
        # directory instead, which DuckDB creates only when it spills and removes when the connection closes
        import tempfile

        config.setdefault("temp_directory", os.path.join(tempfile.gettempdir(), f"bqml-tools-duckdb-{secrets.token_hex(8)}"))
    connection = duckdb.connect(database, config=config, **kwargs)
    try:
        connection.execute("SET enable_progress_bar = false")  # a session setting, refused in config
    except duckdb.Error:
        # In Jupyter without ipywidgets DuckDB refuses every progress-bar setting ("required package
        # 'ipywidgets' is missing"); it prints no bar into the notebook's output there anyway.
        pass
    return register_duckdb(connection)


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class DuckDBEngine:
    """Runs queries on an embedded DuckDB database (in memory by default)."""

    dialect = "duckdb"

    def __init__(self, connection: Any = None, *, database: str = ":memory:", read_only: bool = False) -> None:
        """``read_only=True`` opens an existing database file without ever creating or changing it."""
        self.database = database if connection is None or database != ":memory:" else None  # for messages
        if connection is None:
            connection = open_duckdb(database, read_only=read_only)
        else:
            register_duckdb_once(connection)
        self.connection = connection

    def _execute(self, sql: str, query: Query, fetch: Callable[[], Any] | None = None) -> Any:
        """Run ``sql`` and return all its rows (or what ``fetch()``, which runs it, returns) with the query's
        in-memory sources registered; the result is complete before they are unregistered."""
        if query.dialect != self.dialect:
            raise QueryError(f"query {query.template} was rendered for {query.dialect}, not duckdb")
        import duckdb

        try:
            with self._frames(sql, query):
                if fetch is not None:
                    return fetch()
                return self.connection.execute(sql, query.params or None).fetchall()
        except duckdb.CatalogException as error:
            if "already exists" in str(error):
                raise refusal(f"DuckDB: {_first_line(error)} (query {query.template}): pass [[replace]] "
                              "to overwrite it", error=DestinationExists) from error
            frame = re.search(r"_bqml_frame_[0-9]+", str(error))
            if frame and not frames_in(f'"{frame.group(0)}"'):
                raise TableNotFound(f"DuckDB: query {query.template} reads in-memory source {frame.group(0)}, "
                                    "which no longer exists: pass the DataFrame or Arrow table itself") from error
            raise TableNotFound(f"DuckDB: not found in query {query.template}: {_first_line(error)}") from error
        except duckdb.IOException as error:
            raise TableNotFound(f"DuckDB could not read a file in query {query.template}: "
                                f"{_unescape_glob(_first_line(error))}") from error
        except (duckdb.ParserException, duckdb.BinderException, duckdb.InvalidInputException,
                duckdb.ConversionException) as error:
            raise BadQuery(f"DuckDB rejected query {query.template}: {_first_line(error)}") from error
        except duckdb.Error as error:
            raise QueryError(f"DuckDB failed query {query.template}: {_first_line(error)}") from error

    @contextmanager
    def _frames(self, sql: str, query: Query) -> Iterator[None]:
        """Register the DataFrames / Arrow tables the statement names (``_bqml_frame_<n>``) for its run."""
        frames = frames_in(sql)
        if frames and _CREATES_VIEW.search(sql):
            raise BqmlToolsError(f"query {query.template} would store a view over an in-memory source, which is "
                                 "gone once the call returns: store a table instead (view=False)")
        import duckdb

        for name, frame in frames.items():
            try:
                self.connection.register(name, frame)
            except duckdb.NotImplementedException:  # e.g. db-dtypes columns (what run() returns): via Arrow
                import pyarrow as pa

                self.connection.register(name, pa.Table.from_pandas(frame, preserve_index=False))
        try:
            yield
        finally:
            for name in frames:
                self.connection.unregister(name)

    def run(self, query: Query | str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """The rows as a DataFrame with the dtypes google-cloud-bigquery's ``to_dataframe`` gives (see
        ``bigquery_dtypes``), so the same code reads results from either engine. ``query``: a rendered
        Query, or SQL text with named ``params`` (``$name``)."""
        query = as_query(query, self.dialect, params)
        def fetch() -> Any:
            relation = self.connection.sql(query.sql, params=query.params or None)
            to_arrow = getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table
            return to_arrow()

        return bigquery_dtypes(self._execute(query.sql, query, fetch))

    def dry_run(self, query: Query | str, params: Mapping[str, Any] | None = None) -> DryRun:
        """DuckDB plans the query (``DESCRIBE``) without reading data; it cannot estimate bytes."""
        query = as_query(query, self.dialect, params)
        rows = self._execute(f"DESCRIBE {query.sql}", query)
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
            raise refusal(f"output file {path} already exists: pass [[replace=True]] to overwrite it", error=DestinationExists)
        folder = os.path.dirname(os.path.abspath(path))
        # a fresh name DuckDB creates itself (mkstemp's 0600 mode would leak into the output file)
        temporary = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(8)}.tmp")
        try:
            target = "'" + temporary.replace("'", "''") + "'"
            self._execute(f"COPY ({query.sql}) TO {target} (FORMAT {fmt})", query)
            publish(temporary, path, replace)
        finally:
            if os.path.lexists(temporary):
                os.unlink(temporary)


_CREATES_VIEW = re.compile(r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?VIEW\b", re.IGNORECASE)


def _bigquery_arrow_type(kind: pa.DataType) -> pa.DataType:
    """The Arrow type google-cloud-bigquery would hand to pandas for a DuckDB result column of type ``kind``:
    BigQuery has one integer type (INT64), one float (FLOAT64), microsecond DATETIME and UTC TIMESTAMP."""
    import pyarrow as pa

    if pa.types.is_integer(kind):
        return pa.int64()
    if pa.types.is_decimal(kind) and kind.precision == 38 and kind.scale == 0:
        return pa.int64()  # how DuckDB hands over HUGEINT (SUM of BIGINT): BigQuery's SUM gives INT64
    if pa.types.is_floating(kind):
        return pa.float64()
    if pa.types.is_timestamp(kind):
        return pa.timestamp("us", tz="UTC" if kind.tz is not None else None)
    if pa.types.is_time(kind):
        return pa.time64("us")
    if pa.types.is_date(kind):
        return pa.date32()
    if pa.types.is_large_string(kind) or getattr(pa.types, "is_string_view", bool)(kind):
        return pa.string()
    return kind


def _fits_nanoseconds(column: Any) -> bool:
    import pyarrow as pa

    try:
        column.cast(pa.timestamp("ns"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def bigquery_dtypes(table: pa.Table) -> pd.DataFrame:
    """An Arrow result as google-cloud-bigquery 3.x's ``RowIterator.to_dataframe()`` converts it.

    INT64 (every DuckDB integer type, and HUGEINT as SUM returns it) -> ``Int64`` (nullable; a
    value beyond INT64 keeps its own type rather than wrap), BOOL -> ``boolean`` (nullable), FLOAT64 -> ``float64``,
    STRING -> pandas' string dtype (as pyarrow gives it), DATE -> ``dbdate``, TIME -> ``dbtime``
    (db-dtypes), DATETIME -> ``datetime64[us]``, TIMESTAMP -> ``datetime64[us, UTC]``, NUMERIC ->
    ``object`` (decimal.Decimal), ARRAY/STRUCT -> ``object``. Like the client, dates or timestamps
    outside pandas' nanosecond range come back as Python objects instead of failing.
    """
    import db_dtypes
    import pandas as pd
    import pyarrow as pa

    for i, column in enumerate(table.columns):
        wanted = _bigquery_arrow_type(column.type)
        if wanted != column.type:
            try:
                table = table.set_column(i, table.field(i).name, column.cast(wanted))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass  # a value INT64 cannot hold (UBIGINT, HUGEINT beyond 2^63): kept as it is, never wrapped
    dates = [c for c in table.columns if pa.types.is_date(c.type)]
    stamps = [c for c in table.columns if pa.types.is_timestamp(c.type)]
    date_as_object = not all(_fits_nanoseconds(c) for c in dates)
    mapped = {pa.bool_(): pd.BooleanDtype(), pa.int64(): pd.Int64Dtype(), pa.time64("us"): db_dtypes.TimeDtype()}
    if not date_as_object:
        mapped[pa.date32()] = db_dtypes.DateDtype()
    return table.to_pandas(date_as_object=date_as_object,
                           timestamp_as_object=not all(_fits_nanoseconds(c) for c in stamps),
                           integer_object_nulls=True, types_mapper=mapped.get)


def open_duckdb(database: str = ":memory:", read_only: bool = False) -> Any:
    """``connect_duckdb`` with one-line errors; a database file is only created when not ``read_only``."""
    import duckdb

    in_memory = database == "" or database.startswith(":memory:")
    if not in_memory:
        if os.path.splitext(database)[1].lower() in (".csv", ".tsv", ".parquet", ".pq", ".json"):
            raise refusal(f"[[database]] {database!r} is a data file, not a DuckDB database: pass it as "
                          "SOURCE instead", error=EngineUnavailable)
        folder = os.path.dirname(os.path.abspath(database))
        if not os.path.isdir(folder):
            raise refusal(f"[[database]] {database!r}: folder {folder} does not exist", error=EngineUnavailable)
        if read_only and not os.path.exists(database):
            raise refusal(f"[[database]] {database!r} does not exist: check the path (only commands that "
                          "store a table, like split [[destination]], create a database)", error=EngineUnavailable)
    try:
        return connect_duckdb(database, read_only=read_only and not in_memory)
    except duckdb.Error as error:
        raise refusal(f"[[database]] {database!r} could not be opened by DuckDB: {_first_line(error)}", error=EngineUnavailable) from None


def _unescape_glob(text: str) -> str:
    """A DuckDB message with the path as the user wrote it (the relation macro escapes [, * and ?)."""
    return text.replace("[[]", "[").replace("[*]", "*").replace("[?]", "?")


def register_duckdb_once(connection: Any) -> None:
    """Register farm_fingerprint on a caller's connection unless it already has it."""
    try:
        connection.execute("SELECT farm_fingerprint('')").fetchall()
    except Exception:  # noqa: BLE001 - any failure means it is not registered yet
        register_duckdb(connection)
