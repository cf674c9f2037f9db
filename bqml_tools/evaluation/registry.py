"""One registry of every column the evaluation commands return: each metric's task, range, direction,
interval rule, BigQuery ML.EVALUATE name and a line of documentation, and every other output column
(counts, curve points, threshold and comparison columns).

Everything else is derived from it: the columns of each statement (``outputs.OUTPUTS``), the metrics
that get an interval and the range it is clipped to (``intervals.METRICS``/``BOUNDS``), which are
lower-is-better and which are descriptions rather than scores (``LOWER_IS_BETTER``/``NOT_A_SCORE``),
and the names a ``--by`` column may not take (:func:`output_names`, for every command). A test checks
the registry against the rendered SQL and against what every command really returns.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

INF = math.inf
PROBABILITY = (0.0, 1.0)
ERROR = (0.0, INF)
SKILL = (-INF, 1.0)
ANY = (-INF, INF)

# A metric's role: a score has a better direction; a description (mean_label, base_rate) has none; a count
# counts rows (or sums weights); a reference is a baseline or a bound that goes with a score.
SCORE, DESCRIPTION, COUNT, REFERENCE = "score", "description", "count", "reference"
# Its interval under --ci: the jackknife; NULL bounds (a median: the jackknife is not valid for it); none.
JACKKNIFE, NULL_INTERVAL, NO_INTERVAL = "jackknife", "null", "none"


@dataclass(frozen=True)
class Metric:
    """One column of a task's metrics statement."""

    name: str
    task: str
    role: str
    doc: str
    bounds: tuple[float, float] = ANY
    lower_is_better: bool = False
    interval: str = NO_INTERVAL
    ml_evaluate: str | None = None  # the column of BigQuery ML.EVALUATE with the same value, if any
    approximate_on: tuple[str, ...] = ()  # dialects where it is approximate (a median's APPROX_QUANTILES)


def _score(name: str, task: str, doc: str, bounds: tuple[float, float] = PROBABILITY, *, lower: bool = False,
           ml: str | None = None, interval: str = JACKKNIFE) -> Metric:
    return Metric(name, task, SCORE, doc, bounds, lower, interval, ml)


def _count(name: str, task: str, doc: str) -> Metric:
    return Metric(name, task, COUNT, doc, (0.0, INF))


