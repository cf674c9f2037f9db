"""Checks that read the data before a statement's result is trusted: a binary label read with a
positive value that holds more than one other value (refused), and weights so large or so small that
products of two weighted counts leave a double's range (rerun with the weights rescaled)."""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
import pandas as pd

from ..core import identifiers
from ..engines.base import Engine
from ..engines.schema import source_schema
from ..errors import BqmlToolsError
from ..sql.render import Query, render
from .checks import label_mode
from .context import as_source, template_context
from .spec import EvalSpec

# A binary group's weighted positives and negatives must lie in this range: roc_auc and
# average_precision multiply two weighted counts, which then stay within ~1e+-289 (a double's normal
# range is 1e+-308). Weights all 1e160 gave roc_auc NULL and average_precision inf; all 1e-200 gave 0.
MASS_RANGE = (2.0 ** -480, 2.0 ** 480)
# The weighted counts a binary statement returns (scaled back after a rescaled run).
MASSES = ("positives", "tp", "fp", "tn", "fn")


def weight_scale(frame: pd.DataFrame, spec: EvalSpec) -> float | None:
    """A power of two that brings every binary group's weighted positives and negatives into
    MASS_RANGE when some lie outside it (None when all are inside, or there are no weights); every
    metric is unchanged by a common factor of the weights. Groups too far apart are refused."""
    if spec.weight is None or spec.task != "binary" or frame.empty:
        return None
    positives = frame["positives"].astype(float)
    negatives = (frame["tn"] + frame["fp"]).astype(float)
    masses = pd.concat([positives, negatives]).dropna().to_numpy()
    if np.isinf(masses).any():
        raise BqmlToolsError(f"the weights in {spec.weight} sum past a double's range (to inf): divide them by a "
                             "constant first (no metric changes)")
    masses = masses[masses > 0]
    if masses.size == 0 or (masses.min() >= MASS_RANGE[0] and masses.max() <= MASS_RANGE[1]):
        return None
    scale = 2.0 ** -math.ceil(math.log2(masses.max()))
    if masses.min() * scale < MASS_RANGE[0]:
        raise BqmlToolsError(
            f"the weights in {spec.weight} total from {masses.min():.3g} to {masses.max():.3g} across groups and "
            "classes: no common scale keeps products of them (roc_auc, average_precision) inside a double; "
            "evaluate the groups apart, or bring the weights nearer one another")
    return scale


def label_values_query(source: str | identifiers.Source, spec: EvalSpec, dialect: str, *,
                       engine: Engine | None = None, inline: bool = True) -> Query:
    """The least and greatest label value other than ``spec.positive`` (a binary label read with a positive)."""
    if spec.task != "binary" or spec.positive is None:
        raise BqmlToolsError("label_values_query is for a binary label read with a positive value")
    src = as_source(source)
    schema = source_schema(engine, src) if engine is not None else None
    return render("evaluate/label_values.sql", dialect, inline=inline,
                  **template_context(src, spec, dialect, schema, inline, "evaluate"))


def refuse_stray_labels(engine: Engine, source: identifiers.Source, spec: EvalSpec) -> None:
    """A binary label read with a positive value must hold one other value at most (besides NULL):
    'malignant', 'benign' and a stray 'Malignant ' would count the stray one as negative (scikit-learn
    refuses such a label). Read in a bounded query: the least and greatest of the other values."""
    if spec.task != "binary" or spec.positive is None:
        return
    query = label_values_query(source, spec, engine.dialect, engine=engine, inline=False)
    positive = label_mode(spec, source_schema(engine, source)[spec.label])["positive"]  # as the label's type reads it
    row = engine.run(query).iloc[0]
    low, high = (value.item() if hasattr(value, "item") else value for value in (row["low"], row["high"]))
    if pd.notna(low) and low != high and row["positive_rows"] > 0:  # else: no row has the positive (checks say so)
        mapping = f"LOWER(TRIM({spec.label}))" if isinstance(low, str) else f"a CASE on {spec.label}"
        raise BqmlToolsError(
            f"label {spec.label!r} holds more than one value besides the positive {positive!r}: at least "
            f"{low!r} and {high!r}, and each would count as negative; map the label to two classes first (e.g. a "
            f"view with {mapping}) or filter the other values out")


def run_checked(engine: Engine, source: identifiers.Source, spec: EvalSpec,
                make_query: Callable[[float | None], Query]) -> pd.DataFrame:
    """Render ``make_query(None)`` (refusing bad options first), refuse stray labels, run it; when the
    weights' totals leave MASS_RANGE, run it again with the weights rescaled by a power of two (exact)
    and give the weighted counts back in their units."""
    query = make_query(None)
    refuse_stray_labels(engine, source, spec)
    frame = engine.run(query)
    scale = weight_scale(frame, spec)
    if scale is None:
        return frame
    frame = engine.run(make_query(scale))
    for column in MASSES:
        frame[column] = frame[column] / scale  # a power of two: exact
    return frame
