"""Engines run rendered queries: the protocol (``base``), DuckDB (``duckdb``), BigQuery (``bigquery``),
what an engine says about a source (``schema``) and files written atomically (``publish``).

``bqml_tools.engines.DuckDBEngine`` and the names below stay importable from here; the BigQuery
engine is ``bqml_tools.engines.bigquery.BigQueryEngine`` (also ``bqml_tools.bigquery``), loaded only
when asked for so that DuckDB users never import the BigQuery client.
"""
from __future__ import annotations

from .base import DryRun, Engine
from .duckdb import (DUCKDB_CONFIG, DuckDBEngine, bigquery_dtypes, connect_duckdb, open_duckdb,
                     register_duckdb_once)
from .publish import OUTPUT_FORMATS, output_format, publish

__all__ = ["DUCKDB_CONFIG", "DryRun", "DuckDBEngine", "Engine", "OUTPUT_FORMATS", "bigquery_dtypes", "connect_duckdb",
           "open_duckdb", "output_format", "publish", "register_duckdb_once"]
