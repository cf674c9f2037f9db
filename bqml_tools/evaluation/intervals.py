"""Confidence intervals from delete-a-group jackknife replicates computed in the warehouse.

The evaluation statement (run with ``--ci``) returns, per group, K + 1 rows told apart by
``_bqml_rep``: replicate -1 is the metric on every row (the estimate), replicate r the metric with
partition r left out (partitions: ``ABS(MOD(FARM_FINGERPRINT(salted key), K))``, so a key's rows
stay together). Here the K + 1 small rows of each group become one row with an interval per metric:

    se = sqrt((K - 1) / K * sum_r (theta_r - mean(theta_r))^2)
    interval = theta_hat +- t(K - 1, (1 + level) / 2) * se, clipped to the metric's range

(the delete-a-group jackknife of Kott, with Student's t on K - 1 degrees of freedom). K counts the
partitions that hold rows of the group: a group with fewer keys than partitions leaves some empty,
their replicates equal the estimate and carry no information, so they are left out (counting them
made the interval too narrow: 89% coverage at 95% for a group of 5 keys and K = 20). A metric that
is undefined (NULL) in any replicate gets no interval (NULL bounds) rather than a wrong one.
``paired`` does the same for a difference (two models, or a slice and the whole) computed
replicate by replicate, so what both sides share cancels.
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Sequence

import numpy as np
import pandas as pd

from ..core.options import refusal
from . import registry

REPLICATE = "_bqml_rep"

# From the registry: the metrics that get an interval per task (a median's bounds are NULL), the range an
# interval is clipped to, which are lower-is-better (errors and losses; higher is better for the others),
# and which are descriptions (the means, the base rate), not scores.
METRICS: dict[str, tuple[str, ...]] = {task: registry.with_interval(task) for task in registry.TASKS}
_UNBOUNDED = registry.ANY
BOUNDS: dict[str, tuple[float, float]] = registry.BOUNDS
LOWER_IS_BETTER = registry.LOWER_IS_BETTER
NOT_A_SCORE = registry.NOT_A_SCORE


@lru_cache(maxsize=None)
def t_quantile(level: float, partitions: int) -> float:
    """Student's t quantile for a two-sided ``level`` interval on ``partitions - 1`` degrees of freedom."""
    from scipy.stats import t

    return float(t.ppf((1 + level) / 2, partitions - 1))


def occupied(estimate: pd.Series, replicates: pd.DataFrame) -> np.ndarray | None:
    """Which partitions hold rows of the group: replicate r has fewer rows than the estimate, or no row
    at all (every row of the group sat in partition r). None when the frame has no ``rows`` count."""
    if "rows" not in replicates.columns or pd.isna(estimate.get("rows")):
        return None
    rows = replicates["rows"].to_numpy(dtype=float)
    return np.isnan(rows) | (rows < float(estimate["rows"]))


def _kept(replicates: Sequence[float] | np.ndarray, partitions: np.ndarray | None) -> np.ndarray:
    values = np.asarray(replicates, dtype=float)
    return values if partitions is None else values[np.asarray(partitions, dtype=bool)]


def standard_error(replicates: Sequence[float] | np.ndarray, partitions: np.ndarray | None = None) -> float:
    """The delete-a-group jackknife standard error of K replicate values (NaN when any is missing).

    ``partitions``: a mask of the partitions that hold rows (``occupied``); the others are left out."""
    values = _kept(replicates, partitions)
    k = len(values)
    if k < 2 or not np.all(np.isfinite(values)):
        return math.nan
    return math.sqrt((k - 1) / k * float(np.sum((values - values.mean()) ** 2)))


def interval(estimate: float, replicates: Sequence[float] | np.ndarray, level: float,
             bounds: tuple[float, float] = _UNBOUNDED, partitions: np.ndarray | None = None) -> tuple[float, float]:
    """(lower, upper): estimate -+ t * se, clipped to ``bounds``; NaN when there is no interval.

    ``partitions``: as in ``standard_error``; t has one degree of freedom fewer than the partitions kept."""
    se = standard_error(replicates, partitions)
    if estimate is None or not math.isfinite(float(estimate)) or math.isnan(se):
        return math.nan, math.nan
    half = t_quantile(level, len(_kept(replicates, partitions))) * se
    return max(bounds[0], float(estimate) - half), min(bounds[1], float(estimate) + half)


