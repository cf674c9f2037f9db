"""--weight for regression and multiclass (metrics, views, intervals, diagnose) against scikit-learn's
sample_weight, to 1e-9 relative; invalid weights refused or excluded and counted."""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings, strategies as st
from sklearn import metrics as skm

from bqml_tools.errors import BqmlToolsError
from bqml_tools.evaluation import EvalSpec, diagnose, evaluate, evaluate_query
from approx import REL, close
from tables import load, sized



def rel_for(name, engine):
    """BigQuery reads the weighted median at errors rounded to 12 significant bits (dialect.sql,
    median_cell): within 2^-12 relative there, exact on DuckDB."""
    return 2.0 ** -12 if name == "median_absolute_error" and engine.dialect == "bigquery" else REL


def weights(rng, n):
    """Zeros, small fractions, whole numbers and large weights, mixed."""
    kind = rng.choice(4, n, p=[0.15, 0.35, 0.3, 0.2])
    return np.select([kind == 0, kind == 1, kind == 2], [0.0, rng.random(n) / 10, rng.integers(1, 4, n)],
                     rng.random(n) * 50).astype(float)


# ---------------------------------------------------------------- regression

def regression_frame(seed=0, n=2000, offset=0.0):
    n = sized(n)  # the reference engine's tables are small (tables.GOOGLESQL_ROWS)
    rng = np.random.default_rng(seed)
    y = rng.gamma(2.0, 3.0, n) + offset
    group = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    p = np.abs(y * rng.normal(1.0, 0.2, n) + np.where(group == "c", 1.5, 0.0))
    return pd.DataFrame({"y": y, "p": p, "g": group, "w": weights(rng, n), "i": np.arange(n)})


def sk_regression(y, p, w):
    mse = skm.mean_squared_error(y, p, sample_weight=w)
    mean = float(np.average(y, weights=w))
    return {
        "mae": skm.mean_absolute_error(y, p, sample_weight=w), "mse": mse, "rmse": math.sqrt(mse),
        "r2": skm.r2_score(y, p, sample_weight=w),
        "explained_variance": skm.explained_variance_score(y, p, sample_weight=w),
        "mean_squared_log_error": skm.mean_squared_log_error(y, p, sample_weight=w),
        "median_absolute_error": skm.median_absolute_error(y, p, sample_weight=w),
        "mean_label": mean, "mean_prediction": float(np.average(p, weights=w)),
        "baseline_rmse": math.sqrt(float(np.average((y - mean) ** 2, weights=w))),
    }


def test_weighted_regression_matches_sklearn_per_group(engine):
    frame = regression_frame()
    table = load(engine, "ds.wreg", frame)
    got = evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p", by=["g"], weight="w"))
    assert list(got["g"]) == ["a", "b", "c"]
    for row in got.itertuples(index=False):
        part = frame[frame["g"] == row.g]
        assert row.rows == len(part) and row.invalid_rows == 0 and row.invalid_weight_rows == 0
        for name, value in sk_regression(part["y"].to_numpy(), part["p"].to_numpy(), part["w"].to_numpy()).items():
            assert close(getattr(row, name), value, rel=rel_for(name, engine)), name


@pytest.mark.parametrize("errors, w, want", [
    ([1, 2, 3], [1, 1, 2], 2.5),          # the running weight reaches exactly half at 2: mean of 2 and 3
    ([1, 2, 3, 4], [1, 1, 0, 2], 3.0),    # ... and the next error of positive weight is 4, not 3
    ([1, 2, 2, 3], [1, 0.5, 0.5, 2], 2.5),  # tied errors pool their weights
    ([3, 1, 2], [0, 0, 5], 2.0),
    ([1, 2], [1, 0], 1.0),                # half reached on the last error of positive weight
])
def test_weighted_median_absolute_error_is_sklearns_averaged_inverted_cdf(engine, errors, w, want):
    y = np.zeros(len(errors))
    table = load(engine, "ds.wmed", pd.DataFrame({"y": y, "p": np.array(errors, float), "w": np.array(w, float)}))
    got = evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p", weight="w"))
    assert skm.median_absolute_error(y, errors, sample_weight=w) == want
    assert close(got.loc[0, "median_absolute_error"], want)


