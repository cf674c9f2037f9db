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
    "DryRun": "engines", "DuckDBEngine": "engines", "Engine": "engines", "connect_duckdb": "engines",
    "farm_fingerprint": "fingerprint",
    "SplitReport": "splitting", "SplitSpec": "splitting", "assign": "splitting", "split": "splitting",
    "split_query": "splitting", "split_report": "splitting", "materialize": "splitting",
    "EvalSpec": "evaluation", "Thresholds": "evaluation", "evaluate": "evaluation", "curve": "evaluation",
    "diagnose": "evaluation", "evaluate_query": "evaluation", "curve_query": "evaluation",
    "compare": "comparison", "compare_query": "comparison",
    "Query": "templates", "render": "templates",
    "Goal": "decisions", "threshold": "decisions", "threshold_query": "decisions",
    "diagnose_training": "training", "training_query": "training",
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
    from .engines import DryRun, DuckDBEngine, Engine, connect_duckdb
    from .errors import BqmlToolsError
    from .evaluation import EvalSpec, Thresholds, curve, curve_query, diagnose, evaluate, evaluate_query
    from .comparison import compare, compare_query
    from .fingerprint import farm_fingerprint
    from .splitting import SplitReport, SplitSpec, assign, materialize, split, split_query, split_report
    from .templates import Query, render
    from .decisions import Goal, threshold, threshold_query
    from .training import diagnose_training, training_query
