"""Evaluate a predictions table in the warehouse: metrics, curves and a generalization verdict.

Every query reads the predictions table once and groups by ``by`` columns (per split, per
slice); windows only ever run over aggregated results.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import pandas as pd

from . import identifiers
from .engines import Engine
from .errors import BqmlToolsError, InvalidSplitSpec, UnknownColumn
from .keys import KeyColumn, kind_of, salt_component
from .splitting import source_schema
from .templates import Query, render

TASKS = ("regression", "binary", "multiclass")
# log loss clips probabilities to [EPS, 1 - EPS] with EPS the float64 machine epsilon, as
# scikit-learn's log_loss does (np.finfo(float64).eps; no renormalisation of multiclass rows).
CLIP = 2.220446049250313e-16
DEFAULT_THRESHOLD = 0.5
DEFAULT_TOP_K = 3
DEFAULT_BINS_PER_LOGIT = 10_000
DEFAULT_CI_BINS_PER_LOGIT = 1_000
BOUND_WARNING = 1e-4
BOUND_SHARE_OF_INTERVAL = 0.1  # with --ci: the bound's largest share of the interval's half-width
_NUMERIC = re.compile(r"^(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|"
                      r"UHUGEINT|INT64|FLOAT|FLOAT64|DOUBLE|REAL|NUMERIC|BIGNUMERIC|DECIMAL|BIGDECIMAL)\b", re.I)
_BOOL = re.compile(r"^BOOL(EAN)?$", re.I)
_STRINGY = re.compile(r"^(VARCHAR|STRING|TEXT)\b", re.I)


# Which options each task uses; an option given for a task that ignores it is refused (it would do
# nothing, silently). ``None`` means "not given" (the defaults apply where the option is used).
_OPTIONAL = ("prediction", "score", "probs", "threshold", "positive", "top_k", "auc", "bins_per_logit",
             "zero_division", "label_type")
DEFAULT_PARTITIONS = 20
# Options only `evaluate` (metrics) and `compare` use; every other command refuses them.
INTERVAL_OPTIONS = ("ci", "key", "partitions", "min_slice_rows")
# The jackknife partitions come from FARM_FINGERPRINT of the key string salted with this text, so they
# are independent of any split or sample made from the same key (those use the unsalted fingerprint).
PARTITION_SALT = "bqml_tools jackknife"
_USED_BY = {
    "regression": {"prediction", "zero_division"},
    "binary": {"score", "threshold", "positive", "auc", "bins_per_logit", "zero_division", "label_type"},
    "multiclass": {"prediction", "probs", "top_k", "zero_division", "label_type"},
}


def _flag(option: str) -> str:
    return "--" + option.replace("_", "-")


def _refuse_unused(given: Sequence[str], what: str) -> None:
    """One line naming every given option that ``what`` does not use."""
    if given:
        one = len(given) == 1
        raise BqmlToolsError(f"{', '.join(map(_flag, given))} {'does' if one else 'do'} nothing for {what}: "
                             f"leave {'it' if one else 'them'} out")


@dataclass(frozen=True)
class EvalSpec:
    """What to evaluate. ``prediction`` for regression and multiclass, ``score`` for binary.

    ``invalid``: ``"error"`` (default: refuse, with counts) or ``"exclude"`` (drop and count).
    ``auc``: ``"exact"`` or ``"binned"``; the default is the same on every engine (``auc_mode``): exact
    for evaluate, binned for curves, threshold search and intervals.
    ``zero_division``: ``"null"`` (default) or ``"sklearn"`` (0, and r2's force_finite rule).
    ``label_type``: the label's type when no engine can be asked (printing SQL only).
    Options left at ``None`` take their defaults (threshold 0.5, top_k 3, bins_per_logit 10,000, or
    1,000 with ``ci``, zero_division "null"); an option the task does not use is refused rather than ignored.
    ``weight``: a column of row weights (numbers >= 0), as scikit-learn's ``sample_weight``.
    ``ci``: a confidence level (e.g. 0.95): each metric gets ``<metric>_lower`` and ``<metric>_upper``
    from a delete-a-group jackknife over ``partitions`` (default 20) partitions of the rows by
    FARM_FINGERPRINT of ``key`` (needed with ``ci``; a key's rows stay in one partition).
    ``min_slice_rows``: with ``by``, groups with fewer rows are reported as too small.
    """

    task: str
    label: str
    prediction: str | None = None
    score: str | None = None
    by: Sequence[str] = ()
    threshold: float | None = None
    positive: Any = None
    probs: str | None = None
    top_k: int | None = None
    invalid: str = "error"
    auc: str | None = None
    bins_per_logit: int | None = None
    zero_division: str | None = None
    label_type: str | None = None
    weight: str | None = None
    ci: float | None = None
    key: Sequence[str] = ()
    partitions: int | None = None
    min_slice_rows: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.key, str):
            object.__setattr__(self, "key", (self.key,))
        elif isinstance(self.key, (list, tuple)):
            object.__setattr__(self, "key", tuple(self.key))
        else:
            raise BqmlToolsError(f"key {self.key!r} must be a column name or a list of column names")
        if isinstance(self.by, str):
            object.__setattr__(self, "by", (self.by,))
        elif isinstance(self.by, (list, tuple)):
            object.__setattr__(self, "by", tuple(self.by))
        else:
            raise BqmlToolsError(f"by {self.by!r} must be a column name or a list of column names")
        if self.task not in TASKS:
            raise BqmlToolsError(f"task {self.task!r} is not one of: {', '.join(TASKS)}")
        identifiers.column(self.label, "label column")
        needed = "score" if self.task == "binary" else "prediction"
        if getattr(self, needed) is None:
            raise BqmlToolsError(f"task {self.task} needs --{needed} COLUMN")
        _refuse_unused([o for o in _OPTIONAL if getattr(self, o) is not None and o not in _USED_BY[self.task]],
                       f"task {self.task}")
        if self.top_k is not None and self.probs is None:
            raise BqmlToolsError("--top-k needs --probs COLUMN (top_k_accuracy ranks the probabilities)")
        if self.bins_per_logit is not None and self.auc == "exact":
            raise BqmlToolsError("--bins-per-logit does nothing with --auc exact: leave one of them out")
        for role in ("prediction", "score", "probs"):
            if getattr(self, role) is not None:
                identifiers.column(getattr(self, role), f"{role} column")
        for column in self.by:
            identifiers.column(column, "group (--by) column")
        roles = ("label", "prediction", "score", "probs")
        identifiers.refuse_reserved_options([(_flag(r), getattr(self, r)) for r in roles] + [("--by", c) for c in self.by])
        lowered = [c.lower() for c in self.by]
        if len(set(lowered)) != len(lowered):
            raise BqmlToolsError(f"--by columns repeat (names are case-insensitive): {', '.join(self.by)}")
        if self.threshold is not None and (
                isinstance(self.threshold, bool) or not isinstance(self.threshold, (int, float))
                or math.isnan(self.threshold) or not 0 <= float(self.threshold) <= 1):
            raise BqmlToolsError(f"threshold {self.threshold!r} must be a number in [0, 1]")
        if self.invalid not in ("error", "exclude"):
            raise BqmlToolsError(f"invalid-rows policy {self.invalid!r} is not one of: error, exclude")
        if self.auc not in (None, "exact", "binned"):
            raise BqmlToolsError(f"AUC mode {self.auc!r} is not one of: exact, binned")
        if self.zero_division not in (None, "null", "sklearn"):
            raise BqmlToolsError(f"zero-division convention {self.zero_division!r} is not one of: null, sklearn")
        if self.top_k is not None and (isinstance(self.top_k, bool) or not isinstance(self.top_k, int) or self.top_k < 1):
            raise BqmlToolsError(f"top-k {self.top_k!r} must be a whole number >= 1")
        if self.bins_per_logit is not None and (isinstance(self.bins_per_logit, bool)
                                                or not isinstance(self.bins_per_logit, int)
                                                or not 1 <= self.bins_per_logit <= 10**7):
            raise BqmlToolsError(f"bins per logit unit {self.bins_per_logit!r} must be from 1 to 10,000,000")
        self._check_intervals()
        if isinstance(self.positive, str) and not self.positive.isprintable():
            raise BqmlToolsError(f"positive label {self.positive!r} must be printable text")
        if self.positive is not None and not isinstance(self.positive, (str, int, float)) \
                or isinstance(self.positive, float) and not math.isfinite(self.positive):
            raise BqmlToolsError(f"positive label {self.positive!r} must be a finite number, text or a boolean")

    def _check_intervals(self) -> None:
        """--ci LEVEL, --key, --partitions, --weight and --min-slice-rows."""
        if self.weight is not None:
            identifiers.column(self.weight, "weight column")
        for column in self.key:
            identifiers.column(column, "key column")
        identifiers.refuse_reserved_options([("--weight", self.weight)] + [("--key", c) for c in self.key])
        if self.ci is not None:
            if isinstance(self.ci, bool) or not isinstance(self.ci, (int, float)) or not 0 < float(self.ci) < 1:
                raise BqmlToolsError(f"--ci {self.ci!r} must be a confidence level between 0 and 1, e.g. 0.95")
            if not self.key:
                raise BqmlToolsError(
                    "--ci needs --key COLUMN: intervals come from partitions of the rows by FARM_FINGERPRINT of a "
                    "key; give a row id, or a user id to keep each user's rows together")
            if self.zero_division == "sklearn":
                raise BqmlToolsError("--zero-division sklearn puts 0 where a metric is undefined, and an interval made "
                                     "from those zeros would be wrong: leave --zero-division out with --ci")
            lowered = [c.lower() for c in self.key]
            if len(set(lowered)) != len(lowered):
                raise BqmlToolsError(f"--key columns repeat (names are case-insensitive): {', '.join(self.key)}")
        elif self.key or self.partitions is not None:
            given = "--key" if self.key else "--partitions"
            raise BqmlToolsError(f"{given} does nothing without --ci LEVEL (e.g. --ci 0.95): add it, or leave {given} out")
        if self.partitions is not None and (isinstance(self.partitions, bool) or not isinstance(self.partitions, int)
                                            or not 5 <= self.partitions <= 1000):
            raise BqmlToolsError(f"--partitions {self.partitions!r} must be a whole number from 5 to 1,000 (default 20)")
        if self.min_slice_rows is not None:
            if isinstance(self.min_slice_rows, bool) or not isinstance(self.min_slice_rows, int) \
                    or self.min_slice_rows < 1:
                raise BqmlToolsError(f"--min-slice-rows {self.min_slice_rows!r} must be a whole number >= 1")
            if not self.by:
                raise BqmlToolsError("--min-slice-rows needs --by COLUMN: it marks the slices (groups) that are too small")

    @property
    def columns(self) -> list[str]:
        cols = [self.label] + [c for c in (self.prediction, self.score, self.probs) if c] + list(self.by)
        cols += [c for c in (self.weight,) if c] + list(self.key)
        return list(dict.fromkeys(cols))

    @property
    def partition_count(self) -> int:
        return DEFAULT_PARTITIONS if self.partitions is None else self.partitions

    def refuse(self, options: Sequence[str], what: str) -> None:
        """Refuse the options in ``options`` that are given: ``what`` does not use them."""
        _refuse_unused([o for o in options if getattr(self, o) not in (None, ())], what)


def _check_types(spec: EvalSpec, schema: Mapping[str, str]) -> dict[str, Any]:
    """Check columns and types; return the type facts the templates need."""
    identifiers.refuse_reserved(schema, "the source")
    for column in spec.columns:
        if column not in schema:
            raise UnknownColumn(f"column {column!r} is not in the source; it has: {', '.join(schema) or '(no columns)'}")
    label_type = schema[spec.label]
    out: dict[str, Any] = {}
    if spec.weight is not None and not _NUMERIC.match(schema[spec.weight]):
        raise BqmlToolsError(f"weight column {spec.weight!r} is {schema[spec.weight]}: it must hold numbers >= 0")
    if spec.task == "regression":
        for column in (spec.label, spec.prediction):
            if not _NUMERIC.match(schema[column]):
                raise BqmlToolsError(f"regression needs numeric columns: {column!r} is {schema[column]}")
    if spec.task == "binary":
        if not _NUMERIC.match(schema[spec.score]):
            raise BqmlToolsError(f"score column {spec.score!r} is {schema[spec.score]}: it must hold probabilities in [0, 1]")
        out.update(_label_mode(spec, label_type))
    if spec.task == "multiclass":
        kinds = {c: _kind(schema[c]) for c in (spec.label, spec.prediction)}
        if kinds[spec.label] != kinds[spec.prediction]:
            raise BqmlToolsError(
                f"label {spec.label!r} is {schema[spec.label]} but prediction {spec.prediction!r} is "
                f"{schema[spec.prediction]}: cast one so both hold the same kind of class value"
            )
        if spec.probs and not re.search(r"STRUCT.*prob", schema[spec.probs], re.I | re.S):
            raise BqmlToolsError(
                f"probabilities column {spec.probs!r} is {schema[spec.probs]}: it must be an "
                "ARRAY<STRUCT<label, prob>> like ML.PREDICT's predicted_<label>_probs"
            )
        out["class_numeric"] = kinds[spec.label] == "number"
    return out


def _kind(sql_type: str) -> str:
    return ("string" if _STRINGY.match(sql_type) else "bool" if _BOOL.match(sql_type) else
            "number" if _NUMERIC.match(sql_type) else sql_type)


def _label_mode(spec: EvalSpec, label_type: str | None) -> dict[str, Any]:
    """How the binary templates read the label: its mode, the positive value, whether it is numeric."""
    if spec.positive is not None:
        positive = spec.positive
        if label_type is not None and not _STRINGY.match(label_type) and isinstance(positive, str):
            try:
                positive = int(positive) if re.fullmatch(r"-?\d+", positive) else float(positive)
            except ValueError:
                raise BqmlToolsError(f"--positive {spec.positive!r} is not a value of the {label_type} label {spec.label!r}") from None
            if not math.isfinite(positive):
                raise BqmlToolsError(f"--positive {spec.positive!r} must be a finite value of the label {spec.label!r}")
        elif label_type is None and isinstance(positive, str) and re.fullmatch(r"-?\d+", positive):
            positive = int(positive)
        numeric = (label_type is not None and bool(_NUMERIC.match(label_type))) if label_type is not None else \
            isinstance(positive, (int, float)) and not isinstance(positive, bool)
        return {"label_mode": "positive", "positive": positive, "label_numeric": numeric}
    if label_type is not None and _BOOL.match(label_type):
        return {"label_mode": "bool", "positive": None, "label_numeric": False}
    if label_type is not None and not _NUMERIC.match(label_type):
        raise BqmlToolsError(
            f"label {spec.label!r} is {label_type}: pass --positive VALUE to name the positive class"
        )
    return {"label_mode": "binary", "positive": None, "label_numeric": True}


def _header(spec: EvalSpec, source: identifiers.Source, what: str, mode: str | None) -> list[str]:
    threshold = DEFAULT_THRESHOLD if spec.threshold is None else spec.threshold
    lines = [f"bqml_tools {what} of {source}: task {spec.task}, label {spec.label}"
             + (f", score {spec.score}" if spec.task == "binary" else "")
             + (f" (positive when >= {threshold})" if what == "evaluate" and spec.task == "binary" else "")
             + (f", prediction {spec.prediction}" if spec.prediction else "")]
    if spec.by and spec.ci is None:
        lines.append(f"one row per {', '.join(spec.by)}; one scan of the table")
    elif spec.by:
        lines.append(f"per {', '.join(spec.by)}; one scan of the table")
    if spec.weight is not None:
        lines.append(f"rows weighted by {spec.weight} (scikit-learn's sample_weight); rows stays a count of rows")
    if mode:
        lines.append("AUC: exact (ties count half)" if mode == "exact" else
                     f"AUC: scores binned on the logit scale ({_bins_per_logit(spec)} bins per unit); "
                     "roc_auc_error_bound bounds the error")
    return lines


def _bins_per_logit(spec: EvalSpec) -> int:
    if spec.bins_per_logit is not None:
        return spec.bins_per_logit
    # intervals: every replicate windows its own copy of the bins (K + 2 copies), so 10x coarser bins
    # keep --ci within ~3x a plain evaluate at 1M continuous scores (BENCHMARKS.md); the bound is reported
    return DEFAULT_CI_BINS_PER_LOGIT if spec.ci is not None else DEFAULT_BINS_PER_LOGIT


def auc_mode(spec: EvalSpec, what: str) -> str:
    """``spec.auc``, or the default of statement ``what``: the same on every engine (BENCHMARKS.md,
    "One default on both engines"). evaluate: exact AUC and average precision (BigQuery's plan
    windows per logit bucket, _binary.sql, so it scales). Curves and threshold search: logit bins, a
    bounded set of points and candidates (their bound is printed), exact on request. With intervals:
    bins, as every replicate would window its own copy of every distinct score."""
    if spec.auc is not None:
        return spec.auc
    return "binned" if spec.ci is not None or what in ("curve", "threshold") else "exact"


@dataclass(frozen=True)
class _Partitions:
    """What the templates need to put each row in its jackknife partition (_common.sql, pseudo_in)."""

    key: list[KeyColumn]
    partitions: int
    salt: str


def _key_columns(spec: EvalSpec, schema: Mapping[str, str] | None, dialect: str) -> list[KeyColumn]:
    if schema is None:
        return [KeyColumn(c, None) for c in spec.key]
    for column in spec.key:
        if column not in schema:
            raise UnknownColumn(f"key column {column!r} is not in the source; it has: {', '.join(schema)}")
    return [KeyColumn(c, kind_of(schema[c], dialect, c)) for c in spec.key]


def _context(source: identifiers.Source, spec: EvalSpec, dialect: str, schema: Mapping[str, str] | None,
             inline: bool, what: str, *, against: str | None = None) -> dict[str, Any]:
    mode = auc_mode(spec, what)
    pseudo = (["_bqml_all"] if spec.min_slice_rows is not None and spec.ci is not None else []) \
        + (["_bqml_model"] if against else []) + (["_bqml_rep"] if spec.ci is not None else [])
    context: dict[str, Any] = dict(
        src=source, by=list(spec.by), label=spec.label, prediction=spec.prediction, score=spec.score,
        probs=spec.probs, top_k=DEFAULT_TOP_K if spec.top_k is None else spec.top_k,
        threshold=float(DEFAULT_THRESHOLD if spec.threshold is None else spec.threshold), mode=mode,
        bins_per_logit=_bins_per_logit(spec), clip=CLIP, zero_division=spec.zero_division or "null",
        guard=inline and spec.invalid == "error", class_numeric=False,
        header_lines=_header(spec, source, what, mode if spec.task == "binary" and what in ("evaluate", "curve") else None),
        pseudo=pseudo, against=against, weight=spec.weight,
        ci=_Partitions(_key_columns(spec, schema, dialect), spec.partition_count,
                       salt_component(PARTITION_SALT)) if spec.ci is not None else None,
    )
    if spec.ci is not None:
        k = spec.partition_count
        context["header_lines"] += [
            f"intervals: {k + 2} rows per group, told apart by _bqml_rep: -1 is the estimate (every row), r = 0..{k - 1} "
            f"every row outside partition r, -2 every row whose key is not NULL",
            f"a row's partition: ABS(MOD(FARM_FINGERPRINT(s), {k})), s = '{salt_component(PARTITION_SALT)}' followed by "
            f"each key column ({', '.join(spec.key)}) as <length>:<canonical text> (as split writes a salted key)",
            f"the interval of a metric m: m(-1) +- t(K'-1, (1 + level) / 2) * sqrt((K'-1)/K' * sum over r of (m(r) - "
            f"mean m(r))^2), over the K' partitions that hold rows (bqml_tools.intervals; README, How sure is the metric?)"]
        if "_bqml_all" in pseudo:
            context["header_lines"].append("slices: every row is counted in its slice (_bqml_all = 0) and in the whole "
                                           f"(_bqml_all = 1, {', '.join(spec.by)} NULL)")
    if schema is not None:
        context.update(_check_types(spec, schema))
    elif spec.task == "binary":
        context.update(_label_mode(spec, spec.label_type))
    elif spec.task == "multiclass" and spec.label_type is not None:
        context["class_numeric"] = _kind(spec.label_type) == "number"
    return context


def _src(source: str | identifiers.Source) -> identifiers.Source:
    return source if isinstance(source, identifiers.Source) else identifiers.source(source)


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


# The imbalance guard: accuracy must remove at least this share of the constant predictor's errors.
IMBALANCE_MARGIN = 0.1


def _refuse_output_names(spec: EvalSpec, what: str, command: str) -> None:
    outputs = {c.lower() for c in output_columns(spec, what)}
    if spec.min_slice_rows is not None:  # the columns bqml_tools.slices adds
        outputs |= {"slice", "worse_than_whole"}
    clashing = [c for c in spec.by if c.lower() in outputs]
    if clashing:
        raise BqmlToolsError(
            f"group column {clashing[0]!r} has the name of a column {command} returns; rename it in a view "
            f"first (SELECT *, {clashing[0]} AS {clashing[0]}_group FROM ...) and group by the new name"
        )


def evaluate_query(source: str | identifiers.Source, spec: EvalSpec, dialect: str, *,
                   engine: Engine | None = None, view: str = "metrics", inline: bool = True) -> Query:
    """The metrics statement (or, for multiclass, the per-class or confusion-matrix view)."""
    src = _src(source)
    if view != "metrics" and spec.task != "multiclass":
        raise BqmlToolsError(f"view {view!r} is for multiclass evaluation; {spec.task} has metrics only")
    if view not in VIEWS:
        raise BqmlToolsError(f"view {view!r} is not one of: {', '.join(VIEWS)}")
    if view != "metrics":
        spec.refuse((["probs", "top_k", "zero_division"] if view == "confusion" else ["probs", "top_k"])
                    + list(INTERVAL_OPTIONS), f"--view {view}")
    _refuse_output_names(spec, spec.task if view == "metrics" else view, "evaluate")
    schema = source_schema(engine, src) if engine is not None else None
    template = VIEWS[view] or f"evaluate/{spec.task}.sql"
    return render(template, dialect, inline=inline, **_context(src, spec, dialect, schema, inline, "evaluate"))


def _attach(frame: pd.DataFrame, warnings: list[str]) -> pd.DataFrame:
    frame.attrs["warnings"] = warnings
    return frame


def _group_counts(frame: pd.DataFrame, spec: EvalSpec, columns: Sequence[str]) -> dict[str, int]:
    """Per-group counts repeated on each row of a group (curves), summed over groups."""
    firsts = frame.drop_duplicates(subset=list(spec.by)) if spec.by else frame.head(1)
    return {c: int(firsts[c].fillna(0).sum()) for c in columns}


def _check_invalid(counts: Mapping[str, int], valid: int, spec: EvalSpec, source: identifiers.Source) -> list[str]:
    """Refuse (policy 'error') or report (policy 'exclude') invalid rows; the same words for every command."""
    if valid + sum(counts.values()) == 0:
        raise BqmlToolsError(f"no rows to evaluate in {source}: the table is empty")
    probs = f", or a true-class probability in {spec.probs} that is NaN or outside [0, 1]" if spec.probs else ""
    messages = {
        "invalid_rows": f"row(s) have a NULL, NaN or infinite label ({spec.label}) or prediction ({spec.prediction}){probs}"
        if spec.task == "regression" else f"row(s) have a NULL label ({spec.label}) or prediction ({spec.prediction}){probs}",
        "invalid_label_rows": f"row(s) have a NULL label or one that is not binary in {spec.label}"
                              + ("" if spec.positive is not None else " (pass --positive VALUE for other labels)"),
        "invalid_score_rows": f"row(s) have a NULL, NaN or infinite score or one outside [0, 1] in {spec.score}",
        "invalid_weight_rows": f"row(s) have a NULL, NaN, infinite or negative weight in {spec.weight}",
    }
    found = [f"{n:,} {messages[c]}" for c, n in counts.items() if n]
    if found and spec.invalid == "error":
        raise BqmlToolsError("; ".join(found) + ": fix them, or pass --invalid exclude to leave them out and count them")
    return [f"excluded {m}" for m in found]


def _check_positive(spec: EvalSpec, positives: float, valid: int) -> None:
    """``positives``: the positive rows, or their total weight (0 only when every such row weighs 0)."""
    if spec.positive is not None and valid > 0 and positives == 0:
        weighed = f" with a weight above 0 in {spec.weight}" if spec.weight is not None else ""
        raise BqmlToolsError(
            f"--positive {spec.positive!r}: no evaluated row{weighed} has this value in {spec.label}; "
            "check the value (and its type) against the label's values"
        )


def evaluate(engine: Engine, source: str | identifiers.Source, spec: EvalSpec, *,
             view: str = "metrics") -> pd.DataFrame:
    """Run the evaluation; returns one row per group (``frame.attrs['warnings']`` lists warnings)."""
    src = _src(source)
    query = evaluate_query(src, spec, engine.dialect, engine=engine, view=view, inline=False)
    frame = engine.run(query)
    if spec.ci is not None:
        return _with_intervals(frame, spec, src)
    if view != "metrics":
        # the same invalid-row rule as the metrics: the statement carries the counts on its rows
        counts = _group_counts(frame, spec, view_counts(spec))
        valid = counts.pop("group_rows")
        warnings = _check_invalid(counts, valid, spec, src)
        frame = frame.loc[frame["group_rows"] > 0].drop(columns=list(view_counts(spec))).reset_index(drop=True)
        return _attach(frame, warnings)
    # the statement's own columns only: a group column may carry another statement's name (invalid_rows)
    checked = evaluate_checks(frame, spec, src)
    if spec.min_slice_rows is not None:  # too-small slices only: the whole comes with --ci
        from . import slices

        return slices.report(checked, None, frame, spec)
    return checked


def _with_intervals(frame: pd.DataFrame, spec: EvalSpec, src: identifiers.Source) -> pd.DataFrame:
    """The estimate of each group with its jackknife interval per metric (bqml_tools.intervals).

    The statement returns K + 2 rows per group (and, for slices, per copy: the slice and the whole);
    the checks and warnings read the estimate rows of the slices, exactly as without --ci.
    """
    from . import intervals

    whole = "_bqml_all" in frame.columns
    groups = list(spec.by) + (["_bqml_all"] if whole else [])
    slices_only = frame.loc[frame["_bqml_all"] == 0].drop(columns=["_bqml_all"]) if whole else frame
    combined = intervals.jackknife(frame, groups, intervals.METRICS[spec.task], float(spec.ci), spec.partition_count)
    estimates = combined.loc[combined["_bqml_all"] == 0].drop(columns=["_bqml_all"]) if whole else combined
    checked = evaluate_checks(estimates.reset_index(drop=True), spec, src)
    intervals.refuse_null_keys(slices_only, spec.key)
    checked.attrs["ci"] = float(spec.ci)  # the level, for readers and plots
    checked.attrs["warnings"] += intervals.sparse_warnings(slices_only, list(spec.by), spec.partition_count, spec.key)
    if spec.task == "regression":
        checked.attrs["warnings"].append("median_absolute_error has no interval: the jackknife is not valid for "
                                         "a median")
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
    warnings = _check_invalid(counts, valid, spec, src)
    weightless = _weightless(frame, spec)
    if weightless.any():
        where = "" if not spec.by else " (" + "; ".join(
            ", ".join(f"{c}={row[c]}" for c in spec.by) for _, row in frame.loc[weightless].iterrows()) + ")"
        warnings.append(f"{int(weightless.sum())} group(s){where} weigh 0 in total (every weight in {spec.weight} is 0 "
                        "there): their metrics are NULL")
    if spec.task == "regression" and (frame["negative_rows"].fillna(0) > 0).any():
        warnings.append("mean_squared_log_error is NULL where labels or predictions are negative")
    if spec.task == "binary":
        _check_positive(spec, float(frame["positives"].fillna(0).sum()), valid)
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
    if spec.task in ("binary", "multiclass"):
        warnings += imbalance_warnings(frame, spec)
    return _attach(frame, warnings)


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
            where = f" ({', '.join(f'{c}={row[c]}' for c in spec.by)})" if spec.by else ""
            removes = (f"it removes {gain:.0%} of its errors, under {IMBALANCE_MARGIN:.0%}" if gain >= 0.005 else
                       "it removes next to none of its errors" if gain > -0.005 else f"it makes {-gain:.0%} more errors")
            out.append(f"accuracy {accuracy:.4g}{where} is no real gain over {baseline:.4g}, the accuracy of always "
                       f"predicting the majority class ({removes}): read {better} instead")
    return out


CURVES = ("roc", "pr", "thresholds", "calibration")
# What each curve ignores among the binary options (given, they are refused).
_CURVE_UNUSED = {"roc": ("threshold", "zero_division"), "pr": ("threshold", "zero_division"),
                 "thresholds": ("threshold", "auc", "bins_per_logit"),
                 "calibration": ("threshold", "auc", "bins_per_logit", "zero_division")}


def curve_unused(kind: str) -> tuple[str, ...]:
    """The EvalSpec options curve ``kind`` does not use (given, they are refused)."""
    return _CURVE_UNUSED[kind]


def curve_query(source: str | identifiers.Source, spec: EvalSpec, kind: str, dialect: str, *,
                engine: Engine | None = None, steps: int = 100, bins: int = 10, inline: bool = True) -> Query:
    if spec.task != "binary":
        raise BqmlToolsError(f"curves are for binary classification, not {spec.task}")
    if kind not in CURVES:
        raise BqmlToolsError(f"curve {kind!r} is not one of: {', '.join(CURVES)}")
    for name, value in (("steps", steps), ("bins", bins)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100_000:
            raise BqmlToolsError(f"--{name} {value!r} must be a whole number from 1 to 100,000")
    spec.refuse(_CURVE_UNUSED[kind] + INTERVAL_OPTIONS, f"curve {kind}")
    _refuse_output_names(spec, kind, f"curve {kind}")
    src = _src(source)
    schema = source_schema(engine, src) if engine is not None else None
    context = _context(src, spec, dialect, schema, inline, "curve" if kind in ("roc", "pr") else kind)
    template = "evaluate/curve.sql" if kind in ("roc", "pr") else f"evaluate/{kind}.sql"
    return render(template, dialect, inline=inline, kind=kind, steps=steps, bins=bins, **context)


def curve(engine: Engine, source: str | identifiers.Source, spec: EvalSpec, kind: str, *,
          steps: int = 100, bins: int = 10) -> pd.DataFrame:
    """ROC / PR curve points, a threshold sweep, or a calibration table, per group.

    Invalid rows are refused or excluded and counted exactly as ``evaluate`` does; the counts
    the statement carries on each row are checked here and then dropped.
    """
    src = _src(source)
    frame = engine.run(curve_query(src, spec, kind, engine.dialect, engine=engine, steps=steps,
                                   bins=bins, inline=False))
    counts = _group_counts(frame, spec, binary_counts(spec))
    positives, valid = counts.pop("positives"), counts.pop("group_rows")
    # a group with no valid row keeps one row (roc, pr, calibration) or a sweep of zeros
    # (thresholds) so that its counts reach this check; it has no curve
    empty = frame["group_rows"] == 0
    warnings = _check_invalid(counts, valid, spec, src)
    _check_positive(spec, positives, valid)
    frame = frame.loc[~empty].drop(columns=list(binary_counts(spec))).reset_index(drop=True)
    return _attach(frame, warnings)


@dataclass(frozen=True)
class Thresholds:
    """When the read-out says under-fitting or over-fitting (see README, "Diagnose").

    ``underfit_skill`` in [0, 1]: under-fitting when train error removes less than this share of
    the baseline's. ``overfit_gap`` >= 0: over-fitting when validation error exceeds train error by
    more than this share of the baseline's. Both finite numbers; anything else is refused.
    """

    underfit_skill: float = 0.1
    overfit_gap: float = 0.1

    def __post_init__(self) -> None:
        for name, low, high in (("underfit_skill", 0.0, 1.0), ("overfit_gap", 0.0, math.inf)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or not low <= value <= high:
                bound = f"from {low:g} to {high:g}" if math.isfinite(high) else f">= {low:g}"
                raise BqmlToolsError(f"--{name.replace('_', '-')} {value!r} must be a finite number {bound}")


_ERRORS = {"regression": ("rmse", "rmse", "baseline_rmse"),
           "binary": ("log_loss", "log_loss", "baseline_log_loss"),
           "multiclass": ("error_rate", "accuracy", "baseline_accuracy")}


def diagnose(engine: Engine, source: str | identifiers.Source, spec: EvalSpec, *, split_column: str = "split",
             train: str = "train", valid: str = "valid",
             thresholds: Thresholds | None = None) -> pd.DataFrame:
    """Train vs validation error against a constant predictor: under-fit, over-fit or good fit.

    ``skill`` compares the train error with the constant predictor's on train (the mean label,
    the base rate, the majority class of train); ``valid_skill`` compares the validation error
    with the best constant predictor's on the validation rows (their own mean, base rate or
    majority class): at or below 0 the model does no better than a constant on validation.
    """
    thresholds = thresholds or Thresholds()
    if not isinstance(thresholds, Thresholds):
        raise BqmlToolsError(f"thresholds {thresholds!r} must be a bqml_tools.evaluation.Thresholds")
    identifiers.column(split_column, "split column")
    if spec.by:
        raise BqmlToolsError(f"diagnose groups by the split column ({split_column}) itself: leave --by out "
                             "(evaluate --by gives the metrics per group)")
    spec.refuse(["threshold", "probs", "top_k", "auc", "bins_per_logit", "zero_division", *INTERVAL_OPTIONS],
                "diagnose (it compares rmse, log loss or accuracy per split)")
    grouped = EvalSpec(**{**spec.__dict__, "by": (split_column,)})
    frame = evaluate(engine, source, grouped).set_index(split_column)
    for name in (train, valid):
        if name not in frame.index:
            raise InvalidSplitSpec(
                f"split {name!r} has no rows in column {split_column!r}; it has: "
                f"{', '.join(map(str, frame.index)) or '(none)'}"
            )
    metric, column, baseline_column = _ERRORS[spec.task]

    def error(split: str, col: str) -> float:
        value = frame.loc[split, col]
        value = float("nan") if pd.isna(value) else float(value)
        return 1 - value if spec.task == "multiclass" else value

    train_error, valid_error = error(train, column), error(valid, column)
    baseline, valid_baseline = error(train, baseline_column), error(valid, baseline_column)
    skill = 1 - train_error / baseline if baseline > 0 else float("nan")
    gap = (valid_error - train_error) / baseline if baseline > 0 else float("nan")
    valid_skill = 1 - valid_error / valid_baseline if valid_baseline > 0 else float("nan")
    no_skill = (f"{valid} {metric} {valid_error:.4g} is no better than a constant predictor's "
                f"{valid_baseline:.4g} on {valid} (valid_skill {valid_skill:.1%})") if valid_skill <= 0 else ""
    if math.isnan(skill) and spec.weight is not None and math.isnan(baseline):
        verdict, reason = "undetermined", f"the {train} rows weigh 0 in total (every weight in {spec.weight} is 0)"
    elif math.isnan(skill):
        verdict, reason = "undetermined", "the train labels are constant: a constant predictor is perfect"
    elif skill < thresholds.underfit_skill:
        verdict = "under-fitting"
        reason = (f"train {metric} {train_error:.4g} removes only {skill:.1%} of the constant "
                  f"predictor's {baseline:.4g} (needs {thresholds.underfit_skill:.0%})")
    elif gap > thresholds.overfit_gap:
        verdict = "over-fitting"
        reason = (f"{valid} {metric} {valid_error:.4g} exceeds train {train_error:.4g} by "
                  f"{gap:.1%} of the baseline's {baseline:.4g} (allowed {thresholds.overfit_gap:.0%})")
    elif no_skill:
        verdict = "no skill on validation"
        reason = (f"train {metric} {train_error:.4g} removes {skill:.1%} of the constant predictor's "
                  f"{baseline:.4g} and the gap is {gap:.1%}, but {no_skill}")
        no_skill = ""
    else:
        verdict = "good fit"
        reason = (f"train {metric} {train_error:.4g} removes {skill:.1%} of the constant predictor's "
                  f"{baseline:.4g}; {valid} {metric} {valid_error:.4g} is within "
                  f"{thresholds.overfit_gap:.0%} of the baseline of train's (gap {gap:.1%})")
    if no_skill:
        reason += f"; {no_skill}"
    return _attach(pd.DataFrame([{
        "metric": metric, "train": train_error, "valid": valid_error, "baseline": baseline,
        "skill": skill, "gap": gap, "valid_baseline": valid_baseline, "valid_skill": valid_skill,
        "verdict": verdict, "reason": reason,
        "train_rows": int(frame.loc[train, "rows"]), "valid_rows": int(frame.loc[valid, "rows"]),
    }]), [w for w in frame.attrs.get("warnings", [])  # the rest is about unused metrics
          if w.startswith("excluded") or w.startswith("accuracy") and any(f"={s})" in w for s in (train, valid))])
