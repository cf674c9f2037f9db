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
from .splitting import source_schema
from .templates import Query, render

TASKS = ("regression", "binary", "multiclass")
CLIP = 1e-15
BOUND_WARNING = 1e-4
_NUMERIC = re.compile(r"^(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|"
                      r"UHUGEINT|INT64|FLOAT|FLOAT64|DOUBLE|REAL|NUMERIC|BIGNUMERIC|DECIMAL|BIGDECIMAL)\b", re.I)
_BOOL = re.compile(r"^BOOL(EAN)?$", re.I)
_STRINGY = re.compile(r"^(VARCHAR|STRING|TEXT)\b", re.I)


@dataclass(frozen=True)
class EvalSpec:
    """What to evaluate. ``prediction`` for regression and multiclass, ``score`` for binary.

    ``invalid``: ``"error"`` (default: refuse, with counts) or ``"exclude"`` (drop and count).
    ``auc``: ``"exact"`` (default on DuckDB) or ``"binned"`` (default on BigQuery).
    ``zero_division``: ``"null"`` (default) or ``"sklearn"`` (0, and r2's force_finite rule).
    ``label_type``: the label's type when no engine can be asked (printing SQL only).
    """

    task: str
    label: str
    prediction: str | None = None
    score: str | None = None
    by: Sequence[str] = ()
    threshold: float = 0.5
    positive: Any = None
    probs: str | None = None
    top_k: int = 3
    invalid: str = "error"
    auc: str | None = None
    bins_per_logit: int = 10_000
    zero_division: str = "null"
    label_type: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "by", tuple([self.by] if isinstance(self.by, str) else self.by))
        if self.task not in TASKS:
            raise BqmlToolsError(f"task {self.task!r} is not one of: {', '.join(TASKS)}")
        identifiers.column(self.label, "label column")
        needed = "score" if self.task == "binary" else "prediction"
        if getattr(self, needed) is None:
            raise BqmlToolsError(f"task {self.task} needs --{needed} COLUMN")
        for role in ("prediction", "score", "probs"):
            if getattr(self, role) is not None:
                identifiers.column(getattr(self, role), f"{role} column")
        for column in self.by:
            identifiers.column(column, "group (--by) column")
        if len(set(self.by)) != len(self.by):
            raise BqmlToolsError(f"--by columns repeat: {', '.join(self.by)}")
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, (int, float)) \
                or not 0 <= float(self.threshold) <= 1 or math.isnan(self.threshold):
            raise BqmlToolsError(f"threshold {self.threshold!r} must be a number in [0, 1]")
        if self.invalid not in ("error", "exclude"):
            raise BqmlToolsError(f"invalid-rows policy {self.invalid!r} is not one of: error, exclude")
        if self.auc not in (None, "exact", "binned"):
            raise BqmlToolsError(f"AUC mode {self.auc!r} is not one of: exact, binned")
        if self.zero_division not in ("null", "sklearn"):
            raise BqmlToolsError(f"zero-division convention {self.zero_division!r} is not one of: null, sklearn")
        if not isinstance(self.top_k, int) or self.top_k < 1:
            raise BqmlToolsError(f"top-k {self.top_k!r} must be a whole number >= 1")
        if not isinstance(self.bins_per_logit, int) or not 1 <= self.bins_per_logit <= 10**7:
            raise BqmlToolsError(f"bins per logit unit {self.bins_per_logit!r} must be from 1 to 10,000,000")
        if isinstance(self.positive, str) and not self.positive.isprintable():
            raise BqmlToolsError(f"positive label {self.positive!r} must be printable text")

    @property
    def columns(self) -> list[str]:
        cols = [self.label] + [c for c in (self.prediction, self.score, self.probs) if c] + list(self.by)
        return list(dict.fromkeys(cols))


