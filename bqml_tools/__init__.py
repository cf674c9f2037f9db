"""bqml_tools: BigQuery-native sampling, splitting and evaluation that DuckDB reproduces exactly."""
from __future__ import annotations

from .engines import DryRun, DuckDBEngine, Engine, connect_duckdb
from .errors import BqmlToolsError
from .fingerprint import farm_fingerprint
from .splitting import SplitReport, SplitSpec, assign, split, split_query, split_report
from .templates import Query, render

__all__ = [
    "BqmlToolsError", "DryRun", "DuckDBEngine", "Engine", "Query", "SplitReport", "SplitSpec",
    "assign", "connect_duckdb", "farm_fingerprint", "render", "split", "split_query", "split_report",
]
