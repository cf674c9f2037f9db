"""A dbt-duckdb plugin: ``farm_fingerprint`` (bit-identical to BigQuery's ``FARM_FINGERPRINT``) on dbt's connection.

Name it in ``profiles.yml`` under the DuckDB target, and the bqml_tools dbt package's split macros run
on dbt-duckdb exactly as on BigQuery::

    plugins:
      - module: bqml_tools.dbt_duckdb

dbt-duckdb imports this module and calls ``Plugin.configure_connection`` on the connection it opens
(and ``configure_cursor`` on each cursor it hands a model); the function is the one
``bqml_tools.connect_duckdb`` registers (``bqml_tools.core.fingerprint.register_duckdb``). This module
is only importable where dbt-duckdb is installed; nothing else in bqml_tools imports it.
"""
from __future__ import annotations

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from .core.fingerprint import register_duckdb


def _register_once(connection: Any) -> None:
    try:
        connection.execute("SELECT farm_fingerprint('')").fetchall()
    except Exception:  # noqa: BLE001 - any failure means it is not registered on this connection yet
        register_duckdb(connection)


class Plugin(BasePlugin):
    """Registers ``farm_fingerprint(VARCHAR|BLOB) -> BIGINT`` on every connection and cursor dbt-duckdb opens."""

    def configure_connection(self, conn: Any) -> None:
        _register_once(conn)

    def configure_cursor(self, cursor: Any) -> None:
        _register_once(cursor)
