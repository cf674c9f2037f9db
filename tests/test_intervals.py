"""evaluate --ci against an independent Python jackknife over the same partitions.

Each row's partition is recomputed here from the README's rule, not from the SQL: the key's
canonical string salted with evaluation.PARTITION_SALT, its FARM_FINGERPRINT (pyfarmhash), then
ABS(MOD(h, K)) with SQL's truncating MOD (a NULL key is refused, tested apart). Replicate r is
every row outside partition r; each replicate's metrics come from scikit-learn, and the interval
from the delete-a-group jackknife written out again below (not imported from bqml_tools.evaluation.intervals).
One expected result for both engines, to 1e-9.
"""
from __future__ import annotations

import io
import math
from dataclasses import replace
from typing import Callable

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from bqml_tools.evaluation import intervals
from bqml_tools.errors import BqmlToolsError
from bqml_tools.evaluation import DEFAULT_CI_BINS_PER_LOGIT, PARTITION_SALT, EvalSpec, curve, diagnose, evaluate, evaluate_query
from bqml_tools.core.fingerprint import farm_fingerprint
from bqml_tools.core.keys import key_string
from bqml_tools.splitting import SplitSpec, split
from cli_runner import run as run_cli
from oracle import truncated_mod
import googlesql
from tables import load, sized

REL = 1e-9
NAN = float("nan")


# ---------------------------------------------------------------- the oracle

def partition_of(parts: list[str | None], k: int) -> int:
    """README: ABS(MOD(FARM_FINGERPRINT(salted key string), K)); a NULL key part has no partition."""
    assert not any(p is None for p in parts), "a NULL key is refused before any interval"
    return abs(truncated_mod(farm_fingerprint(key_string(parts, PARTITION_SALT)), k))


def partitions(frame: pd.DataFrame, key: list[str], k: int) -> np.ndarray:
    def canonical(value) -> str | None:
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return None
        return str(int(value)) if isinstance(value, (int, np.integer)) else str(value)

    return np.array([partition_of([canonical(v) for v in row], k)
                     for row in frame[key].itertuples(index=False, name=None)])


# The range each interval is clipped to, written from the metrics' definitions.
PROBABILITY = (0.0, 1.0)
NON_NEGATIVE = (0.0, math.inf)
AT_MOST_ONE = (-math.inf, 1.0)
ANY = (-math.inf, math.inf)
RANGES = {"log_loss": NON_NEGATIVE, "mae": NON_NEGATIVE, "mse": NON_NEGATIVE, "rmse": NON_NEGATIVE,
          "mean_squared_log_error": NON_NEGATIVE, "r2": AT_MOST_ONE, "explained_variance": AT_MOST_ONE,
          "mean_label": ANY, "mean_prediction": ANY}


def jackknife_interval(estimate: float, replicates: list[float], level: float, bounds: tuple[float, float]):
    """Delete-a-group jackknife (Kott): se^2 = (K-1)/K sum (t_r - mean t)^2; estimate +- t(K-1) se, clipped.
    K: the groups (partitions) that hold rows; with fewer than two there is no interval."""
    values = np.array(replicates, dtype=float)
    if math.isnan(estimate) or np.isnan(values).any() or len(values) < 2:
        return NAN, NAN
    k = len(values)
    se = math.sqrt((k - 1) / k * sum((v - values.mean()) ** 2 for v in values))
    half = stats.t.ppf(1 - (1 - level) / 2, df=k - 1) * se
    return max(bounds[0], estimate - half), min(bounds[1], estimate + half)


def binary_metrics(part: pd.DataFrame) -> dict[str, float]:
    y, s = part["label"].to_numpy(), part["score"].to_numpy()
    if len(y) == 0:
        return {}
    pred = (s >= 0.5).astype(int)
    tn, fp, fn, tp = skm.confusion_matrix(y, pred, labels=[0, 1]).ravel()
    both = len(set(y)) == 2
    return {
        "accuracy": skm.accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred, zero_division=np.nan),
        "recall": skm.recall_score(y, pred, zero_division=np.nan),
        "specificity": tn / (tn + fp) if tn + fp else NAN,
        "f1": skm.f1_score(y, pred, zero_division=np.nan),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred) if both else NAN,
        "log_loss": skm.log_loss(y, s, labels=[0, 1]),
        "brier": float(np.mean((s - y) ** 2)),
        "roc_auc": skm.roc_auc_score(y, s) if both else NAN,
        "average_precision": skm.average_precision_score(y, s) if y.sum() else NAN,
        "base_rate": float(y.mean()),
    }