def _split_keyed(frame: pd.DataFrame, groups: Sequence[str],
                 partitions: int) -> list[tuple[tuple, pd.Series, pd.DataFrame]]:
    """(group values, estimate row, replicate rows ordered 0..K-1) per group, in the frame's group order.
    The group values keep their column's type (a row as a Series would turn integers into floats)."""
    out: list[tuple[tuple, pd.Series, pd.DataFrame]] = []
    if frame.empty:  # an empty table: no group at all (evaluate's checks say so)
        return out
    keys = list(groups)
    grouped = [((), frame)] if not keys else frame.groupby(keys, sort=False, dropna=False)
    for key, rows in grouped:
        estimate = rows.loc[rows[REPLICATE] == -1]
        replicates = rows.loc[rows[REPLICATE] >= 0].sort_values(REPLICATE)
        if len(estimate) != 1:
            raise AssertionError(f"replicate -1 appears {len(estimate)} times in a group")
        if len(replicates) != partitions:
            # a replicate whose rows all sat in the deleted partition has no row at all: no interval
            replicates = replicates.set_index(REPLICATE).reindex(range(partitions)).reset_index()
        out.append((key if isinstance(key, tuple) else (key,), estimate.iloc[0], replicates))
    return out


def _split(frame: pd.DataFrame, groups: Sequence[str], partitions: int) -> list[tuple[pd.Series, pd.DataFrame]]:
    """(estimate row, replicate rows ordered 0..K-1) per group, in the frame's group order."""
    return [(estimate, replicates) for _, estimate, replicates in _split_keyed(frame, groups, partitions)]


def where_of(pairs: Sequence[tuple[str, object]]) -> str:
    return where([g for g, _ in pairs], [v for _, v in pairs])


def where(groups: Sequence[str], values: Sequence[object]) -> str:
    """``g=x, h=y``: a group named by its values, NULL for a missing value."""
    return ", ".join(f"{g}={'NULL' if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else v}"
                     for g, v in zip(groups, values))


def null_key_rows(frame: pd.DataFrame) -> int:
    """Valid rows whose key is NULL: the estimate's rows (replicate -1) less those of replicate -2, which
    leaves out exactly the rows of partition -2, where the statement puts a NULL key."""
    rows = frame["rows"].fillna(0)
    return int(rows[frame[REPLICATE] == -1].sum() - rows[frame[REPLICATE] == -2].sum())


def refuse_null_keys(frame: pd.DataFrame, key: Sequence[str]) -> None:
    """--ci puts each row in a partition by its key: a NULL key has none, so it is refused with the count."""
    missing = null_key_rows(frame)
    if missing:
        raise refusal(
            f"{missing:,} row(s) have a NULL key ({', '.join(key)}): [[ci]] puts each row in a partition by its key; "
            "filter them, fill the key, or give [[key]] a column without NULLs")


# Below this many partitions holding a group's rows, its interval rests on too few clusters to trust.
FEW_PARTITIONS = 10


def sparse_warnings(frame: pd.DataFrame, groups: Sequence[str], partitions: int, key: Sequence[str]) -> list[str]:
    """One warning per group whose rows sit in fewer than FEW_PARTITIONS partitions (a key with few
    values, or a group of few keys): its interval is rough (few degrees of freedom) or missing."""
    out = []
    for values, estimate, replicates in _split_keyed(frame, groups, partitions):
        if "rows" in estimate and pd.notna(estimate["rows"]) and estimate["rows"] == 0:
            continue  # no valid row (all invalid, excluded): nothing to partition, and a finer key would not help
        kept = occupied(estimate, replicates)
        held = partitions if kept is None else int(np.sum(kept))
        if held < min(FEW_PARTITIONS, partitions):
            group = f" ({where(groups, values)})" if groups else ""
            what = "no interval" if held < 2 else f"intervals on {held - 1} degree(s) of freedom only"
            out.append(f"the rows{group} sit in {held} of {partitions} partitions (few distinct values of "
                       f"{', '.join(key)}): {what}; key on a finer column")
    return out


# Proportions of rows, as (successes, trials) from a binary or multiclass result row of counts: at 0
# or 1 the jackknife has no spread, and Wilson's interval on the counts takes its place.
PROPORTIONS = {
    "binary": {"accuracy": lambda r: (r["tp"] + r["tn"], r["tp"] + r["tn"] + r["fp"] + r["fn"]),
               "recall": lambda r: (r["tp"], r["tp"] + r["fn"]), "precision": lambda r: (r["tp"], r["tp"] + r["fp"]),
               "specificity": lambda r: (r["tn"], r["tn"] + r["fp"]),
               "base_rate": lambda r: (r["positives"], r["tp"] + r["tn"] + r["fp"] + r["fn"])},
    "multiclass": {name: (lambda r, name=name: (round(r[name] * r["rows"]), r["rows"]))
                   for name in ("accuracy", "micro_precision", "micro_recall", "micro_f1", "top_k_accuracy")},
}