@pytest.mark.parametrize("residual_offset", [0.0, 1e6])
def test_weighted_variances_hold_precision_at_large_means(engine, residual_offset):
    """Labels around 1e6 with sd 1 (and residuals around 1e6 with sd 0.5): no sums of squares cancel."""
    rng = np.random.default_rng(5)
    n = 2000
    y = 1e6 + rng.normal(0, 1, n)
    p = y + rng.normal(0, 0.5, n) - residual_offset
    w = rng.random(n) * 3
    table = load(engine, "ds.wbig", pd.DataFrame({"y": y, "p": p, "w": w}))
    got = evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p", weight="w")).iloc[0]
    mean = np.average(y, weights=w)  # scikit-learn's two-pass deviations, below, are the oracle
    assert close(got["baseline_rmse"], math.sqrt(np.average((y - mean) ** 2, weights=w)))
    assert close(got["r2"], skm.r2_score(y, p, sample_weight=w))
    assert close(got["explained_variance"], skm.explained_variance_score(y, p, sample_weight=w))
    assert close(got["mean_label"], mean)
    # the one-pass formula E[y^2] - E[y]^2 misses the variance by far more than 1e-9 here
    one_pass = np.average(y ** 2, weights=w) - mean ** 2
    assert abs(one_pass / got["baseline_rmse"] ** 2 - 1) > 1e-7


def test_unit_weights_give_the_unweighted_result(engine):
    frame = regression_frame(seed=3).assign(one=1.0)
    table = load(engine, "ds.wone", frame)
    plain = evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p", by=["g"]))
    unit = evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p", by=["g"], weight="one"))
    assert list(unit.columns) == list(plain.columns) + ["invalid_weight_rows"]
    for column in plain.columns:
        if column == "median_absolute_error" and engine.dialect == "bigquery":
            continue  # unweighted it is APPROX_QUANTILES on BigQuery; weighted it is exact
        for a, b in zip(unit[column], plain[column]):
            assert a == b if isinstance(b, str) else close(a, b), column


def test_zero_total_weight_gives_null_metrics(engine):
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "p": [1.5, 2.0, 2.0, 5.0], "w": [0.0, 0.0, 1.0, 3.0],
                          "g": ["none", "none", "some", "some"]})
    table = load(engine, "ds.wzero", frame)
    got = evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p", by=["g"], weight="w"))
    none, some = got.iloc[0], got.iloc[1]
    assert none["rows"] == 2
    for name in ("mae", "mse", "rmse", "r2", "explained_variance", "mean_squared_log_error",
                 "median_absolute_error", "mean_label", "mean_prediction", "baseline_rmse"):
        assert pd.isna(none[name]), name
    assert close(some["mae"], skm.mean_absolute_error([3, 4], [2, 5], sample_weight=[1, 3]))


def test_invalid_weights_refused_with_count_then_excluded(engine):
    frame = regression_frame(seed=7, n=300)
    frame.loc[[3, 10], "w"] = None
    frame.loc[[20, 21, 22], "w"] = -0.5
    frame.loc[[22, 40], "y"] = None  # row 22 has a bad label and a bad weight: counted in both
    table = load(engine, "ds.wbad", frame)
    spec = EvalSpec(task="regression", label="y", prediction="p", weight="w")
    with pytest.raises(BqmlToolsError, match=r"5 row\(s\) have a NULL, NaN, infinite or negative weight in w"):
        evaluate(engine, table, spec)
    got = evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p", weight="w",
                                           invalid="exclude")).iloc[0]
    keep = frame["w"].notna() & (frame["w"] >= 0) & frame["y"].notna()
    assert got["rows"] == keep.sum() and got["invalid_rows"] == 2 and got["invalid_weight_rows"] == 5
    part = frame[keep]
    for name, value in sk_regression(part["y"].to_numpy(), part["p"].to_numpy(), part["w"].to_numpy()).items():
        assert close(got[name], value, rel=rel_for(name, engine)), name
    assert any(w.startswith("excluded 5 row(s)") and "weight in w" in w for w in got.attrs["warnings"])