def regression_metrics(part: pd.DataFrame) -> dict[str, float]:
    y, p = part["y"].to_numpy(), part["p"].to_numpy()
    if len(y) == 0:
        return {}
    return {
        "mae": skm.mean_absolute_error(y, p), "mse": skm.mean_squared_error(y, p),
        "rmse": math.sqrt(skm.mean_squared_error(y, p)),
        "r2": skm.r2_score(y, p) if np.var(y) > 0 else NAN,
        "explained_variance": skm.explained_variance_score(y, p) if np.var(y) > 0 else NAN,
        "mean_squared_log_error": skm.mean_squared_log_error(y, p),
        "mean_label": float(np.mean(y)), "mean_prediction": float(np.mean(p)),
    }


CLASSES = np.array(["ant", "bee", "cat", "dog"])


def multiclass_metrics(part: pd.DataFrame, probs: bool) -> dict[str, float]:
    y, p = part["y"], part["p"]
    if len(y) == 0:
        return {}
    out = {"accuracy": skm.accuracy_score(y, p)}
    for average in ("macro", "weighted", "micro"):
        for name, fn in (("precision", skm.precision_score), ("recall", skm.recall_score), ("f1", skm.f1_score)):
            out[f"{average}_{name}"] = fn(y, p, average=average, zero_division=np.nan)
    if probs:
        matrix = np.array([[d["prob"] for d in row] for row in part["probs"]])
        out["log_loss"] = skm.log_loss(y, matrix, labels=CLASSES)
        out["top_k_accuracy"] = skm.top_k_accuracy_score(y, matrix, k=2, labels=CLASSES)
        # one-vs-rest macro AUC (its bounds are NULL with --ci: assert_matches)
        out["roc_auc"] = skm.roc_auc_score(y, matrix, multi_class="ovr", average="macro", labels=CLASSES) \
            if set(y) == set(CLASSES) else NAN
    return out


def expected(frame: pd.DataFrame, part: np.ndarray, k: int, by: list[str], level: float,
             metrics: Callable[[pd.DataFrame], dict[str, float]]) -> dict[tuple, dict[str, float]]:
    """Per group: each metric's estimate and its jackknife bounds, from scikit-learn on each replicate."""
    out = {}
    grouped = frame.groupby(by, dropna=False) if by else [((), frame)]
    for group, rows in grouped:
        rows_part = part[rows.index.to_numpy()]
        estimate = metrics(rows)
        # only the partitions holding rows of the group: deleting an empty one changes nothing
        replicates = [metrics(rows.loc[rows_part != r]) for r in range(k) if (rows_part == r).any()]
        row = {}
        for name, value in estimate.items():
            lower, upper = jackknife_interval(value, [rep.get(name, NAN) for rep in replicates], level,
                                              RANGES.get(name, PROBABILITY))
            trials = row_trials(rows, name)
            if trials and value in (0.0, 1.0) and lower == upper:  # at a bound: Wilson's on the counts
                ci = stats.binomtest(round(value * trials), trials).proportion_ci(level, method="wilson")
                lower, upper = ci.low, ci.high
            row.update({name: value, f"{name}_lower": lower, f"{name}_upper": upper})
        out[group if isinstance(group, tuple) else (group,)] = row
    return out


def row_trials(rows: pd.DataFrame, name: str) -> int | None:
    """The rows a proportion counts over (binary at threshold 0.5, multiclass), None for other metrics."""
    if "score" in rows.columns:
        y, predicted = rows["label"] == 1, rows["score"] >= 0.5
        trials = {"accuracy": len(rows), "base_rate": len(rows), "recall": y.sum(), "precision": predicted.sum(),
                  "specificity": (~y).sum()}
    elif "probs" in rows.columns or rows["y"].dtype == object:
        trials = {name: len(rows) for name in ("accuracy", "micro_precision", "micro_recall", "micro_f1", "top_k_accuracy")}
    else:
        trials = {}
    return int(trials[name]) if name in trials else None


def same(got, want) -> bool:
    if want is None or (isinstance(want, float) and math.isnan(want)):
        return got is None or pd.isna(got)
    return got == pytest.approx(want, rel=REL, abs=1e-12)


def assert_matches(got: pd.DataFrame, want: dict[tuple, dict[str, float]], by: list[str], task: str) -> None:
    bounded = {c[: -len("_lower")] for c in got.columns if c.endswith("_lower")}
    # every metric the statement gives an interval is checked here (median_absolute_error: NULL, see below)
    assert bounded == set(intervals.METRICS[task]) & set(got.columns)
    assert len(got) == len(want)
    for _, row in got.iterrows():
        oracle = want[tuple(row[c] for c in by)]
        for name in bounded:
            if name == "median_absolute_error":
                assert pd.isna(row[name]) and pd.isna(row[f"{name}_lower"]) and pd.isna(row[f"{name}_upper"])
                continue
            if name == "roc_auc" and task == "multiclass":  # documented: the exact estimate, NULL bounds
                assert same(row[name], oracle[name]) and pd.isna(row[f"{name}_lower"]) and pd.isna(row[f"{name}_upper"])
                continue
            for column in (name, f"{name}_lower", f"{name}_upper"):
                assert same(row[column], oracle[column]), (tuple(row[c] for c in by), column, row[column], oracle[column])
        assert any(pd.notna(row[f"{name}_lower"]) for name in bounded)  # not all NULL: something was compared


