"""--names bigquery-ml: ML.EVALUATE's columns under its names with its definitions (regression, binary,
multiclass), and curve roc under ML.ROC_CURVE's, against scikit-learn."""
from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from breast_cancer import POSITIVE, predictions
from cli_runner import run

FRAME = predictions()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    folder = tmp_path_factory.mktemp("names")
    FRAME.to_parquet(folder / "binary.parquet")
    iris = load_iris()
    names = np.array(iris.target_names)
    model = LogisticRegression(max_iter=2000).fit(iris.data[::2], iris.target[::2])
    probs = model.predict_proba(iris.data)
    multi = pd.DataFrame({"y": names[iris.target], "y_hat": names[probs.argmax(axis=1)],
                          "probs": [[{"label": str(n), "prob": float(p)} for n, p in zip(names, row)] for row in probs]})
    multi.to_parquet(folder / "multi.parquet")
    return folder, multi, probs


def _json(capsys, *args):
    code, out, err = run(capsys, *args, "--format", "json")
    assert code == 0, err
    return pd.DataFrame(json.loads(out)), err  # json.loads: pandas.read_json rounds doubles


def test_binary_is_ml_evaluate(capsys, files):
    folder, _, _ = files
    got, _ = _json(capsys, "evaluate", str(folder / "binary.parquet"), "--task", "binary", "--label", "label",
                   "--probs", "probs_a", "--positive", POSITIVE, "--threshold", "0.3", "--names", "bigquery-ml")
    assert list(got.columns) == ["threshold", "precision", "recall", "accuracy", "f1_score", "log_loss", "roc_auc"]
    y, p = FRAME["label"] == POSITIVE, FRAME["p_a"]
    row = got.iloc[0]
    assert row["threshold"] == 0.3
    assert row["precision"] == pytest.approx(skm.precision_score(y, p >= 0.3))
    assert row["recall"] == pytest.approx(skm.recall_score(y, p >= 0.3))
    assert row["accuracy"] == pytest.approx(skm.accuracy_score(y, p >= 0.3))
    assert row["f1_score"] == pytest.approx(skm.f1_score(y, p >= 0.3))
    assert row["log_loss"] == pytest.approx(skm.log_loss(y, p), rel=1e-9)
    assert row["roc_auc"] == pytest.approx(skm.roc_auc_score(y, p), abs=1e-12)


def test_regression_is_ml_evaluate(capsys, files):
    folder, _, _ = files
    got, _ = _json(capsys, "evaluate", str(folder / "binary.parquet"), "--task", "regression", "--label", "p_a",
                   "--prediction", "p_b", "--names", "bigquery-ml", "--by", "split")
    assert list(got.columns) == ["split", "mean_absolute_error", "mean_squared_error", "mean_squared_log_error",
                                 "median_absolute_error", "r2_score", "explained_variance"]
    for _, row in got.iterrows():
        rows = FRAME[FRAME["split"] == row["split"]]
        y, yhat = rows["p_a"], rows["p_b"]
        assert row["mean_absolute_error"] == pytest.approx(skm.mean_absolute_error(y, yhat))
        assert row["mean_squared_error"] == pytest.approx(skm.mean_squared_error(y, yhat))
        assert row["mean_squared_log_error"] == pytest.approx(skm.mean_squared_log_error(y, yhat))
        assert row["median_absolute_error"] == pytest.approx(skm.median_absolute_error(y, yhat))
        assert row["r2_score"] == pytest.approx(skm.r2_score(y, yhat))
        assert row["explained_variance"] == pytest.approx(skm.explained_variance_score(y, yhat))


def test_multiclass_is_ml_evaluate_macro_averaged(capsys, files):
    folder, multi, probs = files
    got, err = _json(capsys, "evaluate", str(folder / "multi.parquet"), "--task", "multiclass", "--label", "y",
                     "--prediction", "y_hat", "--probs", "probs", "--names", "bigquery-ml")
    row = got.iloc[0]
    y, yhat = multi["y"], multi["y_hat"]
    assert row["precision"] == pytest.approx(skm.precision_score(y, yhat, average="macro"))
    assert row["recall"] == pytest.approx(skm.recall_score(y, yhat, average="macro"))
    assert row["accuracy"] == pytest.approx(skm.accuracy_score(y, yhat))
    assert row["f1_score"] == pytest.approx(skm.f1_score(y, yhat, average="macro"))
    assert row["log_loss"] == pytest.approx(skm.log_loss(y, probs, labels=sorted(set(y))), rel=1e-9)
    assert list(got.columns) == ["precision", "recall", "accuracy", "f1_score", "log_loss", "roc_auc"]
    assert row["roc_auc"] == pytest.approx(skm.roc_auc_score(y, probs, multi_class="ovr", average="macro"), rel=1e-12)
    assert "roc_auc" not in err


def test_multiclass_without_probabilities_says_which_columns_need_them(capsys, files):
    folder, _, _ = files
    got, err = _json(capsys, "evaluate", str(folder / "multi.parquet"), "--task", "multiclass", "--label", "y",
                     "--prediction", "y_hat", "--names", "bigquery-ml")
    assert list(got.columns) == ["precision", "recall", "accuracy", "f1_score"]
    assert "log_loss" in err and "roc_auc" in err and "--probs" in err


def test_curve_roc_is_ml_roc_curve(capsys, files):
    folder, _, _ = files
    got, _ = _json(capsys, "curve", str(folder / "binary.parquet"), "roc", "--label", "label", "--probs", "probs_a",
                   "--positive", POSITIVE, "--names", "bigquery-ml", "--by", "split")
    assert list(got.columns) == ["split", "threshold", "recall", "false_positive_rate", "true_positives",
                                 "false_positives", "true_negatives", "false_negatives"]
    for _, row in got.sample(40, random_state=1).iterrows():
        rows = FRAME[FRAME["split"] == row["split"]]
        tn, fp, fn, tp = skm.confusion_matrix(rows["label"] == POSITIVE, rows["p_a"] >= row["threshold"],
                                              labels=[False, True]).ravel()
        assert (row["true_positives"], row["false_positives"], row["true_negatives"], row["false_negatives"]) == \
            (tp, fp, tn, fn)
        assert row["recall"] == pytest.approx(tp / (tp + fn)) and row["false_positive_rate"] == pytest.approx(fp / (fp + tn))


def test_names_refusals(capsys, files):
    folder, _, _ = files
    code, _, err = run(capsys, "curve", str(folder / "binary.parquet"), "pr", "--label", "label", "--score", "p_a",
                       "--positive", POSITIVE, "--names", "bigquery-ml")
    assert code == 2 and "--names bigquery-ml is for curve roc" in err
