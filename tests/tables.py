"""Put test data into an engine, the same way for every engine."""
from __future__ import annotations

import pandas as pd

from bqml_tools.engines import DuckDBEngine


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
    raise NotImplementedError(type(engine).__name__)
