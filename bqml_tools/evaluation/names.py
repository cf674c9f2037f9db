"""BigQuery ML's vocabulary: a result under ML.EVALUATE's (or ML.ROC_CURVE's) column names.

``--names bigquery-ml`` keeps the columns ML.EVALUATE returns, in its order, renamed from the metrics that
have the same value (evaluation/registry.py: each metric's ``ml_evaluate`` name): regression
mean_absolute_error, mean_squared_error, mean_squared_log_error, median_absolute_error, r2_score,
explained_variance; binary threshold, precision, recall, accuracy, f1_score, log_loss, roc_auc (at the
threshold given, 0.5 by default as ML.EVALUATE's); multiclass precision, recall and f1_score macro-averaged
(the unweighted mean over classes), accuracy micro-averaged (share of rows right), log_loss, roc_auc.
Group columns stay first; with --ci each metric's _lower and _upper follow it under its new name.

Differences kept, and said in the result's warnings: BigQuery's ML.EVALUATE on a BigQuery ML model reads the
model's own probabilities; bqml_tools reads the predictions table, so both agree when the table is
ML.PREDICT's output. Multiclass roc_auc is one-vs-rest, macro-averaged (scikit-learn's multi_class='ovr',
average='macro'), read from the probabilities arrays (needs --probs). median_absolute_error is approximate
on BigQuery in both.
"""
from __future__ import annotations

from typing import Sequence

import pandas as pd

from ..core.options import refusal
from ..errors import BqmlToolsError
from . import registry

NAMES = ("bqml-tools", "bigquery-ml")
# ML.EVALUATE's columns per task, in its order (the BigQuery ML documentation's lists).
ML_EVALUATE = {
    "regression": ("mean_absolute_error", "mean_squared_error", "mean_squared_log_error", "median_absolute_error",
                   "r2_score", "explained_variance"),
    "binary": ("threshold", "precision", "recall", "accuracy", "f1_score", "log_loss", "roc_auc"),
    "multiclass": ("precision", "recall", "accuracy", "f1_score", "log_loss", "roc_auc"),
}
# ML.ROC_CURVE's columns, from curve roc's (true and false negatives from the group's totals).
ML_ROC_CURVE = ("threshold", "recall", "false_positive_rate", "true_positives", "false_positives",
                "true_negatives", "false_negatives")


def check(names: str) -> None:
    if names not in NAMES:
        raise refusal(f"[[names]] {names!r} is not one of: {', '.join(NAMES)}")


def ml_evaluate(frame: pd.DataFrame, task: str, by: Sequence[str], threshold: float | None = None) -> pd.DataFrame:
    """``frame`` (evaluate's metrics) with ML.EVALUATE's columns only, under its names."""
    ours = registry.ml_evaluate(task)  # ML.EVALUATE name -> bqml_tools metric, None when not computed
    out = frame[list(by)].copy()
    warnings = list(frame.attrs.get("warnings", []))
    for name in ML_EVALUATE[task]:
        if name == "threshold":
            out[name] = 0.5 if threshold is None else float(threshold)
            continue
        metric = ours.get(name)
        if metric is not None and metric not in frame.columns and metric in registry.NEEDS_PROBS:
            warnings.append(f"{name} reads the class probabilities: left out (give the probabilities array, --probs, to get it)")
            continue
        if metric is None or metric not in frame.columns:
            warnings.append(f"{name} ({'one-vs-rest, macro-averaged' if task == 'multiclass' else task}) is an "
                            "ML.EVALUATE column bqml_tools does not compute: left out")
            continue
        out[name] = frame[metric]
        for suffix in registry.INTERVAL_SUFFIXES:
            if metric + suffix in frame.columns:
                out[name + suffix] = frame[metric + suffix]
    out.attrs = {**frame.attrs, "warnings": warnings}
    return out


def ml_roc_curve(frame: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """``curve roc``'s points under ML.ROC_CURVE's names: a group's lowest threshold predicts every row
    positive, so its tp and fp are the group's positives and negatives, and tn, fn follow."""
    groups = list(by)
    if groups:
        totals = frame.groupby(groups, dropna=False)[["tp", "fp"]].transform("max")
    else:
        totals = pd.DataFrame({c: frame[c].max() for c in ("tp", "fp")}, index=frame.index)
    out = frame[groups].copy()
    out["threshold"] = frame["threshold"]
    out["recall"] = frame["tpr"]
    out["false_positive_rate"] = frame["fpr"]
    out["true_positives"] = frame["tp"]
    out["false_positives"] = frame["fp"]
    out["true_negatives"] = totals["fp"].to_numpy() - frame["fp"].to_numpy()
    out["false_negatives"] = totals["tp"].to_numpy() - frame["tp"].to_numpy()
    out.attrs = dict(frame.attrs)
    return out