@pytest.mark.duckdb
@pytest.mark.parametrize("task", ["regression", "multiclass"])
def test_nan_and_infinite_weights_are_invalid(duck, task):
    y = [1.0, 2.0, 3.0, 4.0] if task == "regression" else ["a", "b", "a", "b"]
    p = [1.0, 2.5, 3.0, 4.0] if task == "regression" else ["a", "a", "a", "b"]
    load(duck, "ds.wnan", pd.DataFrame({"y": y, "p": p, "w": [math.nan, math.inf, -math.inf, 2.0]}))
    with pytest.raises(BqmlToolsError, match=r"^3 row\(s\) have a NULL, NaN, infinite or negative weight in w"):
        evaluate(duck, "ds.wnan", EvalSpec(task=task, label="y", prediction="p", weight="w"))
    got = evaluate(duck, "ds.wnan", EvalSpec(task=task, label="y", prediction="p", weight="w", invalid="exclude"))
    assert got.loc[0, "rows"] == 1 and got.loc[0, "invalid_weight_rows"] == 3


@pytest.mark.duckdb
@pytest.mark.parametrize("task", ["regression", "multiclass"])
def test_printed_statement_refuses_invalid_weights_itself(duck, task):
    load(duck, "ds.wprint", pd.DataFrame({"y": [1, 2, 2], "p": [1, 2, 1], "w": [1.0, None, -1.0]}))
    sql = evaluate_query("ds.wprint", EvalSpec(task=task, label="y", prediction="p", weight="w"), "duckdb").sql
    with pytest.raises(Exception, match=r"2 row\(s\) have a NULL, NaN, infinite or negative weight in w"):
        duck.connection.execute(sql).fetchall()


def test_text_weight_column_is_refused(engine):
    table = load(engine, "ds.wtext", pd.DataFrame({"y": [1.0, 2.0], "p": [1.0, 2.0], "w": ["1", "2"]}))
    for task in ("regression", "multiclass"):
        with pytest.raises(BqmlToolsError, match=r"weight column 'w' is (VARCHAR|STRING): it must hold numbers >= 0"):
            evaluate(engine, table, EvalSpec(task=task, label="y", prediction="p", weight="w"))


# ---------------------------------------------------------------- multiclass

def multiclass_frame(seed=0, n=2000):
    n = sized(n)  # the reference engine's tables are small (tables.GOOGLESQL_ROWS)
    rng = np.random.default_rng(seed)
    classes = np.array(["ant", "bee", "cat", "dog"])
    y = rng.choice(classes, n, p=[0.5, 0.3, 0.15, 0.05])
    probs = rng.dirichlet([2, 1, 1, 0.5], n)
    probs[np.arange(n), np.searchsorted(classes, y)] += 0.5
    probs /= probs.sum(axis=1, keepdims=True)
    pred = classes[probs.argmax(axis=1)]
    pred[pred == "dog"] = "cat"  # "dog" is never predicted: its precision is undefined
    pred[:3] = "emu"  # a class only ever predicted
    w = weights(rng, n)
    w[y == "dog"] = np.where(rng.random((y == "dog").sum()) < 0.5, 0.0, w[y == "dog"])
    return pd.DataFrame({
        "y": y, "p": pred, "g": rng.choice(["s1", "s2", "s3"], n), "w": w, "i": np.arange(n),
        "probs": [[{"label": c, "prob": float(q)} for c, q in zip(classes, row)] for row in probs],
    }), probs, classes


def sk_multiclass(y, p, pr, w, classes, k=2):
    out = {"accuracy": skm.accuracy_score(y, p, sample_weight=w)}
    for average in ("macro", "weighted", "micro"):
        for name, fn in (("precision", skm.precision_score), ("recall", skm.recall_score), ("f1", skm.f1_score)):
            out[f"{average}_{name}"] = fn(y, p, average=average, zero_division=np.nan, sample_weight=w)
    out["log_loss"] = skm.log_loss(y, pr, labels=classes, sample_weight=w)
    out["top_k_accuracy"] = skm.top_k_accuracy_score(y, pr, k=k, labels=classes, sample_weight=w)
    support = pd.Series(w).groupby(np.asarray(y)).sum()
    out["baseline_accuracy"] = support.max() / support.sum()
    return out