# ---------------------------------------------------------------- data

def users(rng: np.random.Generator, n: int, count: int) -> np.ndarray:
    """User ids with many rows each (a few users with far more rows than the rest)."""
    weights = rng.pareto(1.5, count) + 1
    return rng.choice(np.arange(count), n, p=weights / weights.sum())


def binary_frame(seed: int, n: int, ties: bool = False) -> pd.DataFrame:
    n = sized(n)  # the reference engine's tables are small (tables.GOOGLESQL_ROWS)
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.35).astype(int)
    score = np.clip(rng.beta(2, 5, n) + 0.3 * y, 0, 1)
    if ties:  # each distinct score far from the next on the logit scale: the binned AUC is exact
        score = np.round(score, 2)
    user = users(rng, n, 40)
    return pd.DataFrame({"id": np.arange(n), "user": [f"u{u}" for u in user], "label": y, "score": score,
                         "g": rng.choice(["x", "y"], n)})


def regression_frame(seed: int, n: int) -> pd.DataFrame:
    n = sized(n)  # the reference engine's tables are small (tables.GOOGLESQL_ROWS)
    rng = np.random.default_rng(seed)
    y = rng.gamma(2.0, 3.0, n)
    user = users(rng, n, 50)
    session = pd.array(rng.integers(0, 4, n), dtype="Int64")
    return pd.DataFrame({"id": np.arange(n), "user": [f"u{u}" for u in user], "session": session,
                         "y": y, "p": np.abs(y * rng.normal(1.0, 0.2, n) + 0.5), "g": rng.choice(["a", "b", "c"], n)})


def multiclass_frame(seed: int, n: int) -> pd.DataFrame:
    n = sized(n)  # the reference engine's tables are small (tables.GOOGLESQL_ROWS)
    rng = np.random.default_rng(seed)
    y = rng.choice(CLASSES, n, p=[0.55, 0.3, 0.1, 0.05])
    probs = rng.dirichlet([2, 1, 1, 0.5], n)
    probs[np.arange(n), np.searchsorted(CLASSES, y)] += 0.5
    probs /= probs.sum(axis=1, keepdims=True)
    pred = CLASSES[probs.argmax(axis=1)]
    pred[pred == "dog"] = "cat"  # "dog" is never predicted: its precision is undefined
    pred[:3] = "emu"  # a class only ever predicted, in a few partitions only
    user = users(rng, n, 40)
    return pd.DataFrame({"id": np.arange(n), "user": [f"u{u}" for u in user], "y": y, "p": pred,
                         "g": rng.choice(["s1", "s2"], n),
                         "probs": [[{"label": c, "prob": float(q)} for c, q in zip(CLASSES, row)] for row in probs]})


# ---------------------------------------------------------------- SQL == Python jackknife

CASES = {
    # name: (task, key, K, by, extra EvalSpec options)
    "binary-exact-id-K20-by": ("binary", ["id"], 20, ["g"], {"auc": "exact"}),
    "binary-binned-user-K5": ("binary", ["user"], 5, [], {"auc": "binned"}),
    "binary-exact-user-K20-by": ("binary", ["user"], 20, ["g"], {"auc": "exact"}),
    "regression-composite-K20-by": ("regression", ["user", "session"], 20, ["g"], {}),
    "regression-id-K5": ("regression", ["id"], 5, [], {}),
    "multiclass-probs-user-K20-by": ("multiclass", ["user"], 20, ["g"], {"probs": "probs", "top_k": 2}),
    "multiclass-id-K5": ("multiclass", ["id"], 5, [], {}),
}


def case_data(task: str, extra: dict) -> tuple[pd.DataFrame, dict, Callable[[pd.DataFrame], dict[str, float]]]:
    if task == "binary":
        frame = binary_frame(1, 1500, ties=extra.get("auc") == "binned")
        return frame, {"label": "label", "score": "score"}, binary_metrics
    if task == "regression":
        return regression_frame(2, 1500), {"label": "y", "prediction": "p"}, regression_metrics
    frame = multiclass_frame(3, 1500)
    return frame, {"label": "y", "prediction": "p"}, lambda part: multiclass_metrics(part, "probs" in extra)