def wilson(successes: float, trials: float, level: float) -> tuple[float, float]:
    """Wilson's score interval for a proportion (rows taken as independent)."""
    from scipy.stats import norm

    z = float(norm.ppf((1 + level) / 2))
    p, n = successes / trials, trials
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def _at_bound(metric: str, row: dict, task: str | None, level: float, counts: bool) -> tuple[tuple[float, float] | None, str]:
    """A metric at 0 or 1 whose jackknife interval has no width: Wilson's interval from the counts when
    it is a proportion of rows (None otherwise), and the warning that says so."""
    value = row[metric]
    rule = PROPORTIONS.get(task or "", {}).get(metric) if counts else None
    if rule is not None:
        successes, trials = (float(v) for v in rule(row))
        if trials > 0:
            lower, upper = wilson(successes, trials, level)
            return (lower, upper), (f"{metric} is {value:g}{{where}}: at its bound the jackknife has no spread, so its "
                                    f"interval is Wilson's on {int(trials):,} rows taken as independent (rows that share a "
                                    f"key are fewer in truth: wider)")
    return None, (f"{metric} is {value:g}{{where}}: at its bound the jackknife has no spread, and its interval "
                  f"[{value:g}, {value:g}] says nothing of its uncertainty")


def jackknife(frame: pd.DataFrame, groups: Sequence[str], metrics: Sequence[str], level: float,
              partitions: int, *, task: str | None = None, counts: bool = True) -> pd.DataFrame:
    """One row per group, the estimate, with ``<metric>_lower`` and ``<metric>_upper`` after each metric.

    A proportion at 0 or 1 whose interval has no width gets Wilson's interval on the counts (``task``
    names which columns hold them; ``counts`` False, with weights, keeps the jackknife's); every such
    metric is named in ``frame.attrs['warnings']``."""
    rows, warnings = [], []
    for values, estimate, replicates in _split_keyed(frame, groups, partitions):
        row = estimate.drop(labels=[REPLICATE]).to_dict()
        kept = occupied(estimate, replicates)
        for metric in metrics:
            if metric in row:
                row[f"{metric}_lower"], row[f"{metric}_upper"] = interval(
                    row[metric], replicates[metric].to_numpy(dtype=float), level, BOUNDS.get(metric, _UNBOUNDED), kept)
                if BOUNDS.get(metric) == (0.0, 1.0) and pd.notna(row[metric]) and float(row[metric]) in (0.0, 1.0) \
                        and row[f"{metric}_lower"] == row[f"{metric}_upper"]:
                    replacement, warning = _at_bound(metric, row, task, level, counts)
                    if replacement is not None:
                        row[f"{metric}_lower"], row[f"{metric}_upper"] = replacement
                    shown = [(g, v) for g, v in zip(groups, values) if g != "_bqml_all"]
                    whole = dict(zip(groups, values)).get("_bqml_all") == 1
                    where = " (the whole)" if whole else f" ({where_of(shown)})" if shown else ""
                    warnings.append(warning.format(where=where))
        rows.append(row)
    columns = []
    for column in frame.columns:
        if column == REPLICATE:
            continue
        columns.append(column)
        if column in metrics:
            columns += [f"{column}_lower", f"{column}_upper"]
    out = pd.DataFrame(rows, columns=columns)
    for column in frame.columns:  # keep the statement's dtypes (integer counts stay integers)
        if column in out.columns and len(out):
            out[column] = out[column].astype(frame[column].dtype)
    out = out.reset_index(drop=True)
    out.attrs["warnings"] = list(dict.fromkeys(warnings))
    return out


def paired(first: pd.Series, other: pd.Series, first_replicates: pd.Series, other_replicates: pd.Series,
           level: float, partitions: int, kept: np.ndarray | None = None) -> tuple[float, float, float]:
    """(other - first, lower, upper): the difference and its interval from the paired replicates.

    ``kept``: the partitions holding rows of either side (``occupied`` of each, or-ed), or None for all."""
    estimate = float(other) - float(first) if pd.notna(first) and pd.notna(other) else math.nan
    differences = other_replicates.to_numpy(dtype=float) - first_replicates.to_numpy(dtype=float)
    lower, upper = interval(estimate, differences, level, _UNBOUNDED, kept) if len(differences) == partitions \
        else (math.nan, math.nan)
    return estimate, lower, upper


# Sums over the same rows in another order differ in the last bits: identical models can give replicate
# differences of 1e-16. An interval clears 0 only by more than this share of the values compared.
NOISE = 1e-9


def side(lower: float, upper: float, scale: float = 1.0) -> int:
    """1 when the interval lies above 0, -1 when below, 0 when it holds 0 (or is within float noise of it)."""
    eps = NOISE * max(1.0, abs(scale)) if math.isfinite(scale) else NOISE
    return 1 if lower > eps else -1 if upper < -eps else 0
