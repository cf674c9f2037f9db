"""The columns each evaluation statement returns, and the refusal of group columns that would clash."""
from __future__ import annotations

from ..errors import BqmlToolsError
from .spec import EvalSpec


VIEWS = {"metrics": None, "classes": "evaluate/multiclass_classes.sql", "confusion": "evaluate/confusion_matrix.sql"}
_BINARY_COUNTS = ("invalid_label_rows", "invalid_score_rows", "positives", "group_rows")
_VIEW_COUNTS = ("invalid_rows", "group_rows")
# The output columns of each statement after its group columns (a test checks them against the
# rendered SQL). A --by column with one of these names would give the result two columns of that
# name (and a false invalid-row count, say), so it is refused.
OUTPUTS: dict[str, tuple[str, ...]] = {
    "regression": ("rows", "mae", "mse", "rmse", "r2", "explained_variance", "mean_squared_log_error",
                   "median_absolute_error", "mean_label", "mean_prediction", "baseline_rmse", "negative_rows",
                   "invalid_rows"),
    "binary": ("rows", "positives", "tp", "fp", "tn", "fn", "accuracy", "precision", "recall", "specificity", "f1",
               "balanced_accuracy", "log_loss", "brier", "roc_auc", "roc_auc_error_bound", "average_precision",
               "base_rate", "baseline_log_loss", "invalid_label_rows", "invalid_score_rows"),
    "multiclass": ("rows", "accuracy", "macro_precision", "macro_recall", "macro_f1", "weighted_precision",
                   "weighted_recall", "weighted_f1", "micro_precision", "micro_recall", "micro_f1", "log_loss",
                   "top_k_accuracy", "baseline_accuracy", "invalid_rows"),
    "classes": ("class", "support", "predicted", "tp", "precision", "recall", "f1") + _VIEW_COUNTS,
    "confusion": ("actual", "predicted", "rows") + _VIEW_COUNTS,
    "roc": ("threshold", "fpr", "tpr", "tp", "fp") + _BINARY_COUNTS,
    "pr": ("threshold", "precision", "recall", "tp", "fp") + _BINARY_COUNTS,
    "thresholds": ("threshold", "tp", "fp", "tn", "fn", "precision", "recall", "f1") + _BINARY_COUNTS,
    "calibration": ("bin", "bin_lower", "bin_upper", "rows", "mean_score", "observed_rate",
                    "expected_calibration_error") + _BINARY_COUNTS,
}


def output_columns(spec: EvalSpec, what: str) -> tuple[str, ...]:
    """The columns a statement returns after the group columns (``what``: a task, view or curve)."""
    columns = OUTPUTS[what]
    if what == "multiclass" and not spec.probs:
        columns = tuple(c for c in columns if c not in ("log_loss", "top_k_accuracy"))
    if spec.weight is not None and "invalid_score_rows" in columns:  # binary and its curves, with --weight
        at = columns.index("invalid_score_rows") + 1
        columns = columns[:at] + ("invalid_weight_rows",) + columns[at:]
    if spec.weight is not None and what in ("regression", "multiclass", "classes", "confusion"):
        if what == "confusion":  # each cell's summed weight, after its row count
            columns = columns[:3] + ("weight",) + columns[3:]
        columns += ("invalid_weight_rows",)
    return columns


def view_counts(spec: EvalSpec) -> tuple[str, ...]:
    """The per-group counts a multiclass view carries on each row (checked, then dropped)."""
    return _VIEW_COUNTS + (("invalid_weight_rows",) if spec.weight is not None else ())


def binary_counts(spec: EvalSpec) -> tuple[str, ...]:
    """The per-group counts a binary curve carries on each row (checked, then dropped)."""
    return _BINARY_COUNTS[:2] + (("invalid_weight_rows",) if spec.weight is not None else ()) + _BINARY_COUNTS[2:]

def refuse_output_names(spec: EvalSpec, what: str, command: str) -> None:
    """Refuse a group column named like a column ``what`` returns (two columns of one name)."""
    outputs = {c.lower() for c in output_columns(spec, what)}
    if spec.min_slice_rows is not None:  # the columns bqml_tools.evaluation.slices adds
        outputs |= {"slice", "worse_than_whole"}
    clashing = [c for c in spec.by if c.lower() in outputs]
    if clashing:
        raise BqmlToolsError(
            f"group column {clashing[0]!r} has the name of a column {command} returns; rename it in a view "
            f"first (SELECT *, {clashing[0]} AS {clashing[0]}_group FROM ...) and group by the new name"
        )