# In the order each statement returns them (after the group columns).
REGISTRY: tuple[Metric, ...] = (
    _count("rows", "regression", "valid rows evaluated (a count of rows, also with --weight)"),
    _score("mae", "regression", "mean absolute error", ERROR, lower=True, ml="mean_absolute_error"),
    _score("mse", "regression", "mean squared error", ERROR, lower=True, ml="mean_squared_error"),
    _score("rmse", "regression", "root mean squared error", ERROR, lower=True),
    _score("r2", "regression", "coefficient of determination (scikit-learn's r2_score)", SKILL, ml="r2_score"),
    _score("explained_variance", "regression", "explained variance score", SKILL, ml="explained_variance"),
    _score("mean_squared_log_error", "regression", "mean squared error of log1p (NULL with negative values)", ERROR,
           lower=True, ml="mean_squared_log_error"),
    Metric("median_absolute_error", "regression", SCORE, "median absolute error (approximate on BigQuery)", ERROR,
           True, NULL_INTERVAL, "median_absolute_error", ("bigquery",)),
    Metric("mean_label", "regression", DESCRIPTION, "mean of the label", ANY, interval=JACKKNIFE),
    Metric("mean_prediction", "regression", DESCRIPTION, "mean of the prediction", ANY, interval=JACKKNIFE),
    Metric("baseline_rmse", "regression", REFERENCE, "rmse of always predicting the mean label", ERROR, True),
    _count("negative_rows", "regression", "rows with a negative label or prediction (no log error)"),
    _count("invalid_rows", "regression", "rows left out: NULL, NaN or infinite label or prediction"),

    _count("rows", "binary", "valid rows evaluated (a count of rows, also with --weight)"),
    _count("positives", "binary", "positive rows (their weight with --weight)"),
    _count("tp", "binary", "true positives at the threshold"),
    _count("fp", "binary", "false positives at the threshold"),
    _count("tn", "binary", "true negatives at the threshold"),
    _count("fn", "binary", "false negatives at the threshold"),
    _score("accuracy", "binary", "share of rows classified right at the threshold", ml="accuracy"),
    _score("precision", "binary", "tp / (tp + fp) at the threshold", ml="precision"),
    _score("recall", "binary", "tp / (tp + fn) at the threshold", ml="recall"),
    _score("specificity", "binary", "tn / (tn + fp) at the threshold"),
    _score("f1", "binary", "harmonic mean of precision and recall", ml="f1_score"),
    _score("balanced_accuracy", "binary", "mean of recall and specificity"),
    _score("log_loss", "binary", "cross-entropy, probabilities clipped to [eps, 1 - eps]", ERROR, lower=True,
           ml="log_loss"),
    _score("brier", "binary", "mean squared error of the score", lower=True),
    _score("roc_auc", "binary", "area under the ROC curve (ties count half)", ml="roc_auc"),
    Metric("roc_auc_error_bound", "binary", REFERENCE, "bound on the error of binned AUC (0 when exact)", ERROR, True),
    _score("average_precision", "binary", "area under the precision-recall steps (scikit-learn's)"),
    Metric("base_rate", "binary", DESCRIPTION, "share of positive rows", PROBABILITY, interval=JACKKNIFE),
    Metric("baseline_log_loss", "binary", REFERENCE, "log loss of always predicting the base rate", ERROR, True),
    _count("invalid_label_rows", "binary", "rows left out: NULL or non-binary label"),
    _count("invalid_score_rows", "binary", "rows left out: NULL, NaN, infinite or out-of-range score"),

    _count("rows", "multiclass", "valid rows evaluated (a count of rows, also with --weight)"),
    _score("accuracy", "multiclass", "share of rows whose predicted class is the label", ml="accuracy"),
    _score("macro_precision", "multiclass", "precision per class, averaged over classes", ml="precision"),
    _score("macro_recall", "multiclass", "recall per class, averaged over classes (balanced accuracy)",
           ml="recall"),
    _score("macro_f1", "multiclass", "F1 per class, averaged over classes", ml="f1_score"),
    _score("weighted_precision", "multiclass", "precision per class, averaged weighted by support"),
    _score("weighted_recall", "multiclass", "recall per class, averaged weighted by support"),
    _score("weighted_f1", "multiclass", "F1 per class, averaged weighted by support"),
    _score("micro_precision", "multiclass", "precision over all rows (= accuracy)"),
    _score("micro_recall", "multiclass", "recall over all rows (= accuracy)"),
    _score("micro_f1", "multiclass", "F1 over all rows (= accuracy)"),
    _score("log_loss", "multiclass", "cross-entropy of the true class's probability (needs --probs)", ERROR,
           lower=True, ml="log_loss"),
    _score("top_k_accuracy", "multiclass", "share of rows whose label is among the k likeliest (needs --probs)"),
    _score("roc_auc", "multiclass", "one-vs-rest AUC per class, averaged over classes (needs --probs)", ml="roc_auc",
           interval=NULL_INTERVAL),
    Metric("baseline_accuracy", "multiclass", REFERENCE, "accuracy of always predicting the majority class",
           PROBABILITY),
    _count("invalid_rows", "multiclass", "rows left out: NULL label or prediction"),
)

TASKS = ("regression", "binary", "multiclass")
# ML.EVALUATE columns bqml_tools has no counterpart for (none today).
ML_EVALUATE_MISSING: dict[str, tuple[str, ...]] = {}
# Only with --probs (multiclass): the metrics that read the probabilities.
NEEDS_PROBS = ("log_loss", "top_k_accuracy", "roc_auc")
WEIGHT_COUNT = "invalid_weight_rows"  # with --weight, every statement counts rows whose weight is invalid

# The other statements' columns (after the group columns), as they return them.
BINARY_COUNTS = ("invalid_label_rows", "invalid_score_rows", "positives", "group_rows")
VIEW_COUNTS = ("invalid_rows", "group_rows")
VIEWS = {"classes": ("class", "support", "predicted", "tp", "precision", "recall", "f1") + VIEW_COUNTS,
         "confusion": ("actual", "predicted", "rows") + VIEW_COUNTS}
CURVES = {"roc": ("threshold", "fpr", "tpr", "tp", "fp") + BINARY_COUNTS,
          "pr": ("threshold", "precision", "recall", "tp", "fp") + BINARY_COUNTS,
          "thresholds": ("threshold", "tp", "fp", "tn", "fn", "precision", "recall", "f1") + BINARY_COUNTS,
          "calibration": ("bin", "bin_lower", "bin_upper", "rows", "mean_score", "observed_rate",
                          "expected_calibration_error") + BINARY_COUNTS}