def replicate_sizes(engine, table: str, spec: EvalSpec) -> pd.DataFrame:
    """Rows per (group, partition) as the SQL partitioned them: the estimate's rows minus replicate r's."""
    raw = engine.run(evaluate_query(table, spec, engine.dialect, engine=engine, inline=False))
    by = list(spec.by)
    total = raw.loc[raw[intervals.REPLICATE] == -1].set_index(by)["rows"] if by else \
        raw.loc[raw[intervals.REPLICATE] == -1, "rows"].iloc[0]
    reps = raw.loc[raw[intervals.REPLICATE] >= 0]
    rows = []
    for _, rep in reps.iterrows():
        whole = total.loc[tuple(rep[c] for c in by)] if by else total
        rows.append({**{c: rep[c] for c in by}, "partition": int(rep[intervals.REPLICATE]), "rows": int(whole - rep["rows"])})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("case", list(CASES))
def test_sql_intervals_equal_a_python_jackknife(engine, case):
    task, key, k, by, extra = CASES[case]
    frame, roles, metrics = case_data(task, extra)
    table = load(engine, f"ds.ci_{task}", frame)
    spec = EvalSpec(task=task, by=by, ci=0.95, key=key, partitions=k, **roles, **extra)
    part = partitions(frame, key, k)
    got = evaluate(engine, table, spec)
    assert_matches(got, expected(frame, part, k, by, 0.95, metrics), by, task)
    if task == "binary" and extra["auc"] == "binned":
        assert (got["roc_auc_error_bound"] == 0).all()  # one distinct score per bin: binned == exact
    # the SQL put every row in the partition the oracle did: a user's rows all in one partition
    sizes = replicate_sizes(engine, table, spec)
    want = frame.assign(partition=part).groupby(by + ["partition"]).size()
    got_sizes = sizes.loc[sizes["rows"] > 0].set_index(by + ["partition"])["rows"].sort_index()
    assert got_sizes.to_dict() == want.sort_index().to_dict()


def test_a_level_other_than_95(duck):
    frame, roles, metrics = case_data("regression", {})
    table = load(duck, "ds.ci_level", frame)
    got = evaluate(duck, table, EvalSpec(task="regression", ci=0.8, key=["id"], partitions=10, **roles))
    assert_matches(got, expected(frame, partitions(frame, ["id"], 10), 10, [], 0.8, regression_metrics), [], "regression")


# ---------------------------------------------------------------- properties

SPECS = {
    "binary": dict(task="binary", label="label", score="score", by=["g"], auc="exact"),
    "binary-binned": dict(task="binary", label="label", score="score", by=["g"], auc="binned"),
    "regression": dict(task="regression", label="y", prediction="p", by=["g"]),
    "multiclass": dict(task="multiclass", label="y", prediction="p", probs="probs", top_k=2, by=["g"]),
}
FRAMES = {"binary": lambda: binary_frame(4, 1200), "binary-binned": lambda: binary_frame(4, 1200),
          "regression": lambda: regression_frame(5, 1200), "multiclass": lambda: multiclass_frame(6, 1200)}


