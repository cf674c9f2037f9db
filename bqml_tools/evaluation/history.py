"""A metrics history: each evaluate or compare result appended, in long form, to a Parquet file, a DuckDB
table or a BigQuery table, so that a model's metrics can be watched over time (``bt.plots.history``).

One row per (group, metric): ``run_at`` (UTC), ``model_name``, ``command`` (evaluate or compare),
``task``, ``source``, ``filters`` (the --where filters, as text), ``options`` (JSON: every option that
changes the numbers: label, score or prediction, positive, threshold, weight, auc mode, against, ...),
``group_key`` (JSON of the --by values, ``{}`` without groups), ``metric``, ``value`` and, with an
interval, ``lower`` and ``upper`` (compare: the difference against - first and its interval). The long
form keeps one schema for every task and command, so that one history holds them all.

Appends never lose earlier rows: a Parquet file is read, concatenated and written to a temporary file
that replaces it atomically (engines.publish); a table gets an INSERT (DuckDB) or a streaming insert
(BigQuery) after its columns are checked. A history of another shape is a one-line error.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from typing import Any, Mapping, Sequence

import pandas as pd

from ..core import identifiers
from ..engines.base import Engine
from ..core.options import refusal
from ..errors import BqmlToolsError
from .spec import EvalSpec

COLUMNS = {"run_at": "TIMESTAMP", "model_name": "STRING", "command": "STRING", "task": "STRING",
           "source": "STRING", "filters": "STRING", "options": "STRING", "group_key": "STRING",
           "metric": "STRING", "value": "FLOAT64", "lower": "FLOAT64", "upper": "FLOAT64"}
_DUCKDB_TYPES = {"TIMESTAMP": "TIMESTAMP WITH TIME ZONE", "STRING": "VARCHAR", "FLOAT64": "DOUBLE"}
# Options that change the numbers (EvalSpec fields), recorded in ``options``.
_OPTIONS = ("label", "prediction", "score", "probs", "positive", "threshold", "top_k", "invalid", "auc",
            "bins_per_logit", "zero_division", "weight", "ci", "key", "partitions")


def records(frame: pd.DataFrame, spec: EvalSpec, *, model_name: str, command: str, source: Any,
            against: str | None = None, run_at: dt.datetime | None = None) -> pd.DataFrame:
    """The history rows of one result (evaluate's metrics frame, or compare's rows per metric)."""
    if not isinstance(model_name, str) or not model_name.strip() or not model_name.isprintable():
        raise refusal(f"[[model_name]] {model_name!r} must be printable text, e.g. churn-v2")
    when = run_at or dt.datetime.now(dt.timezone.utc)
    options = {name: _plain(getattr(spec, name)) for name in _OPTIONS if getattr(spec, name) not in (None, ())}
    if spec.task == "binary" and command == "evaluate":
        options["threshold"] = 0.5 if spec.threshold is None else float(spec.threshold)  # the default is a number too
    if against is not None:
        options["against"] = against
    common = {"run_at": when, "model_name": model_name, "command": command, "task": spec.task,
              "source": str(source if isinstance(source, identifiers.Source) else identifiers.source(source)),
              "filters": " AND ".join(f"{c} = {v!r}" for c, v in spec.where),
              "options": json.dumps(options, sort_keys=True)}
    metric_columns = [c for c in frame.columns if c not in spec.by and not c.endswith(("_lower", "_upper"))
                      and pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]
    rows = []
    for _, row in frame.iterrows():
        group = json.dumps({c: _plain(row[c]) for c in spec.by}, sort_keys=True, default=str)
        if command == "compare":
            rows.append({**common, "group_key": group, "metric": row["metric"], "value": _number(row["difference"]),
                         "lower": _number(row["lower"]), "upper": _number(row["upper"])})
            continue
        for column in metric_columns:
            rows.append({**common, "group_key": group, "metric": column, "value": _number(row[column]),
                         "lower": _number(row.get(f"{column}_lower")), "upper": _number(row.get(f"{column}_upper"))})
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    out["run_at"] = pd.to_datetime(out["run_at"], utc=True)
    for column in ("value", "lower", "upper"):
        out[column] = out[column].astype("float64")
    return out


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return list(value) if isinstance(value, tuple) else value


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    return float(_plain(value))


def append(rows: pd.DataFrame, destination: str, engine: Engine | None = None) -> int:
    """Append ``rows`` (``records``) to ``destination``: a .parquet file, or a table on ``engine`` (DuckDB or
    BigQuery). Returns the number of rows the history holds now."""
    if destination.lower().endswith((".parquet", ".pq")):
        return _append_parquet(rows, destination)
    if engine is None:
        raise refusal(f"[[destination|append-to]] {destination}: a table needs an engine (or give a .parquet file)")
    table = identifiers.source(destination)
    if table.is_file or table.is_query or table.is_frame:
        raise refusal(f"[[destination|append-to]] {destination}: give a table name or a .parquet file")
    if engine.dialect == "duckdb":
        return _append_duckdb(rows, table, engine)
    return _append_bigquery(rows, table, engine)


def _mismatch(destination: str, found: Sequence[str]) -> BqmlToolsError:
    return refusal(f"[[destination|append-to]] {destination} is not a bqml_tools metrics history: it has columns "
                          f"{', '.join(found)}, a history has {', '.join(COLUMNS)}; append to another file or table")


def _append_parquet(rows: pd.DataFrame, path: str) -> int:
    from ..engines.publish import publish

    combined = rows
    if os.path.exists(path):
        try:
            earlier = pd.read_parquet(path)
        except Exception as error:  # not Parquet, or truncated: never replaced
            raise refusal(f"[[destination|append-to]] {path} cannot be read as Parquet ({type(error).__name__}): it is left "
                                 "as it is; append to another file") from None
        if list(earlier.columns) != list(COLUMNS):
            raise _mismatch(path, list(earlier.columns))
        earlier["run_at"] = pd.to_datetime(earlier["run_at"], utc=True)
        combined = pd.concat([earlier, rows], ignore_index=True)
    folder, name = os.path.split(os.path.abspath(path))
    temporary = os.path.join(folder, f".{name}.{secrets.token_hex(8)}.tmp")
    try:
        combined.to_parquet(temporary, index=False)
        publish(temporary, path, replace=True)  # atomic: a reader sees the old file or the new, never half
    finally:
        if os.path.lexists(temporary):
            os.unlink(temporary)
    return len(combined)


def _append_duckdb(rows: pd.DataFrame, table: identifiers.Source, engine: Any) -> int:
    connection = engine.connection
    name = ".".join(f'"{p}"' for p in table.parts)
    if len(table.parts) > 1:
        connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{table.parts[-2]}"').fetchall()
    columns = ", ".join(f'"{c}" {_DUCKDB_TYPES[t]}' for c, t in COLUMNS.items())
    connection.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})").fetchall()
    found = [r[0] for r in connection.execute(f"DESCRIBE {name}").fetchall()]
    if found != list(COLUMNS):
        raise _mismatch(str(table), found)
    connection.register("_bqml_history_rows", rows)
    try:
        connection.execute(f"INSERT INTO {name} SELECT * FROM _bqml_history_rows").fetchall()
    finally:
        connection.unregister("_bqml_history_rows")
    # fetchall: every result is read to its end, so that the connection is free for the next statement
    return int(connection.execute(f"SELECT COUNT(*) FROM {name}").fetchall()[0][0])


def _append_bigquery(rows: pd.DataFrame, table: identifiers.Source, engine: Any) -> int:
    from google.cloud import bigquery

    from ..engines.base import HasClient, require

    client = require(engine, HasClient, "--append-to a BigQuery table").client
    table_id = ".".join(table.parts) if len(table.parts) == 3 else f"{client.project}.{'.'.join(table.parts)}"
    schema = [bigquery.SchemaField(c, t, mode="REQUIRED" if c in ("run_at", "metric") else "NULLABLE")
              for c, t in COLUMNS.items()]
    existing = client.create_table(bigquery.Table(table_id, schema=schema), exists_ok=True)
    found = [f.name for f in existing.schema]
    if found != list(COLUMNS):
        raise _mismatch(str(table), found)
    payload = [{c: (v.isoformat() if isinstance(v, (pd.Timestamp, dt.datetime)) else None if v != v else v)
                for c, v in row.items()} for row in rows.astype(object).to_dict("records")]
    errors = client.insert_rows_json(table_id, payload)
    if errors:
        raise refusal(f"[[destination|append-to]] {table}: BigQuery refused {len(errors)} row(s): {errors[0]}")
    counted = engine.run(f"SELECT COUNT(*) AS n FROM `{table_id}`")  # streamed rows are visible to queries at once
    return int(counted["n"][0])


def read(source: str, engine: Engine | None = None) -> pd.DataFrame:
    """A history back as a DataFrame (a .parquet file, or a table on ``engine``), ordered by run_at."""
    if source.lower().endswith((".parquet", ".pq")):
        frame = pd.read_parquet(source)
    elif engine is not None:
        from ..sql.render import render

        frame = engine.run(render("select_all.sql", engine.dialect, src=identifiers.source(source)))
    else:
        raise BqmlToolsError(f"history {source}: a table needs an engine (or give a .parquet file)")
    return frame.sort_values("run_at", kind="stable").reset_index(drop=True)