def _check_types(spec: EvalSpec, schema: Mapping[str, str]) -> dict[str, Any]:
    """Check columns and types; return label_mode and positive for the binary templates."""
    for column in spec.columns:
        if column not in schema:
            raise UnknownColumn(f"column {column!r} is not in the source; it has: {', '.join(schema) or '(no columns)'}")
    label_type = schema[spec.label]
    out: dict[str, Any] = {}
    if spec.task == "regression":
        for column in (spec.label, spec.prediction):
            if not _NUMERIC.match(schema[column]):
                raise BqmlToolsError(f"regression needs numeric columns: {column!r} is {schema[column]}")
    if spec.task == "binary":
        if not _NUMERIC.match(schema[spec.score]):
            raise BqmlToolsError(f"score column {spec.score!r} is {schema[spec.score]}: it must hold probabilities in [0, 1]")
        out.update(_label_mode(spec, label_type))
    if spec.task == "multiclass":
        kinds = {c: ("string" if _STRINGY.match(schema[c]) else "bool" if _BOOL.match(schema[c]) else
                     "number" if _NUMERIC.match(schema[c]) else schema[c]) for c in (spec.label, spec.prediction)}
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
    return out


def _label_mode(spec: EvalSpec, label_type: str | None) -> dict[str, Any]:
    if spec.positive is not None:
        positive = spec.positive
        if label_type is not None and not _STRINGY.match(label_type) and isinstance(positive, str):
            try:
                positive = int(positive) if re.fullmatch(r"-?\d+", positive) else float(positive)
            except ValueError:
                raise BqmlToolsError(f"--positive {spec.positive!r} is not a value of the {label_type} label {spec.label!r}") from None
        elif label_type is None and isinstance(positive, str) and re.fullmatch(r"-?\d+", positive):
            positive = int(positive)
        return {"label_mode": "positive", "positive": positive}
    if label_type is not None and _BOOL.match(label_type):
        return {"label_mode": "bool", "positive": None}
    if label_type is not None and not _NUMERIC.match(label_type):
        raise BqmlToolsError(
            f"label {spec.label!r} is {label_type}: pass --positive VALUE to name the positive class"
        )
    return {"label_mode": "binary", "positive": None}


def _header(spec: EvalSpec, source: identifiers.Source, what: str, mode: str | None) -> list[str]:
    lines = [f"bqml_tools {what} of {source}: task {spec.task}, label {spec.label}"
             + (f", score {spec.score} (positive when >= {spec.threshold})" if spec.task == "binary" else "")
             + (f", prediction {spec.prediction}" if spec.prediction else "")]
    if spec.by:
        lines.append(f"one row per {', '.join(spec.by)}; one scan of the table")
    if mode:
        lines.append("AUC: exact (ties count half)" if mode == "exact" else
                     f"AUC: scores binned on the logit scale ({spec.bins_per_logit} bins per unit); "
                     "roc_auc_error_bound bounds the error")
    return lines


def _context(source: identifiers.Source, spec: EvalSpec, dialect: str, schema: Mapping[str, str] | None,
             inline: bool, what: str) -> dict[str, Any]:
    mode = spec.auc or ("exact" if dialect == "duckdb" else "binned")
    context: dict[str, Any] = dict(
        src=source, by=list(spec.by), label=spec.label, prediction=spec.prediction, score=spec.score,
        probs=spec.probs, top_k=spec.top_k, threshold=float(spec.threshold), mode=mode,
        bins_per_logit=spec.bins_per_logit, clip=CLIP, zero_division=spec.zero_division,
        guard=inline and spec.invalid == "error",
        header_lines=_header(spec, source, what, mode if spec.task == "binary" and what in ("evaluate", "curve") else None),
    )
    if spec.task == "binary":
        if schema is not None:
            context.update(_check_types(spec, schema))
        else:
            context.update(_label_mode(spec, spec.label_type))
    elif schema is not None:
        _check_types(spec, schema)
    return context


def _src(source: str | identifiers.Source) -> identifiers.Source:
    return source if isinstance(source, identifiers.Source) else identifiers.source(source)


