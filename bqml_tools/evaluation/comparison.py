"""Compare two models on the same rows: each metric's difference with a paired jackknife interval.

One statement reads the predictions table once and evaluates both models (the working group
``_bqml_model``: every row counted twice, with the first model's column and with the other's) on
the same valid rows (a row is valid only when it is valid for both), per jackknife replicate
(``_bqml_rep``, partitions of a salted key fingerprint). Per replicate the difference
``against - first`` is taken, so what the two models share (the rows, their labels, the noise of
the sample) cancels, and the jackknife of those differences gives the interval
(``intervals.paired``). A difference whose interval excludes 0 is read as one model being better.
"""
from __future__ import annotations

import copy
import math
from dataclasses import replace
from typing import Any, Sequence

import pandas as pd

from ..core import identifiers
from ..core.options import refusal
from ..engines.base import Engine, require
from ..engines.schema import source_schema
from ..errors import BqmlToolsError
from ..sql.render import Query, render
from . import intervals, registry
from .checks import check_types
from .context import as_source, template_context
from .guards import run_checked
from .intervals import side
from .metrics import evaluate_checks
from .outputs import output_columns, refuse_output_names
from .spec import BOUND_SHARE_OF_INTERVAL, EvalSpec

DEFAULT_LEVEL = 0.95
MODEL = "_bqml_model"
# The result's own columns, after the --by columns and before/after the two models' columns.
NEEDS_KEY = ("compare needs [[key=]]: the interval of each difference comes from partitions of the rows by "
             "FARM_FINGERPRINT of a key, the same partitions for both models; give a row id, or a user id to keep "
             "each user's rows together")
COLUMNS = registry.COMPARE


def _role(spec: EvalSpec) -> str:
    """The option naming the first model's column: --score or --probs (binary), or --prediction."""
    return ("probs" if spec.probs is not None else "score") if spec.task == "binary" else "prediction"


def _with_level(spec: EvalSpec, level: float | None) -> EvalSpec:
    """The spec with its interval level: spec.ci, else ``level``, else 0.95; the key is required."""
    if not spec.key:
        raise refusal(NEEDS_KEY)
    if level is not None and spec.ci is not None and float(level) != float(spec.ci):
        raise BqmlToolsError(f"level {level!r} and the spec's ci {spec.ci!r} differ: give one of them")
    chosen = spec.ci if spec.ci is not None else (DEFAULT_LEVEL if level is None else level)
    return spec if spec.ci is not None else replace(spec, ci=chosen)


def _check(spec: EvalSpec, against: str) -> None:
    """What compare refuses before reading anything."""
    first = getattr(spec, _role(spec))
    identifiers.column(against, "against column")
    identifiers.refuse_reserved_options([("against", against)])
    if identifiers.same_name(against, first):
        raise refusal(f"[[against]] {against!r} is the first model's column ({first}): name the other "
                      f"model's {_role(spec)} column")
    if spec.probs is not None and spec.task != "binary":
        raise refusal("compare reads one column per model, and [[probs]] would score both models with the "
                      "same probabilities: leave [[probs]] out (accuracy and the F1s compare the predicted "
                      "classes)")
    spec.refuse(["min_slice_rows"], "compare (it compares two models, not slices)")
    refuse_output_names(spec, "compare", models=(first, against))
    for name in (first, against):
        if name.lower() in COLUMNS:
            raise BqmlToolsError(f"model column {name!r} has the name of a column compare returns; rename it in "
                                 f"a view first (SELECT *, {name} AS {name}_model FROM ...)")


def compare_query(source: str | identifiers.Source, spec: EvalSpec, against: str, dialect: str, *,
                  engine: Engine | None = None, level: float | None = None, inline: bool = True,
                  weight_scale: float | None = None) -> Query:
    """The one statement that evaluates both models per jackknife replicate (K + 1 rows per group and model)."""
    spec = _with_level(spec, level)
    _check(spec, against)
    src = as_source(source)
    schema = source_schema(engine, src) if engine is not None else None
    if schema is not None:  # the other model's column: present, and of a type the first one could have
        try:
            check_types(replace(spec, **{_role(spec): against}), schema)
        except BqmlToolsError as error:
            raise refusal(str(error).replace(f"probs column {against!r}", f"[[against_probs]] column {against!r}")
                          .replace(f"{_role(spec)} column {against!r}", f"[[against]] column {against!r}")
                          .replace(f"prediction {against!r}", f"[[against]] {against!r}"), error=type(error)) from None
    context = template_context(src, spec, dialect, schema, inline, "compare", against=against)
    context["weight_scale"] = weight_scale  # guards.weight_scale: weights so large or small products overflow
    first = getattr(spec, _role(spec))
    context["header_lines"].insert(
        1, f"compared with {against}: each row counted twice ({MODEL} 0 reads {first}, 1 reads {against}); "
           "a row is valid only when it is valid for both")
    return render(f"evaluate/{spec.task}.sql", dialect, inline=inline, **context)


