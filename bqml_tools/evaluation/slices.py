"""Slices (``evaluate --by COL --min-slice-rows N``): too small to read, or worse than the whole.

A slice (group) with fewer than N valid rows gets NULL metrics and intervals and ``slice`` says
"too small (37 rows < 100)": a handful of rows gives numbers that look precise and are noise.
Other slices say "ok". With ``--ci`` the statement also evaluates the whole (the working group
``_bqml_all``: every row counted in its slice and in the whole, one scan, the same jackknife
partitions), and each remaining slice's metric is compared with the whole's replicate by replicate
(``intervals.paired``: slice - whole). ``worse_than_whole`` lists the metrics whose paired interval
lies entirely on the worse side (``intervals.LOWER_IS_BETTER`` sets the side; descriptions such as
base_rate are left out). The whole itself is ``frame.attrs["whole"]``, a one-row frame with its
intervals; ``frame.attrs["differences"]`` holds each (slice, metric) difference and interval.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import pandas as pd

from . import intervals, registry
from .intervals import side
from .spec import EvalSpec

WHOLE = "_bqml_all"
# Exact counts stay for a too-small slice (they are what they are); every estimate is set to NULL.
COUNTS = frozenset({m.name for m in registry.REGISTRY if m.role == registry.COUNT} | {registry.WEIGHT_COUNT})


def too_small(rows: Any, minimum: int) -> bool:
    return pd.isna(rows) or int(rows) < minimum


def report(checked: pd.DataFrame, combined: pd.DataFrame | None, raw_frame: pd.DataFrame,
           spec: EvalSpec) -> pd.DataFrame:
    """``checked`` (one row per slice, after evaluate's checks) with a ``slice`` column, the metrics of
    too-small slices NULL, and, when ``combined`` holds the whole's copy (``--ci``), ``worse_than_whole``
    and ``attrs["whole"]``. ``raw_frame``: the statement's rows (the replicates, with ``--ci``)."""
    minimum = int(spec.min_slice_rows)
    groups = list(spec.by)
    small = checked["rows"].map(lambda n: too_small(n, minimum))
    out = checked.copy()
    estimates = [c for c in out.columns if c not in groups and c not in COUNTS]
    for column in estimates:
        if small.any():
            out[column] = out[column].astype(float if pd.api.types.is_numeric_dtype(out[column]) else object)
            out.loc[small, column] = None if out[column].dtype == object else math.nan
    status = [f"too small ({_rows(n)} rows < {minimum:,})" if s else "ok" for n, s in zip(out["rows"], small)]
    out.insert(len(groups), "slice", status)
    out.attrs = dict(checked.attrs)
    out.attrs["warnings"] = list(checked.attrs.get("warnings", []))
    for _, row in out.loc[small].iterrows():  # a too-small slice's accuracy says nothing either way
        where = f"({intervals.where(groups, [row[c] for c in groups])})"
        out.attrs["warnings"] = [w for w in out.attrs["warnings"] if not (w.startswith("accuracy ") and where in w)]
    if small.any():
        out.attrs["warnings"].append(f"{int(small.sum())} slice(s) have fewer than {minimum:,} valid rows: their "
                                     "metrics are NULL (too small to read)")
    if combined is None or WHOLE not in combined.columns:
        return out
    whole = combined.loc[combined[WHOLE] == 1].drop(columns=[WHOLE] + groups).reset_index(drop=True)
    out.attrs["whole"] = whole
    worse, differences = _worse_than_whole(out, raw_frame, spec, small)
    out.insert(len(groups) + 1, "worse_than_whole", worse)  # beside `slice`: the two readings first
    out.attrs["differences"] = differences
    return out


def _rows(n: Any) -> str:
    return "0" if pd.isna(n) else f"{int(n):,}"


def _key(values: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else v
                 for v in values)


def scores(spec: EvalSpec, columns: Sequence[str]) -> list[str]:
    """The metrics a slice is compared with the whole on: the task's scores that have an interval."""
    return [m.name for m in registry.metrics(spec.task)
            if m.name in columns and m.role == registry.SCORE and m.interval == registry.JACKKNIFE]


def _worse_than_whole(out: pd.DataFrame, raw_frame: pd.DataFrame, spec: EvalSpec,
                      small: pd.Series) -> tuple[list[str | None], pd.DataFrame]:
    groups = list(spec.by)
    level, partitions = float(spec.ci), spec.partition_count
    metrics = scores(spec, raw_frame.columns)
    slices = {_key([estimate[g] for g in groups]): (estimate, replicates) for estimate, replicates in
              intervals._split(raw_frame.loc[raw_frame[WHOLE] == 0].drop(columns=[WHOLE]), groups, partitions)}
    [(whole, whole_replicates)] = intervals._split(raw_frame.loc[raw_frame[WHOLE] == 1].drop(columns=[WHOLE]),
                                                   [], partitions)
    worse: list[str | None] = []
    rows = []
    for (_, row), is_small in zip(out.iterrows(), small):
        if is_small:
            worse.append(None)
            continue
        estimate, replicates = slices[_key([row[g] for g in groups])]
        names = []
        kept = intervals.occupied(whole, whole_replicates)  # the whole holds every partition a slice holds
        for metric in metrics:
            difference, lower, upper = intervals.paired(whole[metric], estimate[metric], whole_replicates[metric],
                                                        replicates[metric], level, partitions, kept)
            # the worse side of 0 by more than float noise (NaN bounds are on no side: not worse)
            where = side(lower, upper, max(abs(float(v)) for v in (whole[metric], estimate[metric], 1.0)
                                           if pd.notna(v)))
            is_worse = where == (1 if metric in intervals.LOWER_IS_BETTER else -1)
            if is_worse:
                names.append(metric)
            rows.append({**{g: row[g] for g in groups}, "metric": metric, "slice_value": estimate[metric],
                         "whole_value": whole[metric], "difference": difference, "lower": lower, "upper": upper,
                         "worse": is_worse})
        worse.append(", ".join(names))
    columns = groups + ["metric", "slice_value", "whole_value", "difference", "lower", "upper", "worse"]
    return worse, pd.DataFrame(rows, columns=columns)


def whole_line(whole: pd.DataFrame, metrics: Sequence[str] | None = None) -> str:
    """``whole: rows=1,000, roc_auc=0.812 [0.790, 0.834], ...`` (the whole's metrics with intervals)."""
    row = whole.iloc[0]
    parts = [f"rows={_rows(row['rows'])}"]
    # by default the metrics that have an interval column and a value (not the median under --ci)
    names = [m for m in (metrics or [c for c in whole.columns if f"{c}_lower" in whole.columns and pd.notna(row[c])])
             if m in whole.columns and not m.endswith(("_lower", "_upper")) and m != "rows"]
    for name in names:
        value = row[name]
        whole_count = name in COUNTS and pd.notna(value) and float(value).is_integer()
        text = "NULL" if pd.isna(value) else f"{int(value):,}" if whole_count else f"{float(value):.4g}"
        lower, upper = row.get(f"{name}_lower"), row.get(f"{name}_upper")
        if lower is not None and upper is not None and pd.notna(lower) and pd.notna(upper):
            text += f" [{float(lower):.4g}, {float(upper):.4g}]"
        parts.append(f"{name}={text}")
    return "whole: " + ", ".join(parts)
