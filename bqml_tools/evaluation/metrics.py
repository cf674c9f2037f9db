"""Evaluate a predictions table in the warehouse: the metrics of each group.

Every query reads the predictions table once and groups by ``by`` columns (per split, per
slice); windows only ever run over aggregated results.
"""
from __future__ import annotations

import pandas as pd

from ..core import identifiers
from ..engines.base import Engine, require
from ..engines.schema import source_schema
from ..errors import BqmlToolsError
from ..sql.render import Query, render
from .checks import attach, check_invalid, check_positive, group_counts
from .context import as_source, template_context
from .guards import run_checked
from .intervals import where
from .outputs import VIEWS, output_columns, refuse_output_names, view_counts
from .spec import BOUND_SHARE_OF_INTERVAL, BOUND_WARNING, INTERVAL_OPTIONS, EvalSpec


# The imbalance guard: accuracy must remove at least this share of the constant predictor's errors.
IMBALANCE_MARGIN = 0.1

def evaluate_query(source: str | identifiers.Source, spec: EvalSpec, dialect: str, *,
                   engine: Engine | None = None, view: str = "metrics", inline: bool = True,
                   weight_scale: float | None = None) -> Query:
    """The metrics statement (or, for multiclass, the per-class or confusion-matrix view).

    ``weight_scale``: a power of two every weight is multiplied by (guards.weight_scale); the
    statement's weighted counts are then in those units."""
    src = as_source(source)
    if view != "metrics" and spec.task != "multiclass":
        raise BqmlToolsError(f"view {view!r} is for multiclass evaluation; {spec.task} has metrics only")
    if view not in VIEWS:
        raise BqmlToolsError(f"view {view!r} is not one of: {', '.join(VIEWS)}")
    if view != "metrics":
        spec.refuse((["probs", "top_k", "zero_division"] if view == "confusion" else ["probs", "top_k"])
                    + list(INTERVAL_OPTIONS), f"[[view={view}]]")
    refuse_output_names(spec, "evaluate", view=view)
    schema = source_schema(engine, src) if engine is not None else None
    template = VIEWS[view] or f"evaluate/{spec.task}.sql"
    context = template_context(src, spec, dialect, schema, inline, "evaluate")
    context["weight_scale"] = weight_scale
    return render(template, dialect, inline=inline, **context)

def evaluate(engine: Engine, source: str | identifiers.Source, spec: EvalSpec, *,
             view: str = "metrics") -> pd.DataFrame:
    """Run the evaluation; returns one row per group (``frame.attrs['warnings']`` lists warnings)."""
    src = as_source(source)
    require(engine, Engine, "evaluate")
    frame = run_checked(engine, src, spec, lambda scale: evaluate_query(src, spec, engine.dialect, engine=engine,
                                                                        view=view, inline=False, weight_scale=scale))
    if spec.ci is not None:
        return _with_intervals(frame, spec, src)
    if view != "metrics":
        # the same invalid-row rule as the metrics: the statement carries the counts on its rows
        counts = group_counts(frame, spec, view_counts(spec))
        valid = counts.pop("group_rows")
        warnings = check_invalid(counts, valid, spec, src)
        frame = frame.loc[frame["group_rows"] > 0].drop(columns=list(view_counts(spec))).reset_index(drop=True)
        return attach(frame, warnings)
    # the statement's own columns only: a group column may carry another statement's name (invalid_rows)
    checked = evaluate_checks(frame, spec, src)
    if spec.min_slice_rows is not None:  # too-small slices only: the whole comes with --ci
        from . import slices

        return slices.report(checked, None, frame, spec)
    return checked


def _with_intervals(frame: pd.DataFrame, spec: EvalSpec, src: identifiers.Source) -> pd.DataFrame:
    """The estimate of each group with its jackknife interval per metric (bqml_tools.evaluation.intervals).

    The statement returns K + 2 rows per group (and, for slices, per copy: the slice and the whole);
    the checks and warnings read the estimate rows of the slices, exactly as without --ci.
    """
    from . import intervals

    whole = "_bqml_all" in frame.columns
    groups = list(spec.by) + (["_bqml_all"] if whole else [])
    slices_only = frame.loc[frame["_bqml_all"] == 0].drop(columns=["_bqml_all"]) if whole else frame
    combined = intervals.jackknife(frame, groups, intervals.METRICS[spec.task], float(spec.ci), spec.partition_count,
                                   task=spec.task, counts=spec.weight is None)
    estimates = combined.loc[combined["_bqml_all"] == 0].drop(columns=["_bqml_all"]) if whole else combined
    checked = evaluate_checks(estimates.reset_index(drop=True), spec, src)
    intervals.refuse_null_keys(slices_only, spec.key)
    checked.attrs["ci"] = float(spec.ci)  # the level, for readers and plots
    checked.attrs["warnings"] += intervals.sparse_warnings(slices_only, list(spec.by), spec.partition_count, spec.key)
    checked.attrs["warnings"] += combined.attrs.get("warnings", [])
    if spec.task == "regression":
        checked.attrs["warnings"].append("median_absolute_error has no interval: the jackknife is not valid for "
                                         "a median")
    if spec.task == "multiclass" and spec.probs:
        checked.attrs["warnings"].append("roc_auc has no interval (NULL bounds; its estimate is exact): each "
                                         "replicate would carry every distinct probability of every class")
    if spec.min_slice_rows is not None:
        from . import slices

        return slices.report(checked, combined if whole else None, frame, spec)
    return checked