THRESHOLD = ("threshold", "threshold_upper", "bin_rows", "rows", "positives", "tp", "fp", "tn", "fn",
             "accuracy", "precision", "recall", "specificity", "f1", "balanced_accuracy", "baseline_accuracy",
             "cost", "target_met", "best_reachable", "bound", "invalid_label_rows", "invalid_score_rows")
COMPARE = ("rows", "metric", "difference", "lower", "upper", "reading")
SLICES = ("slice", "worse_than_whole")  # evaluate --min-slice-rows adds these
INTERVAL_SUFFIXES = ("_lower", "_upper")  # evaluate --ci adds <metric>_lower and <metric>_upper


def metrics(task: str) -> tuple[Metric, ...]:
    """The registry's entries of ``task``, in the statement's order."""
    return tuple(m for m in REGISTRY if m.task == task)


def metric(task: str, name: str) -> Metric:
    """The entry of ``name`` for ``task`` (KeyError when the task returns no such column)."""
    for m in metrics(task):
        if m.name == name:
            return m
    raise KeyError((task, name))


def with_interval(task: str) -> tuple[str, ...]:
    """The metrics that get ``<metric>_lower`` and ``<metric>_upper`` under --ci (NULL for a median)."""
    return tuple(m.name for m in metrics(task) if m.interval != NO_INTERVAL)


def ml_evaluate(task: str) -> dict[str, str | None]:
    """ML.EVALUATE's column -> the bqml_tools metric with the same value (None: not computed)."""
    out: dict[str, str | None] = {m.ml_evaluate: m.name for m in metrics(task) if m.ml_evaluate}
    out.update({name: None for name in ML_EVALUATE_MISSING.get(task, ())})
    return out


def _consistent(attribute: str) -> dict[str, Any]:
    """name -> the attribute, checked to be the same in every task that has the name."""
    out: dict[str, Any] = {}
    for m in REGISTRY:
        value = getattr(m, attribute)
        if out.setdefault(m.name, value) != value:
            raise AssertionError(f"the registry gives {m.name} two {attribute}s")
    return out


BOUNDS: dict[str, tuple[float, float]] = {n: b for n, b in _consistent("bounds").items()
                                          if any(n in with_interval(t) for t in TASKS)}
LOWER_IS_BETTER = frozenset(n for n, lower in _consistent("lower_is_better").items() if lower and n in BOUNDS)
NOT_A_SCORE = frozenset(m.name for m in REGISTRY if m.role == DESCRIPTION)


def statement_columns(task: str, *, probs: bool = True, weight: bool = False) -> tuple[str, ...]:
    """The columns a task's metrics statement returns after the group columns."""
    columns = tuple(m.name for m in metrics(task) if probs or task != "multiclass" or m.name not in NEEDS_PROBS)
    if weight and "invalid_score_rows" in columns:
        at = columns.index("invalid_score_rows") + 1
        return columns[:at] + (WEIGHT_COUNT,) + columns[at:]
    return columns + ((WEIGHT_COUNT,) if weight else ())


def output_names(command: str, *, task: str = "binary", view: str = "metrics", kind: str | None = None,
                 probs: bool = True, weight: bool = False, ci: bool = False, slices: bool = False,
                 models: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Every column name ``command`` returns besides the group columns: what a ``--by`` column may not be
    called (it would give the result two columns of one name, or be silently replaced).

    ``command``: evaluate (``view``, ``ci``: the interval columns, ``slices``: --min-slice-rows), curve
    (``kind``), threshold, or compare (``models``: both models' columns)."""
    if command == "evaluate" and view != "metrics":
        names = VIEWS[view] + ((WEIGHT_COUNT,) if weight else ()) + (("weight",) if weight and view == "confusion" else ())
    elif command == "evaluate":
        names = statement_columns(task, probs=probs, weight=weight)
        if ci:
            names += tuple(m + s for m in with_interval(task) if m in names for s in INTERVAL_SUFFIXES)
        if slices:
            names += SLICES
    elif command == "curve":
        names = CURVES[kind or "roc"] + ((WEIGHT_COUNT,) if weight else ())
    elif command == "threshold":
        names = THRESHOLD + ((WEIGHT_COUNT,) if weight else ())
    elif command == "compare":
        # compare evaluates both models with the task's statement, then returns one row per metric
        names = statement_columns(task, probs=False, weight=weight) + COMPARE + models
    else:
        raise ValueError(f"unknown command {command!r}")
    return tuple(dict.fromkeys(names))