VIEWS = {"metrics": None, "classes": "evaluate/multiclass_classes.sql", "confusion": "evaluate/confusion_matrix.sql"}


def evaluate_query(source: str | identifiers.Source, spec: EvalSpec, dialect: str, *,
                   engine: Engine | None = None, view: str = "metrics", inline: bool = True) -> Query:
    """The metrics statement (or, for multiclass, the per-class or confusion-matrix view)."""
    src = _src(source)
    schema = source_schema(engine, src) if engine is not None else None
    if view != "metrics" and spec.task != "multiclass":
        raise BqmlToolsError(f"view {view!r} is for multiclass evaluation; {spec.task} has metrics only")
    if view not in VIEWS:
        raise BqmlToolsError(f"view {view!r} is not one of: {', '.join(VIEWS)}")
    template = VIEWS[view] or f"evaluate/{spec.task}.sql"
    return render(template, dialect, inline=inline, **_context(src, spec, dialect, schema, inline, "evaluate"))


def _attach(frame: pd.DataFrame, warnings: list[str]) -> pd.DataFrame:
    frame.attrs["warnings"] = warnings
    return frame


def _check_invalid(frame: pd.DataFrame, spec: EvalSpec, source: identifiers.Source) -> list[str]:
    counts = {c: int(frame[c].fillna(0).sum()) for c in ("invalid_rows", "invalid_label_rows", "invalid_score_rows")
              if c in frame.columns}
    valid = int(frame["rows"].fillna(0).sum()) if "rows" in frame.columns else 0
    if valid + sum(counts.values()) == 0:
        raise BqmlToolsError(f"no rows to evaluate in {source}: the table is empty")
    messages = {
        "invalid_rows": f"row(s) have a NULL label ({spec.label}) or prediction ({spec.prediction})",
        "invalid_label_rows": f"row(s) have a NULL label or one that is not binary in {spec.label}"
                              + ("" if spec.positive is not None else " (pass --positive VALUE for other labels)"),
        "invalid_score_rows": f"row(s) have a NULL score or one outside [0, 1] in {spec.score}",
    }
    found = [f"{n:,} {messages[c]}" for c, n in counts.items() if n]
    if found and spec.invalid == "error":
        raise BqmlToolsError("; ".join(found) + ": fix them, or pass --invalid exclude to leave them out and count them")
    return [f"excluded {m}" for m in found]


def evaluate(engine: Engine, source: str | identifiers.Source, spec: EvalSpec, *,
             view: str = "metrics") -> pd.DataFrame:
    """Run the evaluation; returns one row per group (``frame.attrs['warnings']`` lists warnings)."""
    src = _src(source)
    query = evaluate_query(src, spec, engine.dialect, engine=engine, view=view, inline=False)
    frame = engine.run(query)
    if view != "metrics":
        return _attach(frame, [])
    warnings = _check_invalid(frame, spec, src)
    if spec.task == "regression" and (frame["negative_rows"].fillna(0) > 0).any():
        warnings.append("mean_squared_log_error is NULL where labels or predictions are negative")
    if spec.task == "binary":
        if frame["roc_auc"].isna().any() and (frame["rows"] > 0).any():
            warnings.append("roc_auc is NULL for groups with only one class")
        bound = frame["roc_auc_error_bound"].max()
        if pd.notna(bound) and bound > BOUND_WARNING:
            warnings.append(f"binned AUC error bound is {bound:.2g}: scores sit in few bins; raise "
                            "--bins-per-logit or use --auc exact")
    return _attach(frame, warnings)


CURVES = ("roc", "pr", "thresholds", "calibration")


