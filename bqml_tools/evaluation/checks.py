"""Checks every evaluation command shares: column types, the binary label's mode, invalid rows.

The same rule gives the same words whichever command (evaluate, curve, threshold, compare) finds it.
"""
from __future__ import annotations

import math
import re
from typing import Any, Mapping, Sequence

import pandas as pd

from ..core import identifiers
from ..core.options import refusal, say
from ..errors import BqmlToolsError, UnknownColumn
from .spec import PROB_SUM_TOLERANCE, EvalSpec


NUMERIC = re.compile(r"^(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|"
                     r"UHUGEINT|INT64|FLOAT|FLOAT64|DOUBLE|REAL|NUMERIC|BIGNUMERIC|DECIMAL|BIGDECIMAL)\b", re.I)
BOOL = re.compile(r"^BOOL(EAN)?$", re.I)
STRINGY = re.compile(r"^(VARCHAR|STRING|TEXT)\b", re.I)
PROBS = re.compile(r"STRUCT.*prob", re.I | re.S)


def check_types(spec: EvalSpec, schema: Mapping[str, str]) -> dict[str, Any]:
    """Check columns and types; return the type facts the templates need."""
    identifiers.refuse_reserved(schema, "the source")
    for column in spec.columns:
        if column not in schema:
            raise UnknownColumn(f"column {column!r} is not in the source; it has: {', '.join(schema) or '(no columns)'}")
    label_type = schema[spec.label]
    out: dict[str, Any] = {}
    if spec.weight is not None and not NUMERIC.match(schema[spec.weight]):
        raise BqmlToolsError(f"weight column {spec.weight!r} is {schema[spec.weight]}: it must hold numbers >= 0")
    if spec.task == "regression":
        for column in (spec.label, spec.prediction):
            if not NUMERIC.match(schema[column]):
                raise BqmlToolsError(f"regression needs numeric columns: {column!r} is {schema[column]}")
    if spec.task == "binary":
        if spec.probs is not None:
            check_probs(spec.probs, schema[spec.probs], "probs")
        elif PROBS.search(schema[spec.score]):
            raise refusal(
                f"score column {spec.score!r} is {schema[spec.score]}, ML.PREDICT's array of label and prob: "
                f"pass [[probs={spec.score}]] [[positive=]] (the positive label) instead of [[score]]")
        elif not NUMERIC.match(schema[spec.score]):
            raise refusal(f"score column {spec.score!r} is {schema[spec.score]}: it must hold probabilities "
                                 "in [0, 1] (a number column; for ML.PREDICT's predicted_<label>_probs array pass "
                                 "[[probs=]] [[positive=]])")
        out.update(label_mode(spec, label_type))
    if spec.task == "multiclass":
        kinds = {c: value_kind(schema[c]) for c in (spec.label, spec.prediction)}
        if kinds[spec.label] != kinds[spec.prediction]:
            raise BqmlToolsError(
                f"label {spec.label!r} is {schema[spec.label]} but prediction {spec.prediction!r} is "
                f"{schema[spec.prediction]}: cast one so both hold the same kind of class value"
            )
        if spec.probs:
            check_probs(spec.probs, schema[spec.probs], "probs")
        out["class_numeric"] = kinds[spec.label] == "number"
    return out


def check_probs(column: str, sql_type: str, option: str) -> None:
    """A probabilities column is an ARRAY<STRUCT<label, prob>>, as ML.PREDICT's predicted_<label>_probs."""
    if not PROBS.search(sql_type):
        raise refusal(f"[[{option}]] column {column!r} is {sql_type}: it must be an ARRAY<STRUCT<label, prob>> like "
                             "ML.PREDICT's predicted_<label>_probs")


def value_kind(sql_type: str) -> str:
    """The kind of values a column of ``sql_type`` holds: string, bool, number (or the type itself)."""
    return ("string" if STRINGY.match(sql_type) else "bool" if BOOL.match(sql_type) else
            "number" if NUMERIC.match(sql_type) else sql_type)


