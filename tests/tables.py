"""Put test data into an engine, the same way for every engine."""
from __future__ import annotations

import base64
import datetime as dt
import decimal
import math
import re
import uuid
from contextlib import contextmanager
from typing import Iterator

import duckdb
import pandas as pd

from bqml_tools.engines import DuckDBEngine
from bqml_tools.sql.render import Query
from googlesql import GoogleSQLEngine

# GoogleSQL's reference implementation is an interpreter: a window costs about the square of its rows (a
# threshold search: 0.5 s on 100 rows, 7.5 s on 800) and intermediate results are capped at 128 MB. On it the
# tests' own table builders make at most GOOGLESQL_ROWS rows (the engine fixture sets the cap; every oracle is
# computed from the frame built, so expected results follow).
GOOGLESQL_ROWS = 300
_row_cap: list[int | None] = [None]


@contextmanager
def row_cap(rows: int | None) -> Iterator[None]:
    """Builders called inside make at most ``rows`` rows (None: as many as asked)."""
    _row_cap.append(rows)
    try:
        yield
    finally:
        _row_cap.pop()


def sized(n: int) -> int:
    """The rows a test table builder makes when asked for ``n``: ``n``, or the engine under test's cap."""
    cap = _row_cap[-1]
    return n if cap is None else min(n, cap)


_BQ_TYPES = {
    "BIGINT": "INT64", "INTEGER": "INT64", "SMALLINT": "INT64", "TINYINT": "INT64", "HUGEINT": "INT64",
    "UBIGINT": "INT64", "UINTEGER": "INT64", "DOUBLE": "FLOAT64", "FLOAT": "FLOAT64", "VARCHAR": "STRING",
    "BOOLEAN": "BOOL", "DATE": "DATE", "TIMESTAMP": "DATETIME", "TIMESTAMP_NS": "DATETIME",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP", "BLOB": "BYTES", "UUID": "STRING",
}


def _field(name: str, duck_type: str):
    from google.cloud import bigquery

    if duck_type.endswith("[]"):
        inner = duck_type[:-2]
        struct = re.fullmatch(r"STRUCT\((.*)\)", inner)
        if struct:
            fields = []
            for part in re.split(r",\s*", struct.group(1)):
                field_name, field_type = part.rsplit(" ", 1)
                fields.append(_field(field_name.strip('"'), field_type))
            return bigquery.SchemaField(name, "RECORD", mode="REPEATED", fields=fields)
        return bigquery.SchemaField(name, _BQ_TYPES[inner], mode="REPEATED")
    if duck_type.startswith("DECIMAL"):
        return bigquery.SchemaField(name, "NUMERIC")
    return bigquery.SchemaField(name, _BQ_TYPES[duck_type])


def _json(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (bytes, str)):
        return _json(value.item())
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    return value


def _load_bigquery(engine, name: str, frame: pd.DataFrame | None, sql: str | None, scratch=None) -> str:
    from google.cloud import bigquery

    scratch = scratch or duckdb.connect()
    if frame is not None:
        scratch.register("_frame", frame)
        relation = "SELECT * FROM _frame"
    else:
        relation = sql
    schema = [_field(row[0], row[1]) for row in scratch.execute(f"DESCRIBE {relation}").fetchall()]
    columns = [f.name for f in schema]
    rows = [{c: _json(v) for c, v in zip(columns, row)} for row in scratch.execute(relation).fetchall()]
    client = engine.client
    dataset, _, table = name.rpartition(".")
    client.create_dataset(dataset, exists_ok=True)
    table_id = f"{client.project}.{dataset}.{table}"
    client.delete_table(table_id, not_found_ok=True)
    client.create_table(bigquery.Table(table_id, schema=schema))
    for start in range(0, len(rows), 5000):
        errors = client.insert_rows_json(table_id, rows[start:start + 5000])
        assert not errors, errors[:3]
    return name


def _googlesql_type(duck_type: str) -> str:
    """A DuckDB column type as the GoogleSQL type the emulator's loading gives it (see ``_field``)."""
    if duck_type.endswith("[]"):
        inner = duck_type[:-2]
        struct = re.fullmatch(r"STRUCT\((.*)\)", inner)
        if struct:
            fields = [part.rsplit(" ", 1) for part in re.split(r",\s*", struct.group(1))]
            return "ARRAY<STRUCT<" + ", ".join(f"{n.strip(chr(34))} {_googlesql_type(t)}" for n, t in fields) + ">>"
        return f"ARRAY<{_BQ_TYPES[inner]}>"
    if duck_type.startswith("DECIMAL"):
        return "NUMERIC"
    return _BQ_TYPES[duck_type]


def _load_googlesql(engine, name: str, frame: pd.DataFrame | None, sql: str | None, scratch=None) -> str:
    scratch = scratch or duckdb.connect()
    if frame is not None:
        scratch.register("_frame", frame)
        relation = "SELECT * FROM _frame"
    else:
        relation = sql
    columns = {row[0]: _googlesql_type(row[1]) for row in scratch.execute(f"DESCRIBE {relation}").fetchall()}
    return engine.create_table(name, columns, scratch.execute(relation).fetchall())


def create_table_as(engine, name: str, select: str) -> str:
    """Create table ``name`` (``dataset.table``) as the rows of ``select``, written in the engine's dialect
    (exact values: NaN and infinities stay what they are)."""
    dataset, _, table = name.rpartition(".")
    if isinstance(engine, DuckDBEngine):
        engine.connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{dataset}"')
        engine.connection.execute(f'CREATE OR REPLACE TABLE "{dataset}"."{table}" AS {select}')
        return name
    target = f"{engine.client.project}.{dataset}.{table}"
    if isinstance(engine, GoogleSQLEngine):
        engine.execute(Query("create_table_as", "bigquery", f"CREATE OR REPLACE TABLE `{target}` AS {select}"))
        return name
    engine.client.create_dataset(dataset, exists_ok=True)
    engine.client.query(f"CREATE OR REPLACE TABLE `{target}` AS {select}").result()
    return name


def load(engine, name: str, frame: pd.DataFrame | None = None, *, sql: str | None = None) -> str:
    """Create table ``name`` (``dataset.table``) from a DataFrame or a DuckDB SELECT; return the name."""
    if isinstance(engine, DuckDBEngine):
        schema, _, table = name.rpartition(".")
        con = engine.connection
        if schema:
            con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        target = f'"{schema}"."{table}"' if schema else f'"{table}"'
        if frame is not None:
            con.register("_frame", frame)
            con.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM _frame")
            con.unregister("_frame")
        else:
            con.execute(f"CREATE OR REPLACE TABLE {target} AS {sql}")
        return name
    if isinstance(engine, GoogleSQLEngine):
        return _load_googlesql(engine, name, frame, sql)
    return _load_bigquery(engine, name, frame, sql)


def load_from_connection(engine, name: str, connection, select_sql: str) -> str:
    """Copy a SELECT on a DuckDB connection into ``name`` on ``engine``, keeping column types."""
    if isinstance(engine, DuckDBEngine):
        frame = connection.sql(select_sql).to_arrow_table()
        schema, _, table = name.rpartition(".")
        engine.connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        engine.connection.register("_arrow", frame)
        engine.connection.execute(f'CREATE OR REPLACE TABLE "{schema}"."{table}" AS SELECT * FROM _arrow')
        engine.connection.unregister("_arrow")
        return name
    if isinstance(engine, GoogleSQLEngine):
        return _load_googlesql(engine, name, None, select_sql, scratch=connection)
    return _load_bigquery(engine, name, None, select_sql, scratch=connection)