def curve_query(source: str | identifiers.Source, spec: EvalSpec, kind: str, dialect: str, *,
                engine: Engine | None = None, steps: int = 100, bins: int = 10, inline: bool = True) -> Query:
    if spec.task != "binary":
        raise BqmlToolsError(f"curves are for binary classification, not {spec.task}")
    if kind not in CURVES:
        raise BqmlToolsError(f"curve {kind!r} is not one of: {', '.join(CURVES)}")
    for name, value in (("steps", steps), ("bins", bins)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100_000:
            raise BqmlToolsError(f"--{name} {value!r} must be a whole number from 1 to 100,000")
    src = _src(source)
    schema = source_schema(engine, src) if engine is not None else None
    context = _context(src, spec, dialect, schema, inline, "curve" if kind in ("roc", "pr") else kind)
    template = "evaluate/curve.sql" if kind in ("roc", "pr") else f"evaluate/{kind}.sql"
    return render(template, dialect, inline=inline, kind=kind, steps=steps, bins=bins, **context)


def curve(engine: Engine, source: str | identifiers.Source, spec: EvalSpec, kind: str, *,
          steps: int = 100, bins: int = 10) -> pd.DataFrame:
    """ROC / PR curve points, a threshold sweep, or a calibration table, per group."""
    return engine.run(curve_query(source, spec, kind, engine.dialect, engine=engine, steps=steps,
                                  bins=bins, inline=False))


@dataclass(frozen=True)
class Thresholds:
    """When the read-out says under-fitting or over-fitting (see README, "Diagnose")."""

    underfit_skill: float = 0.1  # train error removes less than this share of the baseline's
    overfit_gap: float = 0.1  # validation error exceeds train error by more than this share of the baseline's


_ERRORS = {"regression": ("rmse", "rmse", "baseline_rmse"),
           "binary": ("log_loss", "log_loss", "baseline_log_loss"),
           "multiclass": ("error_rate", "accuracy", "baseline_accuracy")}


def diagnose(engine: Engine, source: str | identifiers.Source, spec: EvalSpec, *, split_column: str = "split",
             train: str = "train", valid: str = "valid",
             thresholds: Thresholds | None = None) -> pd.DataFrame:
    """Train vs validation error against a constant predictor: under-fit, over-fit or good fit."""
    thresholds = thresholds or Thresholds()
    identifiers.column(split_column, "split column")
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
        value = float(frame.loc[split, col])
        return 1 - value if spec.task == "multiclass" else value

    train_error, valid_error = error(train, column), error(valid, column)
    baseline = error(train, baseline_column)
    skill = 1 - train_error / baseline if baseline > 0 else float("nan")
    gap = (valid_error - train_error) / baseline if baseline > 0 else float("nan")
    if math.isnan(skill):
        verdict, reason = "undetermined", "the train labels are constant: a constant predictor is perfect"
    elif skill < thresholds.underfit_skill:
        verdict = "under-fitting"
        reason = (f"train {metric} {train_error:.4g} removes only {skill:.1%} of the constant "
                  f"predictor's {baseline:.4g} (needs {thresholds.underfit_skill:.0%})")
    elif gap > thresholds.overfit_gap:
        verdict = "over-fitting"
        reason = (f"{valid} {metric} {valid_error:.4g} exceeds train {train_error:.4g} by "
                  f"{gap:.1%} of the baseline's {baseline:.4g} (allowed {thresholds.overfit_gap:.0%})")
    else:
        verdict = "good fit"
        reason = (f"train {metric} {train_error:.4g} removes {skill:.1%} of the constant predictor's "
                  f"{baseline:.4g}; {valid} {metric} {valid_error:.4g} is within "
                  f"{thresholds.overfit_gap:.0%} of the baseline of train's (gap {gap:.1%})")
    return _attach(pd.DataFrame([{
        "metric": metric, "train": train_error, "valid": valid_error, "baseline": baseline,
        "skill": skill, "gap": gap, "verdict": verdict, "reason": reason,
        "train_rows": int(frame.loc[train, "rows"]), "valid_rows": int(frame.loc[valid, "rows"]),
    }]), list(frame.attrs.get("warnings", [])))
