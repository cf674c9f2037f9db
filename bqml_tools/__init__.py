"""bqml_tools: BigQuery-native sampling, splitting and evaluation that DuckDB reproduces exactly.

Everything below is importable as ``bqml_tools.<name>`` (``import bqml_tools as bt``). Names are
loaded on first use (PEP 562), so importing the package, or starting the CLI, does not pay for
pandas, DuckDB or the BigQuery client until a command needs them.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "BqmlToolsError": "errors",
    "DryRun": "engines.base", "Engine": "engines.base",
    "DuckDBEngine": "engines.duckdb", "connect_duckdb": "engines.duckdb",
    "farm_fingerprint": "core.fingerprint",
    "SplitSpec": "splitting.spec", "assign": "splitting.assignment",
    "SplitReport": "splitting.queries", "split": "splitting.queries", "split_query": "splitting.queries",
    "split_report": "splitting.queries", "materialize": "splitting.queries",
    "EvalSpec": "evaluation.spec", "evaluate": "evaluation.metrics", "evaluate_query": "evaluation.metrics",
    "curve": "evaluation.curves", "curve_query": "evaluation.curves",
    "Thresholds": "evaluation.diagnosis", "diagnose": "evaluation.diagnosis",
    "compare": "evaluation.comparison", "compare_query": "evaluation.comparison",
    "Query": "sql.render", "render": "sql.render",
    "Goal": "evaluation.decisions", "threshold": "evaluation.decisions", "threshold_query": "evaluation.decisions",
    "diagnose_training": "evaluation.training", "training_query": "evaluation.training",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'bqml_tools' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from .core.fingerprint import farm_fingerprint
    from .engines.base import DryRun, Engine
    from .engines.duckdb import DuckDBEngine, connect_duckdb
    from .errors import BqmlToolsError
    from .evaluation.comparison import compare, compare_query
    from .evaluation.curves import curve, curve_query
    from .evaluation.diagnosis import Thresholds, diagnose
    from .evaluation.metrics import evaluate, evaluate_query
    from .evaluation.spec import EvalSpec
    from .evaluation.decisions import Goal, threshold, threshold_query
    from .evaluation.training import diagnose_training, training_query
    from .splitting.assignment import assign
    from .splitting.queries import SplitReport, materialize, split, split_query, split_report
    from .splitting.spec import SplitSpec
    from .sql.render import Query, render