def test_weighted_multiclass_matches_sklearn(engine):
    frame, probs, classes = multiclass_frame()
    table = load(engine, "ds.wmc", frame)
    got = evaluate(engine, table, EvalSpec(task="multiclass", label="y", prediction="p", probs="probs", top_k=2,
                                           by=["g"], weight="w"))
    assert list(got["g"]) == ["s1", "s2", "s3"]
    for row in got.itertuples(index=False):
        mask = (frame["g"] == row.g).to_numpy()
        assert row.rows == mask.sum() and row.invalid_weight_rows == 0
        want = sk_multiclass(frame["y"][mask], frame["p"][mask], probs[mask], frame["w"][mask].to_numpy(), classes)
        for name, value in want.items():
            assert close(getattr(row, name), value), name


def test_weighted_classes_and_confusion_views(engine):
    frame, _, _ = multiclass_frame(seed=2)
    table = load(engine, "ds.wmcv", frame)
    spec = EvalSpec(task="multiclass", label="y", prediction="p", weight="w")
    labels = sorted(set(frame["y"]) | set(frame["p"]))
    classes = evaluate(engine, table, spec, view="classes")
    assert list(classes["class"]) == labels
    # scikit-learn's support is weighted too (true_sum from the weighted multilabel confusion matrix)
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        frame["y"], frame["p"], labels=labels, zero_division=np.nan, sample_weight=frame["w"])
    matrix = skm.confusion_matrix(frame["y"], frame["p"], labels=labels, sample_weight=frame["w"])
    for i, row in enumerate(classes.itertuples(index=False)):
        assert close(row.support, support[i]) and close(row.predicted, matrix[:, i].sum())
        assert close(row.tp, matrix[i, i])
        assert close(row.precision, precision[i]) and close(row.recall, recall[i]) and close(row.f1, f1[i])
    confusion = evaluate(engine, table, spec, view="confusion")
    assert list(confusion.columns) == ["actual", "predicted", "rows", "weight"]
    got = confusion.pivot(index="actual", columns="predicted", values="weight").reindex(index=labels, columns=labels)
    assert np.allclose(got.fillna(0).to_numpy(), matrix, rtol=REL, atol=1e-12)
    counts = confusion.pivot(index="actual", columns="predicted", values="rows").reindex(index=labels, columns=labels)
    assert (counts.fillna(0).to_numpy() == skm.confusion_matrix(frame["y"], frame["p"], labels=labels)).all()


def test_multiclass_unit_weights_give_the_unweighted_result(engine):
    frame, _, _ = multiclass_frame(seed=4)
    frame["one"] = 1
    table = load(engine, "ds.wmc1", frame)
    for view in ("metrics", "classes", "confusion"):
        base = dict(task="multiclass", label="y", prediction="p", by=["g"])
        if view == "metrics":
            base.update(probs="probs", top_k=2)
        plain = evaluate(engine, table, EvalSpec(**base), view=view)
        unit = evaluate(engine, table, EvalSpec(**base, weight="one"), view=view)
        for column in plain.columns:
            for a, b in zip(unit[column], plain[column]):
                assert a == b if isinstance(b, str) or b is None else close(a, b), (view, column)
        if view == "confusion":
            assert (unit["weight"] == plain["rows"]).all()


