"""Curves of a binary classifier: ROC, PR, the threshold sweep and the calibration table."""
from __future__ import annotations

import pandas as pd

from ..core import identifiers
from ..engines.base import Engine, require
from ..engines.schema import source_schema
from ..errors import BqmlToolsError
from ..sql.render import Query, render
from .checks import attach, check_invalid, check_positive, group_counts
from .context import as_source, template_context
from .guards import refuse_stray_labels
from .outputs import binary_counts, refuse_output_names
from .spec import INTERVAL_OPTIONS, EvalSpec


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
    refuse_output_names(spec, "curve", kind=kind)
    src = as_source(source)
    schema = source_schema(engine, src) if engine is not None else None
    context = template_context(src, spec, dialect, schema, inline, "curve" if kind in ("roc", "pr") else kind)
    template = "evaluate/curve.sql" if kind in ("roc", "pr") else f"evaluate/{kind}.sql"
    return render(template, dialect, inline=inline, kind=kind, steps=steps, bins=bins, **context)


def curve(engine: Engine, source: str | identifiers.Source, spec: EvalSpec, kind: str, *,
          steps: int = 100, bins: int = 10) -> pd.DataFrame:
    """ROC / PR curve points, a threshold sweep, or a calibration table, per group.

    Invalid rows are refused or excluded and counted exactly as ``evaluate`` does; the counts
    the statement carries on each row are checked here and then dropped.
    """
    src = as_source(source)
    require(engine, Engine, "curve")
    query = curve_query(src, spec, kind, engine.dialect, engine=engine, steps=steps, bins=bins, inline=False)
    refuse_stray_labels(engine, src, spec)
    frame = engine.run(query)
    counts = group_counts(frame, spec, binary_counts(spec))
    positives, valid = counts.pop("positives"), counts.pop("group_rows")
    # a group with no valid row keeps one row (roc, pr, calibration) or a sweep of zeros
    # (thresholds) so that its counts reach this check; it has no curve
    empty = frame["group_rows"] == 0
    warnings = check_invalid(counts, valid, spec, src)
    check_positive(spec, positives, valid)
    frame = frame.loc[~empty].drop(columns=list(binary_counts(spec))).reset_index(drop=True)
    return attach(frame, warnings)