def label_mode(spec: EvalSpec, label_type: str | None) -> dict[str, Any]:
    """How the binary templates read the label: its mode, the positive value, whether it is numeric."""
    if spec.positive is not None:
        positive = spec.positive
        if label_type is not None and BOOL.match(label_type) and isinstance(positive, str):
            # a BOOL label (BigQuery ML's probabilities array then has BOOL labels too): true or false
            if positive.strip().lower() not in ("true", "false"):
                raise refusal(f"[[positive]] {spec.positive!r}: the label {spec.label!r} is {label_type}; "
                                     "write true or false")
            return {"label_mode": "positive", "positive": positive.strip().lower() == "true", "label_numeric": False}
        if label_type is not None and not STRINGY.match(label_type) and isinstance(positive, str):
            try:
                positive = int(positive) if re.fullmatch(r"-?\d+", positive) else float(positive)
            except ValueError:
                raise refusal(f"[[positive]] {spec.positive!r} is not a value of the {label_type} label {spec.label!r}") from None
            if not math.isfinite(positive):
                raise refusal(f"[[positive]] {spec.positive!r} must be a finite value of the label {spec.label!r}")
        elif label_type is None and isinstance(positive, str) and re.fullmatch(r"-?\d+", positive):
            positive = int(positive)
        numeric = (label_type is not None and bool(NUMERIC.match(label_type))) if label_type is not None else \
            isinstance(positive, (int, float)) and not isinstance(positive, bool)
        return {"label_mode": "positive", "positive": positive, "label_numeric": numeric}
    if label_type is not None and BOOL.match(label_type):
        return {"label_mode": "bool", "positive": None, "label_numeric": False}
    if label_type is not None and not NUMERIC.match(label_type):
        raise refusal(
            f"label {spec.label!r} is {label_type}: pass [[positive=]] to name the positive class")
    return {"label_mode": "binary", "positive": None, "label_numeric": True}

def attach(frame: pd.DataFrame, warnings: list[str]) -> pd.DataFrame:
    """``frame`` with ``warnings`` in ``frame.attrs["warnings"]``, where every command leaves them."""
    frame.attrs["warnings"] = warnings
    return frame


def group_counts(frame: pd.DataFrame, spec: EvalSpec, columns: Sequence[str]) -> dict[str, int]:
    """Per-group counts repeated on each row of a group (curves), summed over groups."""
    firsts = frame.drop_duplicates(subset=list(spec.by)) if spec.by else frame.head(1)
    return {c: int(firsts[c].fillna(0).sum()) for c in columns}


def check_invalid(counts: Mapping[str, int], valid: int, spec: EvalSpec, source: identifiers.Source) -> list[str]:
    """Refuse (policy 'error') or report (policy 'exclude') invalid rows; the same words for every command."""
    if valid + sum(counts.values()) == 0:
        raise BqmlToolsError(f"no rows to evaluate in {source}: the table is empty")
    probs = (f", or a true-class probability in {spec.probs} that is NaN or outside [0, 1]"
             if spec.probs and spec.task == "multiclass" else "")
    score = (f"whose probabilities in {spec.probs} lack the positive label {spec.positive!r}, do not sum to 1 "
             f"within {PROB_SUM_TOLERANCE:g}, or give it a NULL, NaN or a value outside [0, 1]" if spec.probs else
             f"have a NULL, NaN or infinite score or one outside [0, 1] in {spec.score}")
    messages = {
        "invalid_rows": f"row(s) have a NULL, NaN or infinite label ({spec.label}) or prediction ({spec.prediction}){probs}"
        if spec.task == "regression" else f"row(s) have a NULL label ({spec.label}) or prediction ({spec.prediction}){probs}",
        "invalid_label_rows": f"row(s) have a NULL label or one that is not binary in {spec.label}"
                              + ("" if spec.positive is not None else " (pass [[positive=]] for other labels)"),
        "invalid_score_rows": f"row(s) {score}",
        "invalid_weight_rows": f"row(s) have a NULL, NaN, infinite or negative weight in {spec.weight}",
    }
    found = [f"{n:,} {messages[c]}" for c, n in counts.items() if n]
    if found and spec.invalid == "error":
        raise refusal("; ".join(found) + ": fix them, or pass [[invalid=exclude]] to leave them out and count them")
    return [say(f"excluded {m}", "cli") for m in found]  # warnings speak as the CLI prints them


def check_positive(spec: EvalSpec, positives: float, valid: int) -> None:
    """``positives``: the positive rows, or their total weight (0 only when every such row weighs 0)."""
    if spec.positive is not None and valid > 0 and positives == 0:
        weighed = f" with a weight above 0 in {spec.weight}" if spec.weight is not None else ""
        raise refusal(
            f"[[positive]] {spec.positive!r}: no evaluated row{weighed} has this value in {spec.label}; "
            "check the value (and its type) against the label's values")