def test_multiclass_invalid_weights_and_zero_total_weight(engine):
    frame = pd.DataFrame({"y": ["a", "b", "a", "b", None, "a"], "p": ["a", "a", "b", "b", "a", "a"],
                          "w": [0.0, 0.0, 1.0, None, 2.0, -1.0], "g": ["z", "z", "v", "v", "v", "v"]})
    table = load(engine, "ds.wmcbad", frame)
    spec = EvalSpec(task="multiclass", label="y", prediction="p", weight="w", by=["g"])
    with pytest.raises(BqmlToolsError, match=r"2 row\(s\) have a NULL, NaN, infinite or negative weight in w"):
        evaluate(engine, table, spec)
    got = evaluate(engine, table, EvalSpec(**{**spec.__dict__, "invalid": "exclude"}))
    v, z = got.iloc[0], got.iloc[1]
    assert (v["rows"], v["invalid_rows"], v["invalid_weight_rows"]) == (1, 1, 2)
    assert v["accuracy"] == 0.0 and v["baseline_accuracy"] == 1.0
    assert z["rows"] == 2
    for name in ("accuracy", "macro_precision", "weighted_recall", "micro_f1", "baseline_accuracy"):
        assert pd.isna(z[name]), name
    view = evaluate(engine, table, EvalSpec(**{**spec.__dict__, "invalid": "exclude"}), view="confusion")
    assert set(view.columns) == {"g", "actual", "predicted", "rows", "weight"}
    assert view.loc[view["g"] == "z", "weight"].sum() == 0


# ---------------------------------------------------------------- intervals and diagnose

def repeated(frame: pd.DataFrame, times: np.ndarray) -> pd.DataFrame:
    """Each row ``times`` times (same key, so the same jackknife partition)."""
    return frame.loc[frame.index.repeat(times)].reset_index(drop=True)


@pytest.mark.parametrize("task", ["regression", "multiclass"])
def test_whole_number_weights_equal_repeated_rows_with_intervals(engine, task):
    """Weight k on a row is the row k times: every estimate and every jackknife bound agrees."""
    if task == "regression":
        frame = regression_frame(seed=11, n=600).drop(columns="w")
        spec = dict(task="regression", label="y", prediction="p")
    else:
        frame = multiclass_frame(seed=11, n=600)[0].drop(columns="w")
        spec = dict(task="multiclass", label="y", prediction="p", probs="probs", top_k=2)
    times = np.random.default_rng(11).integers(0, 4, len(frame))
    weighted = load(engine, "ds.wrep_w", frame.assign(w=times.astype(float)))
    copies = load(engine, "ds.wrep_r", repeated(frame, times))
    common = dict(spec, by=["g"], ci=0.9, key=["i"], partitions=7)
    got = evaluate(engine, weighted, EvalSpec(**common, weight="w"))
    want = evaluate(engine, copies, EvalSpec(**common))
    assert list(got["rows"]) == list(frame.groupby("g").size())
    for column in want.columns:
        if column in ("rows", "g"):
            continue
        metric = column.removesuffix("_lower").removesuffix("_upper")
        for index, (a, b) in enumerate(zip(got[column], want[column])):
            if metric != column and got[metric][index] in (0, 1) and got[f"{metric}_lower"][index] == \
                    got[f"{metric}_upper"][index]:
                # at a bound: the repeated rows get Wilson's interval on their counts, weights keep the
                # jackknife's (no counts to read), with a warning that names the metric
                assert any(w.startswith(f"{metric} is ") for w in got.attrs["warnings"]), got.attrs["warnings"]
                continue
            assert close(a, b), column


def test_weighted_estimate_with_intervals_matches_sklearn(engine):
    frame = regression_frame(seed=12, n=800)
    table = load(engine, "ds.wci", frame)
    got = evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p", weight="w", ci=0.95,
                                           key=["i"])).iloc[0]
    want = sk_regression(frame["y"].to_numpy(), frame["p"].to_numpy(), frame["w"].to_numpy())
    for name, value in want.items():
        if name == "median_absolute_error":
            assert pd.isna(got[name])  # no median with --ci
            continue
        assert close(got[name], value), name
        if f"{name}_lower" in got:
            assert got[f"{name}_lower"] <= got[name] <= got[f"{name}_upper"], name


