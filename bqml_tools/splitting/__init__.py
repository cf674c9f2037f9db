"""Splitting and sampling by FARM_FINGERPRINT of a key, mirroring ``sql_templates/split/``.

``spec`` (SplitSpec), ``queries`` (the split, profile and assignment statements, the split report,
materialize) and ``assignment`` (which split a key value falls in, in Python). The public names below are
importable from ``bqml_tools.splitting`` and loaded on first use (PEP 562).
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "SplitSpec": "spec",
    "assign": "assignment",
    "FINE": "queries", "SplitReport": "queries", "assignments_query": "queries", "check_only_split": "queries",
    "materialize": "queries", "materialize_queries": "queries", "TableOptions": "table_options", "profile_query": "queries", "split": "queries",
    "split_query": "queries", "split_report": "queries", "validated_schema": "queries",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