def compare(engine: Engine, source: str | identifiers.Source, spec: EvalSpec, against: str, *,
            level: float | None = None, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per (group, metric): both models' values, ``difference`` (against - first), its paired
    jackknife interval (``lower``, ``upper``) and a one-line ``reading``.

    The level is ``spec.ci``, else ``level``, else 0.95; ``spec.key`` is required (the partitions).
    ``metrics``: the metrics to compare (default: every score of the task; descriptions such as
    mean_prediction only when named). ``frame.attrs['warnings']`` lists warnings.
    """
    spec = _with_level(spec, level)
    src = as_source(source)
    require(engine, Engine, "compare")
    chosen = _metrics(spec, metrics)
    frame = run_checked(engine, src, spec, lambda scale: compare_query(src, spec, against, engine.dialect,
                                                                       engine=engine, inline=False, weight_scale=scale))
    warnings = _checks(frame, spec, against, src)
    first_model = frame.loc[frame[MODEL] == 0].drop(columns=[MODEL])  # both copies hold the same rows
    intervals.refuse_null_keys(first_model, spec.key)
    warnings += intervals.sparse_warnings(first_model, list(spec.by), spec.partition_count, spec.key)
    if "accuracy" not in chosen:  # the imbalance guard is about accuracy: said only when accuracy is compared
        names = (f"{getattr(spec, _role(spec))}: ", f"{against}: ")
        warnings = [w for w in warnings if not w.removeprefix(names[0]).removeprefix(names[1]).startswith("accuracy ")]
    out = _differences(frame, spec, against, chosen)
    out.attrs["warnings"] = [w for w in warnings if "binned AUC error bound" not in w] + _bound_warning(frame, out)
    return out


def _bound_warning(frame: pd.DataFrame, out: pd.DataFrame) -> list[str]:
    """As evaluate --ci: binned AUC matters when either model's bound is over a tenth of the half-width
    of the difference's interval."""
    bounds = [_estimates(frame, m).get("roc_auc_error_bound") for m in (0, 1)]
    auc = out.loc[out["metric"] == "roc_auc"] if "metric" in out.columns else out.iloc[0:0]
    if auc.empty or any(b is None for b in bounds):
        return []
    worst = max(float(b.max()) for b in bounds)
    half = float(((auc["upper"] - auc["lower"]) / 2).min())
    if pd.notna(worst) and pd.notna(half) and worst > BOUND_SHARE_OF_INTERVAL * half:
        return [f"binned AUC error bound is {worst:.2g}, over a tenth of the interval's half-width: raise "
                "--bins-per-logit or use --auc exact"]
    return []


def _metrics(spec: EvalSpec, metrics: Sequence[str] | str | None) -> list[str]:
    """The metrics to compare: those named (checked), or every score of the task that has an interval."""
    # every metric with a jackknife interval (a median has NULL bounds under --ci: not compared)
    available = [m.name for m in registry.metrics(spec.task)
                 if m.interval == registry.JACKKNIFE and m.name in output_columns(spec, spec.task)]
    if metrics is None:
        return [m for m in available if m not in intervals.NOT_A_SCORE]
    return identifiers.chosen(metrics, available)


def _named(spec: EvalSpec, name: str) -> EvalSpec:
    """The spec with its model column shown as ``name`` in messages only (e.g. "p_old or p_new")."""
    shown = copy.copy(spec)
    object.__setattr__(shown, _role(spec), name)
    return shown


def _estimates(frame: pd.DataFrame, model: int) -> pd.DataFrame:
    rows = frame.loc[(frame[MODEL] == model) & (frame[intervals.REPLICATE] == -1)]
    return rows.drop(columns=[MODEL, intervals.REPLICATE]).reset_index(drop=True)


def _checks(frame: pd.DataFrame, spec: EvalSpec, against: str, src: identifiers.Source) -> list[str]:
    """evaluate's invalid-row policy and warnings, on each model's estimate rows.

    A row is invalid when it is invalid for either model, so both copies carry the same counts: the
    policy is applied once, naming both columns; a warning about one model names that model.
    """
    first = getattr(spec, _role(spec))
    both = _named(spec, f"{first} or {against}")
    said = [evaluate_checks(_estimates(frame, m), both, src).attrs["warnings"] for m in (0, 1)]
    out = [w for w in said[0] if w.startswith("excluded ")]
    for model, (name, warnings) in enumerate(zip((first, against), said)):
        for warning in warnings:
            if warning.startswith("excluded "):
                continue
            if warning in said[1 - model]:
                if model == 0:
                    out.append(warning)
            else:
                out.append(f"{name}: {warning}")
    return out


def _key(values: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(None if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else v
                 for v in values)


def _differences(frame: pd.DataFrame, spec: EvalSpec, against: str, metrics: Sequence[str]) -> pd.DataFrame:
    first = getattr(spec, _role(spec))
    level, partitions = float(spec.ci), spec.partition_count
    groups = list(spec.by)
    sides = [{_key(values): (estimate, replicates)
              for values, estimate, replicates in intervals._split_keyed(
                  frame.loc[frame[MODEL] == m].drop(columns=[MODEL]), groups, partitions)} for m in (0, 1)]
    rows = []
    for key, (estimate, replicates) in sides[0].items():
        other, other_replicates = sides[1][key]
        where = intervals.where(groups, key)
        kept = intervals.occupied(estimate, replicates)  # both models read the same rows: one occupancy
        for metric in metrics:
            difference, lower, upper = intervals.paired(estimate[metric], other[metric], replicates[metric],
                                                        other_replicates[metric], level, partitions, kept)
            rows.append({**dict(zip(groups, key)), "rows": int(estimate["rows"]),
                         "metric": metric, first: _number(estimate[metric]), against: _number(other[metric]),
                         "difference": difference, "lower": lower, "upper": upper,
                         "reading": (f"{where}: " if where else "")
                         + reading(metric, first, against, difference, lower, upper,
                                   _scale(estimate[metric], other[metric]))})
    columns = groups + ["rows", "metric", first, against, "difference", "lower", "upper", "reading"]
    return pd.DataFrame(rows, columns=columns)


def _scale(*values: Any) -> float:
    return max([abs(float(v)) for v in values if v is not None and pd.notna(v)] or [1.0])


def _number(value: Any) -> float:
    return math.nan if value is None or pd.isna(value) else float(value)


def _decimals(lower: float, upper: float) -> int:
    """Decimals that show the interval's width to two significant digits (3 when it has no width, 6 at most)."""
    width = upper - lower
    if not math.isfinite(width) or width <= 0:
        return 3
    return min(6, max(0, 1 - math.floor(math.log10(width))))  # at most 6: below that is float noise


def reading(metric: str, first: str, against: str, difference: float, lower: float, upper: float,
            scale: float = 1.0) -> str:
    """One line: which model is better on ``metric`` (the interval of against - first excludes 0), or not.

    ``scale``: the size of the values compared (float noise below NOISE * scale is no difference)."""
    if math.isnan(difference):
        return f"{metric} is undefined (NULL) for {first} or {against} here: no comparison"
    if math.isnan(lower) or math.isnan(upper):
        return (f"no interval for {metric} (undefined in a jackknife replicate, or too few partitions hold rows): "
                f"{against} - {first} = {difference:+.4g}")
    d = _decimals(lower, upper)
    signed = f"{against} - {first} = {difference:+.{d}f} [{lower:.{d}f}, {upper:.{d}f}]"
    if metric in intervals.NOT_A_SCORE:
        return f"{metric} is a description, not a score: {signed}"
    where = side(lower, upper, scale)
    if where:
        against_better = where == (-1 if metric in intervals.LOWER_IS_BETTER else 1)
        winner = against if against_better else first
        size, low, high = (difference, lower, upper) if difference > 0 else (-difference, -upper, -lower)
        return f"{winner} is better on {metric} by {size:.{d}f} [{low:.{d}f}, {high:.{d}f}]"
    return f"no clear difference on {metric}: {signed}"
