"""Evaluating a predictions table in SQL, mirroring ``sql_templates/evaluate/``.

``spec`` (EvalSpec), ``checks`` (types, labels, invalid rows), ``context`` (what the templates get),
``outputs`` (the columns each statement returns), ``metrics`` (evaluate), ``curves``, ``diagnosis``,
``intervals`` (the jackknife), ``slices``, ``comparison``, ``decisions`` (thresholds) and ``training``. The public
names below are importable from ``bqml_tools.evaluation`` and loaded on first use (PEP 562).
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "EvalSpec": "spec", "PARTITION_SALT": "spec", "DEFAULT_CI_BINS_PER_LOGIT": "spec",
    "auc_mode": "context", "TASKS": "spec", "INTERVAL_OPTIONS": "spec",
    "OUTPUTS": "outputs", "output_columns": "outputs",
    "evaluate": "metrics", "evaluate_query": "metrics", "evaluate_checks": "metrics",
    "CURVES": "curves", "curve": "curves", "curve_query": "curves", "curve_unused": "curves",
    "Thresholds": "diagnosis", "diagnose": "diagnosis",
    "compare": "comparison", "compare_query": "comparison",
    "Goal": "decisions", "threshold": "decisions", "threshold_query": "decisions",
    "diagnose_training": "training", "training_query": "training",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