# A metric every task defines whenever its group's rows weigh something: NULL with rows means weight 0.
_DEFINED = {"regression": "mae", "binary": "base_rate", "multiclass": "accuracy"}


def _weightless(frame: pd.DataFrame, spec: EvalSpec) -> pd.Series:
    """Groups that have valid rows but weigh 0 in total (--weight), whose metrics are therefore NULL."""
    if spec.weight is None:
        return pd.Series(False, index=frame.index)
    return (frame["rows"].fillna(0) > 0) & frame[_DEFINED[spec.task]].isna()


def evaluate_checks(frame: pd.DataFrame, spec: EvalSpec, src: identifiers.Source) -> pd.DataFrame:
    """Invalid-row checks and warnings of a metrics frame (one row per group)."""
    counts = {c: int(frame[c].fillna(0).sum()) for c in ("invalid_rows", "invalid_label_rows", "invalid_score_rows",
                                                         "invalid_weight_rows")
              if c in output_columns(spec, spec.task)}
    valid = int(frame["rows"].fillna(0).sum())
    warnings = check_invalid(counts, valid, spec, src)
    weightless = _weightless(frame, spec)
    if weightless.any():
        groups = "" if not spec.by else " (" + "; ".join(
            where(spec.by, [row[c] for c in spec.by]) for _, row in frame.loc[weightless].iterrows()) + ")"
        warnings.append(f"{int(weightless.sum())} group(s){groups} weigh 0 in total (every weight in {spec.weight} is 0 "
                        "there): their metrics are NULL")
    if spec.task == "regression" and (frame["negative_rows"].fillna(0) > 0).any():
        warnings.append("mean_squared_log_error is NULL where labels or predictions are negative")
    if spec.task == "binary":
        check_positive(spec, float(frame["positives"].fillna(0).sum()), valid)
        if (frame["roc_auc"].isna() & (frame["rows"] > 0) & ~weightless).any():
            warnings.append("roc_auc is NULL for groups with only one class")
        bounds = frame["roc_auc_error_bound"]
        if "roc_auc_lower" in frame.columns:
            # with an interval (--ci's coarser bins), binning matters when it is a visible share of the interval
            half = (frame["roc_auc_upper"] - frame["roc_auc_lower"]) / 2
            over = bounds.loc[bounds > BOUND_SHARE_OF_INTERVAL * half]
            if len(over):
                warnings.append(f"binned AUC error bound is {over.max():.2g}, over a tenth of the interval's "
                                "half-width: raise --bins-per-logit or use --auc exact")
        elif pd.notna(bounds.max()) and bounds.max() > BOUND_WARNING:
            warnings.append(f"binned AUC error bound is {bounds.max():.2g}: scores sit in few bins; raise "
                            "--bins-per-logit or use --auc exact")
    if spec.task == "multiclass" and "roc_auc" in frame.columns \
            and (frame["roc_auc"].isna() & (frame["rows"] > 0) & ~weightless).any():
        warnings.append("roc_auc is NULL for groups where a class of the labels or the probabilities arrays has no "
                        "positive or no negative row (scikit-learn's one-vs-rest AUC refuses such a class)")
    if spec.task in ("binary", "multiclass"):
        warnings += imbalance_warnings(frame, spec)
    return attach(frame, warnings)


def imbalance_warnings(frame: pd.DataFrame, spec: EvalSpec) -> list[str]:
    """One warning per group whose accuracy does not remove IMBALANCE_MARGIN of the errors of the
    constant predictor (always the majority class): accuracy says little there."""
    out = []
    better = ("balanced_accuracy and average_precision" if spec.task == "binary" else
              "macro_recall (balanced accuracy) and macro_f1")
    for _, row in frame.iterrows():
        # binary: the constant predictor's accuracy follows from the base rate
        accuracy = row["accuracy"]
        baseline = row["baseline_accuracy"] if spec.task == "multiclass" else max(row["base_rate"], 1 - row["base_rate"])
        if pd.isna(accuracy) or pd.isna(baseline) or baseline >= 1:
            continue
        gain = (accuracy - baseline) / (1 - baseline)  # the share of the constant's errors removed
        if gain < IMBALANCE_MARGIN:
            group = f" ({where(spec.by, [row[c] for c in spec.by])})" if spec.by else ""
            removes = (f"it removes {gain:.0%} of its errors, under {IMBALANCE_MARGIN:.0%}" if gain >= 0.005 else
                       "it removes next to none of its errors" if gain > -0.005 else f"it makes {-gain:.0%} more errors")
            out.append(f"accuracy {accuracy:.4g}{group} is no real gain over {baseline:.4g}, the accuracy of always "
                       f"predicting the majority class ({removes}): read {better} instead")
    return out
