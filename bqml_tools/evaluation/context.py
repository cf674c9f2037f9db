"""The template context of an evaluation statement: its header lines, AUC mode and jackknife partitions."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..core import identifiers
from ..core.keys import KeyColumn, kind_of, salt_component
from ..errors import UnknownColumn
from . import filters
from .checks import check_types, label_mode, value_kind
from .spec import (CLIP, DEFAULT_BINS_PER_LOGIT, DEFAULT_CI_BINS_PER_LOGIT, DEFAULT_THRESHOLD, DEFAULT_TOP_K,
                   PARTITION_SALT, PROB_SUM_TOLERANCE, EvalSpec)


def _header(spec: EvalSpec, source: identifiers.Source, what: str, mode: str | None) -> list[str]:
    threshold = DEFAULT_THRESHOLD if spec.threshold is None else spec.threshold
    lines = [f"bqml_tools {what} of {source}: task {spec.task}, label {spec.label}"
             + (f", score {spec.score_name}" if spec.task == "binary" else "")
             + (f" (positive when >= {threshold})" if what == "evaluate" and spec.task == "binary" else "")
             + (f", prediction {spec.prediction}" if spec.prediction else "")]
    if spec.where:
        lines.append(f"rows where {filters.describe(spec.where)}")
    if spec.by and spec.ci is None:
        lines.append(f"one row per {', '.join(spec.by)}; one scan of the table")
    elif spec.by:
        lines.append(f"per {', '.join(spec.by)}; one scan of the table")
    if spec.weight is not None:
        lines.append(f"rows weighted by {spec.weight} (scikit-learn's sample_weight); rows stays a count of rows")
    if mode:
        lines.append("AUC: exact (ties count half)" if mode == "exact" else
                     f"AUC: scores binned on the logit scale ({bins_per_logit(spec)} bins per unit); "
                     "roc_auc_error_bound bounds the error")
    return lines


def bins_per_logit(spec: EvalSpec) -> int:
    """The logit-bin resolution of binned AUC, curves and threshold search (coarser with intervals)."""
    if spec.bins_per_logit is not None:
        return spec.bins_per_logit
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


def template_context(source: identifiers.Source, spec: EvalSpec, dialect: str, schema: Mapping[str, str] | None,
                     inline: bool, what: str, *, against: str | None = None) -> dict[str, Any]:
    """What the templates of ``what`` (evaluate, curve, a curve kind, compare, threshold) get: columns,
    options with their defaults, the AUC mode, the header lines, and with ``ci`` the jackknife partitions.
    ``schema`` (None when printing SQL without an engine) is checked here first."""
    mode = auc_mode(spec, what)
    pseudo = (["_bqml_all"] if spec.min_slice_rows is not None and spec.ci is not None else []) \
        + (["_bqml_model"] if against else []) + (["_bqml_rep"] if spec.ci is not None else [])
    context: dict[str, Any] = dict(
        src=source, by=list(spec.by), label=spec.label, prediction=spec.prediction, score=spec.score,
        probs=spec.probs, top_k=DEFAULT_TOP_K if spec.top_k is None else spec.top_k,
        threshold=float(DEFAULT_THRESHOLD if spec.threshold is None else spec.threshold), mode=mode,
        bins_per_logit=bins_per_logit(spec), clip=CLIP, prob_tolerance=PROB_SUM_TOLERANCE, zero_division=spec.zero_division or "null",
        guard=inline and spec.invalid == "error", class_numeric=False,
        header_lines=_header(spec, source, what, mode if spec.task == "binary" and what in ("evaluate", "curve") else None),
        pseudo=pseudo, against=against, weight=spec.weight, weight_scale=None,
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
        context.update(check_types(spec, schema))
    elif spec.task == "binary":
        context.update(label_mode(spec, spec.label_type))
    elif spec.task == "multiclass" and spec.label_type is not None:
        context["class_numeric"] = value_kind(spec.label_type) == "number"
    context["where"] = filters.context(spec.where, schema)  # after check_types: each column is in the source
    return context


def as_source(source: str | identifiers.Source) -> identifiers.Source:
    """A source as given (an identifiers.Source) or parsed from its name, path or DataFrame."""
    return source if isinstance(source, identifiers.Source) else identifiers.source(source)
