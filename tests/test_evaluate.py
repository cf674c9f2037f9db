"""Every metric against scikit-learn on generated data, to 1e-9 relative; counts exactly."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from bqml_tools.errors import BqmlToolsError, UnknownColumn
from bqml_tools.evaluation import EvalSpec, curve, diagnose, evaluate, evaluate_query
from approx import REL, close
from conftest import known_gap
from tables import load, sized



# ---------------------------------------------------------------- regression

def regression_frame(seed=0, n=3000):
    n = sized(n)  # the reference engine's tables are small (tables.GOOGLESQL_ROWS)
    rng = np.random.default_rng(seed)
    y = rng.gamma(2.0, 3.0, n)
    group = rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1])
    p = y * rng.normal(1.0, 0.2, n) + np.where(group == "c", 1.5, 0.0)
    return pd.DataFrame({"y": y, "p": np.abs(p), "g": group, "i": np.arange(n)})


def sk_regression(y, p):
    return {
        "rows": len(y), "mae": skm.mean_absolute_error(y, p), "mse": skm.mean_squared_error(y, p),
        "rmse": math.sqrt(skm.mean_squared_error(y, p)), "r2": skm.r2_score(y, p),
        "explained_variance": skm.explained_variance_score(y, p),
        "mean_squared_log_error": skm.mean_squared_log_error(y, p),
        "median_absolute_error": skm.median_absolute_error(y, p),
        "mean_label": float(np.mean(y)), "mean_prediction": float(np.mean(p)),
        "baseline_rmse": float(np.std(y)),
    }


def test_regression_matches_sklearn_per_group(engine):
    frame = regression_frame()
    table = load(engine, "ds.reg", frame)
    got = evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p", by=["g"]))
    assert list(got["g"]) == ["a", "b", "c"]
    for row in got.itertuples(index=False):
        part = frame[frame["g"] == row.g]
        for name, value in sk_regression(part["y"].to_numpy(), part["p"].to_numpy()).items():
            if name == "median_absolute_error" and engine.dialect == "bigquery":
                continue  # approximate on BigQuery: see test_median_absolute_error
            assert close(getattr(row, name), value), name
    ungrouped = evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p"))
    assert len(ungrouped) == 1 and ungrouped.loc[0, "rows"] == len(frame)


def test_median_absolute_error(engine, request):
    """Exact on DuckDB; on BigQuery APPROX_QUANTILES, so its rank must be near one half."""
    known_gap(request, "emulator", "bqemulator 1.4.0 answers APPROX_QUANTILES(x, 2)[OFFSET(1)] with the maximum")
    known_gap(request, "googlesql", "the reference has no approximate aggregates: APPROX_QUANTILES is declared in "
              "googlesql.APPROXIMATE_COLUMNS and its column comes back NULL")
    frame = regression_frame()
    table = load(engine, "ds.reg", frame)
    got = evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p")).iloc[0]
    errors = np.abs(frame["y"] - frame["p"]).to_numpy()
    if engine.dialect == "duckdb":
        assert close(got["median_absolute_error"], skm.median_absolute_error(frame["y"], frame["p"]))
    else:
        assert abs((errors < got["median_absolute_error"]).mean() - 0.5) <= 0.01


def test_regression_large_offset_is_numerically_stable(engine):
    """r2 from VAR_POP, not from sum-of-squares differences that cancel at large means."""
    rng = np.random.default_rng(5)
    y = 1e6 + rng.normal(0, 1, 2000)
    p = y + rng.normal(0, 0.5, 2000)
    table = load(engine, "ds.big", pd.DataFrame({"y": y, "p": p}))
    got = evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p")).iloc[0]
    assert got["r2"] == pytest.approx(skm.r2_score(y, p), rel=1e-9)
    assert got["explained_variance"] == pytest.approx(skm.explained_variance_score(y, p), rel=1e-9)


def test_regression_negative_values_null_msle_with_warning(engine):
    table = load(engine, "ds.neg", pd.DataFrame({"y": [-1.0, 2.0, 3.0], "p": [0.5, 2.5, 2.0]}))
    got = evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p"))
    assert pd.isna(got.loc[0, "mean_squared_log_error"]) and got.loc[0, "negative_rows"] == 1
    assert any("mean_squared_log_error" in w for w in got.attrs["warnings"])


def test_regression_constant_label_gives_null_r2_or_sklearn_convention(engine):
    table = load(engine, "ds.const", pd.DataFrame({"y": [2.0, 2.0, 2.0], "p": [1.0, 2.0, 3.0]}))
    got = evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p")).iloc[0]
    assert pd.isna(got["r2"]) and pd.isna(got["explained_variance"])
    sk = evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p", zero_division="sklearn")).iloc[0]
    assert sk["r2"] == skm.r2_score([2, 2, 2], [1, 2, 3]) == 0.0


def test_regression_nulls_refused_then_excluded(engine):
    frame = pd.DataFrame({"y": [1.0, None, 3.0, 4.0], "p": [1.5, 2.0, None, 4.5]})
    table = load(engine, "ds.nulls", frame)
    with pytest.raises(BqmlToolsError, match=r"2 row\(s\) have a NULL, NaN or infinite label \(y\) or prediction \(p\)"):
        evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p"))
    got = evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="p", invalid="exclude"))
    assert got.loc[0, "rows"] == 2 and got.loc[0, "invalid_rows"] == 2
    assert close(got.loc[0, "mae"], skm.mean_absolute_error([1, 4], [1.5, 4.5]))


# ---------------------------------------------------------------- binary

def binary_frame(seed=0, n=4000, positive_rate=0.3, ties=False):
    n = sized(n)  # the reference engine's tables are small (tables.GOOGLESQL_ROWS)
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < positive_rate).astype(int)
    score = np.clip(rng.beta(2, 5, n) + 0.35 * y, 0, 1)
    if ties:
        score = np.round(score, 2)
    group = rng.choice(["x", "y"], n)
    return pd.DataFrame({"label": y, "score": score, "g": group, "flag": y.astype(bool),
                         "name": np.where(y == 1, "spam", "ham")})


def sk_binary(y, s, t=0.5):
    pred = (s >= t).astype(int)
    tn, fp, fn, tp = skm.confusion_matrix(y, pred, labels=[0, 1]).ravel()
    both = len(set(y)) == 2
    return {
        "rows": len(y), "positives": int(y.sum()), "tp": tp, "fp": fp, "tn": tn, "fn": fn,
        "accuracy": skm.accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred, zero_division=np.nan),
        "recall": skm.recall_score(y, pred, zero_division=np.nan),
        "specificity": tn / (tn + fp) if tn + fp else float("nan"),
        "f1": skm.f1_score(y, pred, zero_division=np.nan),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred) if both else float("nan"),
        "log_loss": skm.log_loss(y, s, labels=[0, 1]),
        "brier": skm.brier_score_loss(y, s, pos_label=1) if both else float(np.mean((s - y) ** 2)),
        "roc_auc": skm.roc_auc_score(y, s) if both else float("nan"),
        "average_precision": skm.average_precision_score(y, s) if y.sum() else float("nan"),
        "base_rate": float(y.mean()),
    }


@pytest.mark.parametrize("case", ["continuous", "ties", "imbalanced"])
def test_binary_matches_sklearn(engine, case):
    frame = binary_frame(ties=case == "ties", positive_rate=0.01 if case == "imbalanced" else 0.3, n=6000)
    table = load(engine, "ds.bin", frame)
    got = evaluate(engine, table, EvalSpec(task="binary", label="label", score="score", by=["g"], auc="exact"))
    for row in got.itertuples(index=False):
        part = frame[frame["g"] == row.g]
        for name, value in sk_binary(part["label"].to_numpy(), part["score"].to_numpy()).items():
            assert close(getattr(row, name), value), (name, getattr(row, name), value)
        assert row.roc_auc_error_bound == 0.0


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 0.97, 1.0])
def test_binary_thresholds(engine, threshold):
    frame = binary_frame(ties=True)
    table = load(engine, "ds.bin", frame)
    got = evaluate(engine, table, EvalSpec(task="binary", label="label", score="score", threshold=threshold)).iloc[0]
    want = sk_binary(frame["label"].to_numpy(), frame["score"].to_numpy(), threshold)
    for name in ("tp", "fp", "tn", "fn", "precision", "recall", "f1", "accuracy"):
        assert close(got[name], want[name]), name


def test_binary_label_kinds_give_the_same_metrics(engine):
    frame = binary_frame()
    table = load(engine, "ds.bin", frame)
    base = evaluate(engine, table, EvalSpec(task="binary", label="label", score="score"))
    flag = evaluate(engine, table, EvalSpec(task="binary", label="flag", score="score"))
    named = evaluate(engine, table, EvalSpec(task="binary", label="name", score="score", positive="spam"))
    for other in (flag, named):
        pd.testing.assert_frame_equal(base.drop(columns=[]), other, check_dtype=False)


def test_binary_group_with_one_class_and_empty_groups(engine):
    frame = binary_frame(n=500)
    frame.loc[frame["g"] == "y", "label"] = 0
    table = load(engine, "ds.one", frame)
    got = evaluate(engine, table, EvalSpec(task="binary", label="label", score="score", by=["g"])).set_index("g")
    assert pd.isna(got.loc["y", "roc_auc"]) and pd.isna(got.loc["y", "average_precision"])
    assert pd.isna(got.loc["y", "recall"]) and got.loc["y", "positives"] == 0
    assert any("only one class" in w for w in got.attrs["warnings"])
    part = frame[frame["g"] == "x"]
    assert close(got.loc["x", "roc_auc"], skm.roc_auc_score(part["label"], part["score"]))


@pytest.mark.parametrize("distribution", ["uniform", "near_zero", "near_one", "exact_zeros"])
def test_binned_auc_within_its_bound(engine, distribution):
    rng = np.random.default_rng(11)
    n = 30000
    y = (rng.random(n) < 0.2).astype(int)
    s = {
        "uniform": np.clip(rng.random(n) * 0.7 + 0.3 * y, 0, 1),
        "near_zero": rng.beta(0.05, 50, n) * (1 + y),
        "near_one": 1 - rng.beta(0.05, 50, n) * (2 - y),
        "exact_zeros": np.where(rng.random(n) < 0.5, 0.0, rng.random(n) * (0.5 + y / 2)),
    }[distribution]
    table = load(engine, "ds.binned", pd.DataFrame({"label": y, "score": s}))
    got = evaluate(engine, table, EvalSpec(task="binary", label="label", score="score", auc="binned")).iloc[0]
    exact = skm.roc_auc_score(y, s)
    assert abs(got["roc_auc"] - exact) <= got["roc_auc_error_bound"] + 1e-12
    assert got["roc_auc_error_bound"] <= 1e-4
    assert got["log_loss"] == pytest.approx(skm.log_loss(y, s), rel=REL)


def test_binned_bound_warns_when_scores_sit_in_few_bins(engine):
    rng = np.random.default_rng(2)
    y = (rng.random(5000) < 0.5).astype(int)
    s = 0.5 + 1e-5 * rng.random(5000)
    table = load(engine, "ds.narrow", pd.DataFrame({"label": y, "score": s}))
    got = evaluate(engine, table, EvalSpec(task="binary", label="label", score="score", auc="binned"))
    assert abs(got.loc[0, "roc_auc"] - skm.roc_auc_score(y, s)) <= got.loc[0, "roc_auc_error_bound"]
    assert any("error bound" in w for w in got.attrs["warnings"])


def test_binary_invalid_rows(engine):
    frame = pd.DataFrame({"label": [0, 1, 2, None, 1, 0], "score": [0.1, 1.2, 0.5, 0.5, None, 0.3]})
    table = load(engine, "ds.bad", frame.astype({"label": "Int64"}))
    with pytest.raises(BqmlToolsError, match=r"2 row\(s\) have a NULL label or one that is not binary in label.*"
                                             r"2 row\(s\) have a NULL, NaN or infinite score or one outside \[0, 1\] in score"):
        evaluate(engine, table, EvalSpec(task="binary", label="label", score="score"))
    got = evaluate(engine, table, EvalSpec(task="binary", label="label", score="score", invalid="exclude")).iloc[0]
    assert got["rows"] == 2 and got["invalid_label_rows"] == 2 and got["invalid_score_rows"] == 2
    assert close(got["log_loss"], skm.log_loss([0, 0], [0.1, 0.3], labels=[0, 1]))


def test_exact_auc_per_group_with_ties_null_groups_and_invalid_rows(engine):
    """Exact AUC and average precision of each group as scikit-learn computes it on that group alone:
    two group columns, one with NULLs, ties inside and across groups, invalid rows excluded. DuckDB
    ranks the rows in one window partitioned by a hash of the group columns; BigQuery windows
    per-score aggregates: one expected result."""
    rng = np.random.default_rng(5)
    n = 3000
    y = (rng.random(n) < 0.4).astype(int)
    raw = rng.random(n) * 0.6 + 0.4 * y
    s = np.where(rng.random(n) < 0.5, np.round(raw, 2), raw)  # half the rows tie
    frame = pd.DataFrame({"label": pd.array(y, dtype="Int64"), "score": s,
                          "g1": rng.choice(np.array(["a", "b", None], dtype=object), n), "g2": rng.choice([1, 2], n)})
    frame.loc[rng.random(n) < 0.02, "label"] = pd.NA
    frame.loc[rng.random(n) < 0.02, "score"] = 1.5
    table = load(engine, "ds.groups", frame)
    got = evaluate(engine, table, EvalSpec(task="binary", label="label", score="score", by=["g1", "g2"],
                                           auc="exact", invalid="exclude"))
    valid = frame[frame["label"].notna() & (frame["score"] <= 1)]
    want = {(None if pd.isna(g1) else g1, int(g2)): part
            for (g1, g2), part in valid.groupby(["g1", "g2"], dropna=False)}
    assert len(got) == len(want) == 6
    for row in got.itertuples(index=False):
        part = want[(None if pd.isna(row.g1) else row.g1, int(row.g2))]
        labels, scores = part["label"].to_numpy(dtype=int), part["score"].to_numpy()
        assert row.rows == len(part) and row.positives == labels.sum()
        assert close(row.roc_auc, skm.roc_auc_score(labels, scores))
        assert close(row.average_precision, skm.average_precision_score(labels, scores))
        assert row.roc_auc_error_bound == 0.0


@pytest.mark.duckdb
def test_exact_auc_fails_when_two_groups_share_a_partition_key(duck):
    """DuckDB's exact plan partitions its window by a 64-bit hash of the group columns: were two groups
    to share one (forced here by a constant key), the statement fails instead of mixing their ranks."""
    load(duck, "ds.bin", binary_frame(n=300))
    sql = evaluate_query("ds.bin", EvalSpec(task="binary", label="label", score="score", by=["g"]), "duckdb").sql
    assert sql.count("hash(_bqml_g0)") == 1
    assert len(duck.connection.execute(sql).fetchall()) == 2
    with pytest.raises(Exception, match="two groups share a sort key"):
        duck.connection.execute(sql.replace("hash(_bqml_g0)", "42")).fetchall()


# ---------------------------------------------------------------- multiclass

def multiclass_frame(seed=0, n=4000):
    n = sized(n)  # the reference engine's tables are small (tables.GOOGLESQL_ROWS)
    rng = np.random.default_rng(seed)
    classes = np.array(["ant", "bee", "cat", "dog"])
    y = rng.choice(classes, n, p=[0.55, 0.3, 0.1, 0.05])
    probs = rng.dirichlet([2, 1, 1, 0.5], n)
    probs[np.arange(n), np.searchsorted(classes, y)] += 0.5
    probs /= probs.sum(axis=1, keepdims=True)
    pred = classes[probs.argmax(axis=1)]
    pred[pred == "dog"] = "cat"  # "dog" is never predicted: its precision is undefined
    pred[:3] = "emu"  # a class only ever predicted
    return pd.DataFrame({
        "y": y, "p": pred, "g": rng.choice(["s1", "s2"], n),
        "probs": [[{"label": c, "prob": float(q)} for c, q in zip(classes, row)] for row in probs],
    }), probs, classes


def test_multiclass_matches_sklearn(engine):
    frame, probs, classes = multiclass_frame()
    table = load(engine, "ds.mc", frame)
    got = evaluate(engine, table, EvalSpec(task="multiclass", label="y", prediction="p", probs="probs", top_k=2, by=["g"]))
    for row in got.itertuples(index=False):
        mask = (frame["g"] == row.g).to_numpy()
        y, p, pr = frame["y"][mask], frame["p"][mask], probs[mask]
        assert row.rows == mask.sum()
        assert close(row.accuracy, skm.accuracy_score(y, p))
        for average in ("macro", "weighted", "micro"):
            for name, fn in (("precision", skm.precision_score), ("recall", skm.recall_score), ("f1", skm.f1_score)):
                want = fn(y, p, average=average, zero_division=np.nan)
                assert close(getattr(row, f"{average}_{name}"), want), (average, name)
        assert close(row.log_loss, skm.log_loss(y, pr, labels=classes))
        assert close(row.top_k_accuracy, skm.top_k_accuracy_score(y, pr, k=2, labels=classes))
        assert close(row.baseline_accuracy, y.value_counts().max() / len(y))


def test_multiclass_per_class_and_confusion(engine):
    frame, _, _ = multiclass_frame()
    table = load(engine, "ds.mc", frame)
    spec = EvalSpec(task="multiclass", label="y", prediction="p")
    classes = evaluate(engine, table, spec, view="classes")
    labels = sorted(set(frame["y"]) | set(frame["p"]))
    assert list(classes["class"]) == labels
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        frame["y"], frame["p"], labels=labels, zero_division=np.nan)
    for i, row in enumerate(classes.itertuples(index=False)):
        assert row.support == support[i]
        assert close(row.precision, precision[i]) and close(row.recall, recall[i]) and close(row.f1, f1[i])
    confusion = evaluate(engine, table, spec, view="confusion")
    matrix = skm.confusion_matrix(frame["y"], frame["p"], labels=labels)
    got = confusion.pivot(index="actual", columns="predicted", values="rows").reindex(index=labels, columns=labels).fillna(0)
    assert (got.to_numpy() == matrix).all()


def test_multiclass_sklearn_zero_division_convention(engine):
    frame, _, _ = multiclass_frame()
    table = load(engine, "ds.mc", frame)
    got = evaluate(engine, table, EvalSpec(task="multiclass", label="y", prediction="p", zero_division="sklearn")).iloc[0]
    assert close(got["macro_precision"], skm.precision_score(frame["y"], frame["p"], average="macro", zero_division=0))
    assert close(got["weighted_precision"], skm.precision_score(frame["y"], frame["p"], average="weighted", zero_division=0))


def test_multiclass_type_mismatch_is_refused(engine):
    table = load(engine, "ds.mm", pd.DataFrame({"y": ["a", "b"], "p": [1, 2]}))
    with pytest.raises(BqmlToolsError, match="same kind of class value"):
        evaluate(engine, table, EvalSpec(task="multiclass", label="y", prediction="p"))


# ---------------------------------------------------------------- curves

def test_roc_and_pr_curves_match_sklearn(engine):
    frame = binary_frame(ties=True)
    table = load(engine, "ds.bin", frame)
    spec = EvalSpec(task="binary", label="label", score="score")
    roc = curve(engine, table, spec, "roc")
    fpr, tpr, thresholds = skm.roc_curve(frame["label"], frame["score"], drop_intermediate=False)
    np.testing.assert_allclose(roc["fpr"], fpr[1:], rtol=REL)
    np.testing.assert_allclose(roc["tpr"], tpr[1:], rtol=REL)
    np.testing.assert_allclose(roc["threshold"], thresholds[1:], rtol=REL)
    pr = curve(engine, table, spec, "pr")
    precision, recall, pr_thresholds = skm.precision_recall_curve(frame["label"], frame["score"])
    np.testing.assert_allclose(pr["precision"], precision[:-1][::-1], rtol=REL)
    np.testing.assert_allclose(pr["recall"], recall[:-1][::-1], rtol=REL)
    np.testing.assert_allclose(pr["threshold"], pr_thresholds[::-1], rtol=REL)


def test_binned_curve_points_lie_on_the_exact_curve(engine):
    frame = binary_frame()
    table = load(engine, "ds.bin", frame)
    binned = curve(engine, table, EvalSpec(task="binary", label="label", score="score", auc="binned", bins_per_logit=50), "roc")
    y, s = frame["label"].to_numpy(), frame["score"].to_numpy()
    assert len(binned) < len(set(s))
    for row in binned.itertuples(index=False):
        above = s >= row.threshold
        assert row.tp == (above & (y == 1)).sum() and row.fp == (above & (y == 0)).sum()


def test_threshold_sweep(engine):
    frame = binary_frame(ties=True)
    table = load(engine, "ds.bin", frame)
    sweep = curve(engine, table, EvalSpec(task="binary", label="label", score="score"), "thresholds", steps=20)
    assert len(sweep) == 21
    y, s = frame["label"].to_numpy(), frame["score"].to_numpy()
    for row in sweep.itertuples(index=False):
        pred = s >= row.threshold
        assert row.tp == (pred & (y == 1)).sum() and row.fp == (pred & (y == 0)).sum()
        assert close(row.precision, skm.precision_score(y, pred, zero_division=np.nan))
        assert close(row.f1, skm.f1_score(y, pred, zero_division=np.nan))


def test_calibration_table_and_ece(engine):
    frame = binary_frame()
    frame.loc[0, "score"] = 1.0
    table = load(engine, "ds.bin", frame)
    cal = curve(engine, table, EvalSpec(task="binary", label="label", score="score"), "calibration", bins=10)
    y, s = frame["label"].to_numpy(), frame["score"].to_numpy()
    bins = np.searchsorted(np.linspace(0.0, 1.0, 11)[1:-1], s)  # calibration_curve's bins
    ece = 0.0
    for row in cal.itertuples(index=False):
        mask = bins == row.bin
        assert row.rows == mask.sum()
        assert close(row.mean_score, s[mask].mean()) and close(row.observed_rate, y[mask].mean())
        ece += mask.sum() / len(y) * abs(s[mask].mean() - y[mask].mean())
    assert close(cal["expected_calibration_error"].iloc[0], ece)
    prob_true, prob_pred = __import__("sklearn.calibration", fromlist=["calibration_curve"]).calibration_curve(y, s, n_bins=10)
    np.testing.assert_allclose(cal["observed_rate"], prob_true, rtol=1e-9)


# ---------------------------------------------------------------- diagnose and errors

def diagnose_frame(kind):
    rng = np.random.default_rng(4)
    n = 4000
    split = np.where(np.arange(n) % 5 == 0, "valid", "train")
    y = rng.normal(0, 3, n)
    if kind == "under":
        p = rng.normal(0, 0.1, n)
    elif kind == "over":
        p = np.where(split == "train", y + rng.normal(0, 0.1, n), y + rng.normal(0, 2.5, n))
    else:
        p = y + rng.normal(0, 1, n)
    return pd.DataFrame({"y": y, "p": p, "split": split})


@pytest.mark.parametrize("kind,verdict", [("under", "under-fitting"), ("over", "over-fitting"), ("good", "good fit")])
def test_diagnose_verdicts(engine, kind, verdict):
    frame = diagnose_frame(kind)
    table = load(engine, "ds.diag", frame)
    got = diagnose(engine, table, EvalSpec(task="regression", label="y", prediction="p")).iloc[0]
    assert got["verdict"] == verdict, got["reason"]
    train = frame[frame["split"] == "train"]
    assert close(got["train"], math.sqrt(skm.mean_squared_error(train["y"], train["p"])))
    assert close(got["baseline"], float(np.std(train["y"])))


def test_diagnose_binary_and_missing_split(engine):
    frame = binary_frame()
    frame["split"] = np.where(np.arange(len(frame)) % 4 == 0, "test", "train")
    table = load(engine, "ds.bin", frame)
    got = diagnose(engine, table, EvalSpec(task="binary", label="label", score="score"), valid="test").iloc[0]
    assert got["metric"] == "log_loss" and got["verdict"] in ("good fit", "over-fitting", "under-fitting")
    with pytest.raises(BqmlToolsError, match="split 'valid' has no rows in column 'split'; it has: test, train"):
        diagnose(engine, table, EvalSpec(task="binary", label="label", score="score"))


def test_bad_inputs(engine):
    table = load(engine, "ds.reg", regression_frame(n=10))
    with pytest.raises(UnknownColumn, match="'prediction' is not in the source"):
        evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="prediction"))
    with pytest.raises(BqmlToolsError, match="regression needs numeric columns: 'g'"):
        evaluate(engine, table, EvalSpec(task="regression", label="y", prediction="g"))
    with pytest.raises(BqmlToolsError, match=r"pass positive=\.\.\."):
        evaluate(engine, table, EvalSpec(task="binary", label="g", score="p"))
    empty = load(engine, "ds.empty", sql="SELECT 1.0 AS y, 1.0 AS p WHERE false")
    with pytest.raises(BqmlToolsError, match="the table is empty"):
        evaluate(engine, empty, EvalSpec(task="regression", label="y", prediction="p"))
    for bad, message in [(dict(threshold=1.5), "threshold 1.5 must be a number in"),
                         (dict(threshold=float("nan")), "threshold nan must be"), (dict(invalid="skip"), "'skip' is not one of"),
                         (dict(bins_per_logit=0), "bins per logit unit 0 must be")]:
        with pytest.raises(BqmlToolsError, match=message):
            EvalSpec(task="binary", label="y", score="p", **bad)
    with pytest.raises(BqmlToolsError, match="top-k 0 must be a whole number >= 1"):
        EvalSpec(task="multiclass", label="y", prediction="p", probs="q", top_k=0)
    with pytest.raises(BqmlToolsError, match=r"needs score=\.\.\."):
        EvalSpec(task="binary", label="y")


@pytest.mark.duckdb
def test_printed_statement_refuses_invalid_rows_itself(duck):
    load(duck, "ds.bad", pd.DataFrame({"label": [0, 1, 1], "score": [0.2, 1.5, 0.7]}))
    sql = evaluate_query("ds.bad", EvalSpec(task="binary", label="label", score="score"), "duckdb").sql
    with pytest.raises(Exception, match="1 row\\(s\\) have a NULL, NaN or infinite score or one outside"):
        duck.connection.execute(sql).fetchall()
    excluded = evaluate_query("ds.bad", EvalSpec(task="binary", label="label", score="score", invalid="exclude"), "duckdb").sql
    assert duck.connection.execute(excluded).fetchone()[0] == 2


@pytest.mark.duckdb
def test_printed_and_bound_statements_agree(duck):
    frame = binary_frame()
    load(duck, "ds.bin", frame)
    spec = EvalSpec(task="binary", label="name", score="score", positive="spam", threshold=0.4, by=["g"])
    printed = duck.connection.execute(evaluate_query("ds.bin", spec, "duckdb", engine=duck).sql).df()
    bound = evaluate(duck, "ds.bin", spec)
    pd.testing.assert_frame_equal(printed, bound, check_dtype=False)