@pytest.mark.parametrize("task", list(SPECS))
def test_the_same_data_gives_the_same_interval_in_any_row_order(engine, task):
    frame = FRAMES[task]()
    table = load(engine, f"ds.det_{task.replace('-', '_')}", frame)
    shuffled = load(engine, f"ds.det_{task.replace('-', '_')}_shuffled", frame.sample(frac=1.0, random_state=9))
    spec = EvalSpec(**SPECS[task], ci=0.95, key="user")
    first = evaluate(engine, table, spec)
    # the partitions are a function of the key, so the intervals are too; floating-point sums in
    # another order (a parallel aggregate, shuffled rows) may differ in the last bits, nothing more
    for again in (evaluate(engine, table, spec), evaluate(engine, shuffled, spec)):
        pd.testing.assert_frame_equal(first, again, check_exact=False, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("task", list(SPECS))
def test_the_estimate_is_the_run_without_ci(engine, task):
    frame = FRAMES[task]()
    table = load(engine, f"ds.est_{task.replace('-', '_')}", frame)
    # --ci bins 10x coarser by default: the estimate is the plain run at the same bins
    bins = {"bins_per_logit": DEFAULT_CI_BINS_PER_LOGIT} if task == "binary-binned" else {}
    plain = evaluate(engine, table, EvalSpec(**SPECS[task], **bins))
    with_ci = evaluate(engine, table, EvalSpec(**SPECS[task], ci=0.9, key="id", partitions=7))
    assert list(with_ci.columns) == [c for column in plain.columns
                                     for c in ([column] + ([f"{column}_lower", f"{column}_upper"]
                                                           if column in intervals.METRICS[task.split("-")[0]] else []))]
    for column in plain.columns:
        if column == "median_absolute_error":
            # documented: NULL with --ci (a median does not come from per-partition sums)
            assert with_ci[column].isna().all()
            assert plain[column].notna().all() or column in googlesql.approximate_columns(engine)
            continue
        assert with_ci[column].dtype == plain[column].dtype, column
        for got, want in zip(with_ci[column], plain[column]):
            assert same(got, want) if isinstance(want, float) else got == want, (column, got, want)
    # the bound warning differs by design: with --ci it compares the bound with the interval
    expected = [w for w in plain.attrs["warnings"] if not w.startswith("binned AUC error bound")]
    assert with_ci.attrs["warnings"][: len(expected)] == expected


def test_regression_partitions_with_equal_statistics_stay_apart(engine):
    """Two partitions whose rows have the same count, means and spreads are still two partitions.

    Labels and predictions all 0 but one row: every partition without that row has the same
    (n, mean, m2) when it has the same number of rows. (Found here: the first regression replicates
    grouped by those statistics without the partition, so such partitions merged; fixed in edba4de.)
    """
    y = np.zeros(60)
    p = np.zeros(60)
    p[0] = 1.0
    frame = pd.DataFrame({"id": np.arange(60), "y": y, "p": p})
    table = load(engine, "ds.equal_parts", frame)
    got = evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p", ci=0.95, key="id"))
    assert got.loc[0, "rows"] == 60 and same(got.loc[0, "mae"], 1 / 60)
    assert_matches(got, expected(frame, partitions(frame, ["id"], 20), 20, [], 0.95, regression_metrics), [],
                   "regression")


def test_a_metric_undefined_in_a_replicate_has_no_interval(engine):
    """All positives belong to one user: the replicate without that user's partition has no positive,
    so roc_auc, recall, average_precision and balanced_accuracy have NULL bounds (not a wrong number),
    while accuracy still has its interval (and f1, which is 0 there: 2tp / (2tp + fp + fn) with fp > 0)."""
    rng = np.random.default_rng(7)
    n = 600
    user = np.where(np.arange(n) < 40, "vip", [f"u{i % 50}" for i in range(n)])
    label = (np.arange(n) < 40).astype(int) * (rng.random(n) < 0.7)
    score = np.clip(rng.beta(2, 5, n) + 0.4 * label, 0, 1)
    frame = pd.DataFrame({"user": user, "label": label, "score": score})
    table = load(engine, "ds.undefined", frame)
    got = evaluate(engine, table, EvalSpec(task="binary", label="label", score="score", ci=0.95, key="user",
                                           auc="exact")).iloc[0]
    for metric in ("roc_auc", "recall", "average_precision", "balanced_accuracy"):
        assert pd.notna(got[metric]), metric
        assert pd.isna(got[f"{metric}_lower"]) and pd.isna(got[f"{metric}_upper"]), metric
    for metric in ("accuracy", "log_loss", "brier", "base_rate", "specificity", "f1"):
        assert got[f"{metric}_lower"] <= got[metric] <= got[f"{metric}_upper"], metric
    want = expected(frame, partitions(frame, ["user"], 20), 20, [], 0.95, binary_metrics)
    assert_matches(got.to_frame().T.infer_objects(), want, [], "binary")


def test_a_group_inside_one_partition_has_no_interval(engine):
    """A group whose rows share one key: the replicate without it is empty, so no bound anywhere."""
    frame = binary_frame(8, 400)
    frame.loc[frame["g"] == "y", "user"] = "solo"
    table = load(engine, "ds.solo", frame)
    got = evaluate(engine, table, EvalSpec(task="binary", label="label", score="score", by="g", ci=0.95,
                                           key="user", auc="exact"))
    solo = got.loc[got["g"] == "y"].iloc[0]
    assert pd.notna(solo["accuracy"]) and pd.isna(solo["accuracy_lower"]) and pd.isna(solo["roc_auc_upper"])
    other = got.loc[got["g"] == "x"].iloc[0]
    assert other["accuracy_lower"] < other["accuracy"] < other["accuracy_upper"]


def test_a_group_with_fewer_keys_than_partitions_uses_the_partitions_it_has(engine):
    """5 users and K = 20: at most 5 partitions hold rows; the other replicates equal the estimate.
    The interval is the jackknife over the partitions that hold rows, with t on their number - 1
    degrees of freedom (counting the empty ones gave 89% coverage at 95% in a simulation with 5 keys)."""
    frame = regression_frame(12, 400)
    frame["user"] = [f"few{i % 5}" for i in range(len(frame))]
    part = partitions(frame, ["user"], 20)
    held = len(set(part))
    assert 2 <= held < 20
    table = load(engine, "ds.few_keys", frame)
    got = evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p", ci=0.95, key="user"))
    want = expected(frame, part, 20, [], 0.95, regression_metrics)
    assert_matches(got, want, [], "regression")
    # what counting the empty partitions would give: a narrower interval, which the SQL + Python do not
    estimate = regression_metrics(frame)["mae"]
    with_empty = [regression_metrics(frame.loc[part != r])["mae"] for r in range(20)]
    lower, _ = jackknife_interval(estimate, with_empty, 0.95, NON_NEGATIVE)
    assert got.loc[0, "mae_lower"] < lower


# ---------------------------------------------------------------- independence from a split

def test_partitions_are_independent_of_a_split_on_the_same_key(engine):
    """The classic correlated-MOD bug: a split keeps ABS(MOD(h, 10)) == 8 for valid, so an unsalted
    ABS(MOD(h, 20)) would put every valid row in partition 8 or 18. Salted, the valid rows fill all K
    partitions in binomial proportions (chi-square against the uniform, fixed data)."""
    n = 20_000
    frame = pd.DataFrame({"id": np.arange(n), "y": np.linspace(0, 1, n), "p": np.linspace(0, 1, n)[::-1]})
    table = load(engine, "ds.to_split", frame)
    rows = split(engine, table, SplitSpec(key="id", fractions="train=0.8,valid=0.1,test=0.1"))
    valid = rows.loc[rows["split"] == "valid"].reset_index(drop=True)
    k = 20
    # the bug this guards against, shown in Python: unsalted partitions of the valid rows
    unsalted = {abs(truncated_mod(farm_fingerprint(str(i)), k)) for i in valid["id"]}
    assert unsalted == {8, 18}
    split_table = load(engine, "ds.split_rows", rows)
    sizes = replicate_sizes(engine, split_table, EvalSpec(task="regression", label="y", prediction="p", by="split",
                                                          ci=0.95, key="id", partitions=k))
    counts = sizes.loc[sizes["split"] == "valid"].set_index("partition")["rows"].reindex(range(k), fill_value=0)
    assert counts.sum() == len(valid) and (counts > 0).all()
    assert counts.to_dict() == pd.Series(partitions(valid, ["id"], k)).value_counts().reindex(range(k)).to_dict()
    # binomial proportions: chi-square with K - 1 degrees of freedom, rejected only at 0.1%
    assert stats.chisquare(counts.to_numpy()).pvalue > 1e-3


# ---------------------------------------------------------------- refusals

def test_interval_options_are_checked():
    base = dict(task="binary", label="label", score="score")
    with pytest.raises(BqmlToolsError, match=r"EvalSpec\(ci=.*\) needs key=\.\.\."):
        EvalSpec(**base, ci=0.95)
    with pytest.raises(BqmlToolsError, match=r"EvalSpec\(key=.*\) does nothing without ci=\.\.\."):
        EvalSpec(**base, key="id")
    with pytest.raises(BqmlToolsError, match=r"EvalSpec\(partitions=.*\) does nothing without ci=\.\.\."):
        EvalSpec(**base, partitions=10)
    for level in (0, 1, 1.5, -0.1, 95, float("nan"), True, "0.95"):
        with pytest.raises(BqmlToolsError, match=r"ci .* must be a confidence level between 0 and 1"):
            EvalSpec(**base, ci=level, key="id")
    for k in (0, 1, 4, 1001, 2.5, True):
        with pytest.raises(BqmlToolsError, match=r"partitions .* must be a whole number from 5 to 1,000"):
            EvalSpec(**base, ci=0.95, key="id", partitions=k)
    for k in (5, 1000):
        assert EvalSpec(**base, ci=0.95, key="id", partitions=k).partition_count == k
    with pytest.raises(BqmlToolsError, match=r"^key '_bqml_rep'"):
        EvalSpec(**base, ci=0.95, key="_bqml_rep")


def test_commands_without_intervals_refuse_ci(duck):
    frame = binary_frame(9, 200).assign(split=lambda f: np.where(f["id"] % 2 == 0, "train", "valid"))
    table = load(duck, "ds.refuse", frame)
    spec = EvalSpec(task="binary", label="label", score="score", ci=0.95, key="id")
    for kind in ("roc", "pr", "thresholds", "calibration"):
        with pytest.raises(BqmlToolsError, match=r"ci, key do nothing for curve"):
            curve(duck, table, spec, kind)
    with pytest.raises(BqmlToolsError, match=r"ci, key do nothing for diagnose"):
        diagnose(duck, table, spec)
    from bqml_tools.evaluation.decisions import threshold

    with pytest.raises(BqmlToolsError, match=r"ci, key do nothing"):
        threshold(duck, table, spec, "f1")
    mc = load(duck, "ds.refuse_mc", multiclass_frame(9, 100).drop(columns=["probs"]))
    for view in ("classes", "confusion"):
        with pytest.raises(BqmlToolsError, match=rf"ci, key do nothing for view='{view}'"):
            evaluate(duck, mc, EvalSpec(task="multiclass", label="y", prediction="p", ci=0.95, key="id"), view=view)


@pytest.mark.parametrize("args, message", [
    (["--ci", "0.95"], "--ci needs --key COLUMN"),
    (["--key", "id"], "--key does nothing without --ci LEVEL"),
    (["--ci", "0.95", "--key", "id", "--partitions", "3"], "--partitions 3 must be a whole number from 5 to 1,000"),
    (["--ci", "2", "--key", "id"], "must be a confidence level between 0 and 1"),
    (["--ci", "0.95", "--key", "nope"], "key column 'nope' is not in the source"),
    (["--ci", "0.95", "--key", "id", "--key", "ID"], "--key columns repeat"),
    (["--ci", "0.95", "--key", "id", "--zero-division", "sklearn"], "leave --zero-division out with --ci"),
    (["--ci", "0.95", "--key", "score"], "so splits (and --ci partitions) would not match"),
    (["--metrics", "roc_auc_lower"], "the _lower and _upper bounds come with --ci LEVEL"),
])
def test_cli_refuses_bad_interval_options_in_one_line(tmp_path, capsys, args, message):
    path = tmp_path / "preds.parquet"
    binary_frame(10, 50).to_parquet(path)
    code, out, err = run_cli(capsys, "evaluate", str(path), "--task", "binary", "--label", "label", "--score",
                             "score", *args)
    assert code != 0 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err


@pytest.mark.parametrize("command", [["curve", "{path}", "roc"], ["diagnose", "{path}", "--task", "binary"],
                                     ["threshold", "{path}", "--target", "f1"]])
def test_cli_commands_without_intervals_refuse_ci(tmp_path, capsys, command):
    path = tmp_path / "preds.parquet"
    binary_frame(10, 50).assign(split="train").to_parquet(path)
    code, out, err = run_cli(capsys, *[a.format(path=path) for a in command], "--label", "label", "--score", "score",
                             "--ci", "0.95", "--key", "id")
    assert code != 0 and out == ""
    assert len(err.strip().splitlines()) == 1 and "--ci" in err, err


def test_cli_prints_the_bounds(tmp_path, capsys, duck):
    path = tmp_path / "preds.parquet"
    regression_frame(11, 300).drop(columns=["session"]).to_parquet(path)
    code, out, err = run_cli(capsys, "evaluate", str(path), "--task", "regression", "--label", "y", "--prediction",
                             "p", "--ci", "0.95", "--key", "user", "--partitions", "10", "--format", "csv")
    assert code == 0, err
    printed = pd.read_csv(io.StringIO(out))
    want = evaluate(duck, str(path), EvalSpec(task="regression", label="y", prediction="p", ci=0.95, key="user",
                                              partitions=10))
    assert list(printed.columns) == list(want.columns)
    for column in want.columns:
        assert same(float(printed.loc[0, column]), float(want.loc[0, column])), column
    assert "median_absolute_error has no interval" in err


def test_null_keys_are_refused_with_their_count(engine):
    """A NULL key has no partition: evaluate --ci and compare refuse it, counting the valid rows it holds."""
    frame = regression_frame(seed=11, n=300)
    session = frame["session"].copy()
    session[:7] = pd.NA
    frame = frame.assign(session=session)
    table = load(engine, "ds.null_keys", frame)
    spec = EvalSpec(task="regression", label="y", prediction="p", ci=0.95, key=("user", "session"))
    with pytest.raises(BqmlToolsError, match=r"^7 row\(s\) have a NULL key \(user, session\)"):
        evaluate(engine, table, spec)
    import bqml_tools as bt

    with pytest.raises(BqmlToolsError, match=r"^7 row\(s\) have a NULL key"):
        bt.compare(engine, table, spec, "y")


def test_a_key_with_few_values_is_warned_about(duck):
    """Rows in few partitions (a key of few values): the interval rests on few degrees of freedom, or is
    missing; the warning says so and names the key, for evaluate and compare alike."""
    frame = binary_frame(12, 400).assign(team=lambda f: f["id"] % 3, other=lambda f: f["score"] ** 2)
    table = load(duck, "ds.few_keys", frame)
    spec = EvalSpec(task="binary", label="label", score="score", ci=0.95, key="team")
    warnings = evaluate(duck, table, spec).attrs["warnings"]
    assert any("sit in 3 of 20 partitions" in w and "team" in w and "2 degree(s) of freedom" in w for w in warnings)
    import bqml_tools as bt

    by_team = EvalSpec(task="binary", label="label", score="score", ci=0.95, key="team", by="team")
    compared = bt.compare(duck, table, by_team, "other", metrics=["roc_auc"])
    assert any("(team=0) sit in 1 of 20 partitions" in w and "no interval" in w for w in compared.attrs["warnings"])
    assert not any("sit in" in w for w in evaluate(duck, table, EvalSpec(
        task="binary", label="label", score="score", ci=0.95, key="id")).attrs["warnings"])


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_an_empty_table_is_said_to_be_empty(engine, task):
    frame = (binary_frame(13, 20) if task == "binary" else regression_frame(13, 20)).iloc[:0]
    table = load(engine, f"ds.ci_empty_{task}", frame)
    spec = EvalSpec(task="binary", label="label", score="score", ci=0.95, key="id") if task == "binary" else \
        EvalSpec(task="regression", label="y", prediction="p", ci=0.95, key="id", by="g")
    with pytest.raises(BqmlToolsError, match="no rows to evaluate"):
        evaluate(engine, table, spec)



# ---------------------------------------------------------------- at a bound (issue 17, item 3)

def test_a_proportion_at_its_bound_gets_wilsons_interval_and_a_warning(engine):
    """Recall 24/24 got 1 [1, 1] and AUC 1 [1, 1] without a word: the jackknife has no spread there."""
    rng = np.random.default_rng(3)
    y = np.r_[np.ones(24, int), np.zeros(76, int)]
    s = np.where(y == 1, 0.9, rng.random(100) * 0.8)
    table = load(engine, "ds.atbound", pd.DataFrame({"y": y, "s": s, "k": np.arange(100)}))
    got = evaluate(engine, table, EvalSpec(task="binary", label="y", score="s", ci=0.95, key=["k"]))
    row = got.iloc[0]
    want = stats.binomtest(24, 24).proportion_ci(0.95, method="wilson")
    assert row["recall"] == 1 and row["recall_upper"] == 1
    assert row["recall_lower"] == pytest.approx(want.low, rel=1e-12)
    assert row["roc_auc"] == 1 and row["roc_auc_lower"] == 1  # no count-based interval for an AUC: said instead
    warnings = got.attrs["warnings"]
    assert any(w.startswith("recall is 1: at its bound the jackknife has no spread, so its interval is Wilson's on "
                            "24 rows") for w in warnings), warnings
    assert "roc_auc is 1: at its bound the jackknife has no spread, and its interval [1, 1] says nothing of its " \
           "uncertainty" in warnings


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(positives=st.integers(8, 40), negatives=st.integers(1, 40), level=st.sampled_from([0.8, 0.9, 0.95, 0.99]),
       wrong=st.booleans())
def test_any_proportion_at_a_bound_has_an_interval_of_width(engine, positives, negatives, level, wrong):
    """Every positive right (recall 1) or every one wrong (recall 0), any sizes and levels: the
    interval is Wilson's on the counts (scipy's binomtest), never a point."""
    y = np.r_[np.ones(positives, int), np.zeros(negatives, int)]
    s = np.r_[np.full(positives, 0.1 if wrong else 0.9), np.linspace(0, 1, negatives)]
    table = load(engine, "ds.anybound", pd.DataFrame({"y": y, "s": s, "k": np.arange(len(y))}))
    row = evaluate(engine, table, EvalSpec(task="binary", label="y", score="s", ci=level, key=["k"])).iloc[0]
    want = stats.binomtest(0 if wrong else positives, positives).proportion_ci(level, method="wilson")
    assert row["recall"] == (0 if wrong else 1)
    # (positives in one partition only would leave a replicate without any: no interval, said apart)
    assert pd.notna(row["recall_lower"])
    assert row["recall_lower"] == pytest.approx(want.low, abs=1e-12)
    assert row["recall_upper"] == pytest.approx(want.high, abs=1e-12)
    assert row["recall_upper"] - row["recall_lower"] > 0


def test_ci_bins_coarser_and_warns_only_when_the_bound_shows_in_the_interval(duck):
    """--ci bins at 1,000 per logit unit by default (its replicates window K + 2 copies of the bins);
    the bound warning then compares the bound with the interval, not with a fixed 1e-4."""
    frame = binary_frame(7, 3000)
    spec = EvalSpec(task="binary", label="label", score="score", ci=0.9, key="id", partitions=10)
    got = evaluate(duck, frame, spec)
    fine = evaluate(duck, frame, replace(spec, bins_per_logit=10_000))
    assert "1000 bins per unit" in evaluate_query("t", spec, "duckdb").sql
    y, s = frame["label"], frame["score"]
    for result in (got, fine):
        assert abs(result.loc[0, "roc_auc"] - skm.roc_auc_score(y, s)) <= result.loc[0, "roc_auc_error_bound"] + 1e-12
    assert fine.loc[0, "roc_auc_error_bound"] < got.loc[0, "roc_auc_error_bound"]
    half = (got.loc[0, "roc_auc_upper"] - got.loc[0, "roc_auc_lower"]) / 2
    assert got.loc[0, "roc_auc_error_bound"] < 0.1 * half
    assert not any("error bound" in w for w in got.attrs["warnings"])
    coarse = evaluate(duck, frame, replace(spec, bins_per_logit=1))
    assert coarse.loc[0, "roc_auc_error_bound"] > 0.1 * (coarse.loc[0, "roc_auc_upper"] - coarse.loc[0, "roc_auc_lower"]) / 2
    assert any("over a tenth of the interval's half-width" in w for w in coarse.attrs["warnings"])