@pytest.mark.parametrize("task", ["regression", "multiclass"])
def test_diagnose_with_weights(engine, task):
    if task == "regression":
        frame = regression_frame(seed=13, n=800)
    else:
        frame = multiclass_frame(seed=13, n=800)[0].drop(columns="probs")
    frame["split"] = np.where(frame["i"] % 4 == 0, "valid", "train")
    table = load(engine, "ds.wdiag", frame)
    got = diagnose(engine, table, EvalSpec(task=task, label="y", prediction="p", weight="w")).iloc[0]
    for split in ("train", "valid"):
        part = frame[frame["split"] == split]
        y, p, w = part["y"], part["p"], part["w"].to_numpy()
        if task == "regression":
            error = math.sqrt(skm.mean_squared_error(y, p, sample_weight=w))
        else:
            error = 1 - skm.accuracy_score(y, p, sample_weight=w)
        assert close(got[split], error), split
        assert got[f"{split}_rows"] == len(part)


# ---------------------------------------------------------------- renderings

@pytest.mark.parametrize("spec, view", [
    (EvalSpec(task="regression", label="y", prediction="p", weight="w", by=["g"]), "metrics"),
    (EvalSpec(task="regression", label="y", prediction="p", weight="w", ci=0.95, key=["i"], by=["g"],
              min_slice_rows=10), "metrics"),
    (EvalSpec(task="multiclass", label="y", prediction="p", probs="probs", weight="w", ci=0.9, key=["i"]), "metrics"),
    (EvalSpec(task="multiclass", label="y", prediction="p", weight="w", by=["g"]), "classes"),
    (EvalSpec(task="multiclass", label="y", prediction="p", weight="w"), "confusion"),
])
def test_weighted_bigquery_renderings_parse(spec, view):
    for inline in (True, False):
        sql = evaluate_query("my-project.ml.predictions", spec, "bigquery", view=view, inline=inline).sql
        (statement,) = sqlglot.parse(sql, read="bigquery")
        assert "_bqml_weight" in sql and isinstance(statement, sqlglot.exp.Query)


@pytest.mark.parametrize("weight", [None, "w"])
def test_partitions_with_equal_moments_are_not_merged(engine, weight):
    """Two jackknife partitions with the same counts, means and squared deviations stay two partitions."""
    frame = pd.DataFrame({"y": [1.0] * 8 + [2.0, 3.0], "p": [1.0] * 8 + [2.5, 2.0], "i": range(10), "w": 1.0})
    table = load(engine, "ds.wparts", frame)
    got = evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p", ci=0.9, key=["i"],
                                           partitions=5, weight=weight)).iloc[0]
    assert got["rows"] == 10
    assert close(got["mae"], skm.mean_absolute_error(frame["y"], frame["p"]))
    assert close(got["mean_label"], frame["y"].mean())


# ---------------------------------------------------------------- property

_small = st.integers(0, 6).map(float) | st.sampled_from([0.25, 0.5, 1.5, 2.75])


@pytest.mark.duckdb
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")  # r2 of one row
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.integers(0, 5).map(float), st.integers(0, 5).map(float), _small),
                     min_size=1, max_size=12))
def test_any_small_weighted_table_matches_sklearn(duck, rows):
    """Few distinct values and whole or dyadic weights: ties, exact halves and zero weights everywhere."""
    y, p, w = (np.array(column) for column in zip(*rows))
    duck.connection.register("_rows", pd.DataFrame({"y": y, "p": p, "w": w}))
    got = evaluate(duck, "_rows", EvalSpec(task="regression", label="y", prediction="p", weight="w")).iloc[0]
    duck.connection.unregister("_rows")
    assert got["rows"] == len(rows)
    if w.sum() == 0:
        assert pd.isna(got["mae"]) and pd.isna(got["median_absolute_error"])
        return
    want = sk_regression(y, p, w)
    for name, value in want.items():
        if name in ("r2", "explained_variance") and np.average((y - want["mean_label"]) ** 2, weights=w) == 0:
            assert pd.isna(got[name]), name  # a constant label: NULL, or the sklearn convention when asked
            continue
        assert close(got[name], value), (name, got[name], value)


@pytest.mark.duckdb
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # scikit-learn's nan averages of all-undefined classes
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("abcd"), _small), min_size=1, max_size=12))
def test_any_small_weighted_multiclass_table_matches_sklearn(duck, rows):
    y, p, w = (np.array(column) for column in zip(*rows))
    w = w.astype(float)
    duck.connection.register("_rows", pd.DataFrame({"y": y, "p": p, "w": w}))
    got = evaluate(duck, "_rows", EvalSpec(task="multiclass", label="y", prediction="p", weight="w")).iloc[0]
    duck.connection.unregister("_rows")
    assert got["rows"] == len(rows)
    if w.sum() == 0:
        assert pd.isna(got["accuracy"]) and pd.isna(got["baseline_accuracy"])
        return
    assert close(got["accuracy"], skm.accuracy_score(y, p, sample_weight=w))
    for average in ("macro", "weighted", "micro"):
        for name, fn in (("precision", skm.precision_score), ("recall", skm.recall_score), ("f1", skm.f1_score)):
            want = fn(y, p, average=average, zero_division=np.nan, sample_weight=w)
            assert close(got[f"{average}_{name}"], float(want)), (average, name, got[f"{average}_{name}"], want)


@pytest.mark.parametrize("weight", [None, "w"])
def test_weighted_average_over_classes_of_zero_support_is_their_mean(engine, weight):
    """scikit-learn's weighted average falls back to the plain mean when the defined classes all have
    support 0 (precision of 'b' is defined, 0, but 'b' is never a label; 'a''s precision is undefined)."""
    frame = pd.DataFrame({"y": ["a", "a"], "p": ["b", "b"], "w": [1.0, 2.0]})
    table = load(engine, "ds.wzsup", frame)
    got = evaluate(engine, table, EvalSpec(task="multiclass", label="y", prediction="p", weight=weight)).iloc[0]
    sample_weight = None if weight is None else frame["w"]
    want = skm.precision_score(frame["y"], frame["p"], average="weighted", zero_division=np.nan,
                               sample_weight=sample_weight)
    assert want == 0.0 and close(got["weighted_precision"], want)


# ---------------------------------------------------------------- a label of one value (issue 17, item 6)

def exact_variance(y, w) -> Fraction:
    """The weighted population variance of the floats as given, in exact rational arithmetic."""
    ys, ws = [Fraction(float(v)) for v in y], [Fraction(float(v)) for v in w]
    total = sum(ws)
    mean = sum(a * b for a, b in zip(ws, ys)) / total
    return sum(b * (a - mean) ** 2 for a, b in zip(ys, ws)) / total


@pytest.mark.parametrize("ci", [None, 0.9])
@pytest.mark.parametrize("weight", ["w", None])
def test_constant_label_has_no_variance_and_no_r2(engine, weight, ci):
    """A group whose label is one value (not a dyadic one) has variance 0 exactly: r2 and
    explained_variance NULL as VAR_POP gives without weights, baseline_rmse 0. The pooled variance
    used to come out -1e-17 (r2 2e26 on DuckDB, SQRT of a negative failing BigQuery) or +1e-30 with
    --ci (r2 -5e33)."""
    rng = np.random.default_rng(6)
    n = 60
    values = [0.1, 3.7, 1e6 + 0.3]
    frame = pd.concat([pd.DataFrame({"y": value, "p": value + rng.normal(0, 1, n), "g": f"g{index}",
                                     "w": rng.random(n) * 3, "i": np.arange(n) + index * n})
                       for index, value in enumerate(values)], ignore_index=True)
    table = load(engine, "ds.wconst", frame)
    extra = dict(ci=ci, key=["i"], partitions=5) if ci else {}
    got = evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p", by=["g"], weight=weight,
                                           **extra))
    for row, value in zip(got.itertuples(index=False), values):
        assert pd.isna(row.r2) and pd.isna(row.explained_variance), (value, row.r2, row.explained_variance)
        assert row.baseline_rmse == 0 and row.mean_label == pytest.approx(value, rel=1e-14)
        if ci:
            assert pd.isna(row.r2_lower) and pd.isna(row.r2_upper)
    if ci:
        return  # --zero-division sklearn is refused with --ci
    sklearn_rule = evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p", by=["g"],
                                                    weight=weight, zero_division="sklearn"))
    for row, value in zip(sklearn_rule.itertuples(index=False), values):
        part = frame[frame["y"] == value]
        # scikit-learn's documented force_finite rule for a constant label: 1 for a perfect prediction,
        # else 0. (Its own arithmetic leaves np.mean's rounding in the denominator, so r2_score itself
        # gives -5.6e32 for 0.1, weighted or not; the exact variance is 0.)
        assert exact_variance(part["y"], part["w"] if weight else np.ones(len(part))) == 0
        assert (part["p"] != part["y"]).any()
        assert row.r2 == 0 and row.explained_variance == 0


_level = st.sampled_from([0.1, 3.7, -2.3, 123.456, 1e6 + 0.3, 1e-7 / 3])
_spread = st.sampled_from([0.0, 0.0, 1e-3, 1.0])
_weight = st.sampled_from([0.0, 0.3, 1.0, 2.7]) | st.floats(1e-3, 1e3)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(groups=st.lists(st.tuples(_level, _spread, st.lists(st.tuples(st.integers(0, 2), _weight), min_size=1,
                                                                      max_size=8)), min_size=1, max_size=5),
       ci=st.booleans())
def test_any_label_near_one_value_has_an_honest_variance(engine, groups, ci):
    """Labels at one level (an arbitrary float) plus 0, 1 or 2 steps of a spread that is often 0, with
    arbitrary weights: the variance is never negative and equals the exact rational one; r2 is NULL
    exactly when the label has no weighted spread, and otherwise scikit-learn's."""
    rows = []
    for index, (level, spread, members) in enumerate(groups):
        for step, w in members:
            rows.append({"g": index, "y": level + step * spread, "p": level + 0.5, "w": w, "i": len(rows)})
    frame = pd.DataFrame(rows)
    frame = frame[frame.groupby("g")["w"].transform("sum") > 0]  # a group of zero weight has no metric
    if frame.empty:
        return
    table = load(engine, "ds.wnear", frame)
    extra = dict(ci=0.9, key=["i"], partitions=5) if ci else {}
    got = evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p", by=["g"], weight="w",
                                           **extra))
    for row in got.itertuples(index=False):
        part = frame[frame["g"] == row.g]
        exact = exact_variance(part["y"], part["w"])
        scale = float(part["y"].abs().max()) ** 2
        assert row.baseline_rmse >= 0
        assert abs(row.baseline_rmse ** 2 - float(exact)) <= 1e-9 * float(exact) + 1e-20 * scale
        if exact == 0:
            assert pd.isna(row.r2) and pd.isna(row.explained_variance), (row.r2, row.explained_variance)
        elif exact > 1e-12 * scale:
            want = skm.r2_score(part["y"], part["p"], sample_weight=part["w"])
            assert row.r2 == pytest.approx(want, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("scale", [1e160, 1e-200])
def test_weights_at_extreme_scales_change_no_regression_or_multiclass_metric(engine, scale):
    """A cell's s1^2 overflowed at weights of 1e160 (its spread lost: r2 off by 3e-9) and underflowed at 1e-200."""
    frame = regression_frame(seed=14, n=400, offset=3000.0)  # many rows per 12-bit cell: s1 of several rows
    frame = frame.assign(w=frame["w"] * scale)
    table = load(engine, "ds.wregscale", frame)
    got = evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p", weight="w")).iloc[0]
    for name, value in sk_regression(frame["y"].to_numpy(), frame["p"].to_numpy(), frame["w"].to_numpy()).items():
        assert close(got[name], value, rel=rel_for(name, engine)), (name, got[name], value)
    classes = multiclass_frame(seed=14, n=400)[0].drop(columns="probs")
    classes = classes.assign(w=classes["w"] * scale)
    table = load(engine, "ds.wmcscale", classes)
    got = evaluate(engine, table, EvalSpec(task="multiclass", label="y", prediction="p", weight="w")).iloc[0]
    w = classes["w"].to_numpy()
    assert close(got["accuracy"], skm.accuracy_score(classes["y"], classes["p"], sample_weight=w))
    assert close(got["macro_f1"], skm.f1_score(classes["y"], classes["p"], average="macro", sample_weight=w))
