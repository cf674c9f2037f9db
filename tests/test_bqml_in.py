"""BigQuery ML's output as it comes: binary from ML.PREDICT's probabilities array (--probs --positive),
row filters (--where) and query sources, on every engine, against scikit-learn on a breast-cancer table."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

import bqml_tools as bt
from bqml_tools.errors import BqmlToolsError
from breast_cancer import POSITIVE, predictions
from conftest import known_gap
from tables import load

FRAME = predictions()
BY_PROBS = bt.EvalSpec(task="binary", label="label", probs="probs_a", positive=POSITIVE, auc="exact")
BY_SCORE = bt.EvalSpec(task="binary", label="label", score="p_a", positive=POSITIVE, auc="exact")
NUMBERS = ["rows", "positives", "tp", "fp", "tn", "fn", "accuracy", "precision", "recall", "f1", "log_loss",
           "brier", "roc_auc", "average_precision"]


@pytest.fixture
def table(engine):
    return load(engine, "bqml_in.preds", FRAME)


def test_probs_equal_score_on_the_extracted_column_and_sklearn(engine, table):
    by_probs = bt.evaluate(engine, table, replace(BY_PROBS, by=("split",))).set_index("split")
    by_score = bt.evaluate(engine, table, replace(BY_SCORE, by=("split",))).set_index("split")
    pd.testing.assert_frame_equal(by_probs[NUMBERS], by_score[NUMBERS])
    for split, rows in FRAME.groupby("split"):
        y, p = (rows["label"] == POSITIVE).astype(int), rows["p_a"]
        got = by_probs.loc[split]
        assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(y, p), abs=1e-12)
        assert got["log_loss"] == pytest.approx(skm.log_loss(y, p), rel=1e-9)
        assert got["recall"] == pytest.approx(skm.recall_score(y, p >= 0.5))
        assert got["precision"] == pytest.approx(skm.precision_score(y, p >= 0.5))
        assert got["average_precision"] == pytest.approx(skm.average_precision_score(y, p), rel=1e-9)


def test_arrays_without_the_positive_label_or_not_summing_to_one_are_invalid(engine):
    frame = FRAME.head(40).copy()
    broken = {3: [{"label": "benign", "prob": 1.0}],  # no positive entry
              5: [{"label": "malignant", "prob": 0.5}, {"label": "benign", "prob": 0.4}],  # sums to 0.9
              8: [{"label": "malignant", "prob": 0.3}, {"label": "benign", "prob": 0.7 + 2e-6}],  # off by 2e-6
              9: [{"label": "malignant", "prob": 0.3}, {"label": "benign", "prob": 0.7 + 5e-7}]}  # within 1e-6: valid
    frame["probs_a"] = [broken.get(i, probs) for i, probs in enumerate(frame["probs_a"])]
    frame.loc[9, "p_a"] = 0.3
    table = load(engine, "bqml_in.broken", frame)
    with pytest.raises(BqmlToolsError, match=r"3 row\(s\) whose probabilities in probs_a lack the positive label "
                                             r"'malignant', do not sum to 1 within 1e-06"):
        bt.evaluate(engine, table, BY_PROBS)
    got = bt.evaluate(engine, table, replace(BY_PROBS, invalid="exclude"))
    assert int(got["invalid_score_rows"][0]) == 3
    kept = frame.drop(index=[3, 5, 8])
    y, p = (kept["label"] == POSITIVE).astype(int), kept["p_a"]
    assert int(got["rows"][0]) == len(kept)
    assert got["roc_auc"][0] == pytest.approx(skm.roc_auc_score(y, p), abs=1e-12)
    assert any("excluded 3 row(s) whose probabilities" in w for w in got.attrs["warnings"])


def test_threshold_curve_and_compare_read_the_array_as_the_score(engine, table):
    goal = "recall>=0.95"
    valid = ("split", "valid")
    chosen = bt.threshold(engine, table, replace(BY_PROBS, where=[valid]), goal)
    same = bt.threshold(engine, table, replace(BY_SCORE, where=[valid]), goal)
    assert chosen["threshold"][0] == same["threshold"][0]
    rows = FRAME[FRAME["split"] == "valid"]
    y, p = (rows["label"] == POSITIVE).to_numpy(), rows["p_a"].to_numpy()
    # the oracle: the highest distinct score whose recall reaches the target
    recall = {t: (p[y] >= t).mean() for t in np.unique(p)}
    assert chosen["threshold"][0] == max(t for t, r in recall.items() if r >= 0.95)
    assert int(chosen["rows"][0]) == len(rows)

    roc = bt.curve(engine, table, replace(BY_PROBS, where=[("split", "test")]), "roc")
    test = FRAME[FRAME["split"] == "test"]
    fpr, tpr, thresholds = skm.roc_curve(test["label"] == POSITIVE, test["p_a"], drop_intermediate=False)
    np.testing.assert_allclose(roc["tpr"], tpr[1:], atol=1e-12)
    np.testing.assert_allclose(roc["fpr"], fpr[1:], atol=1e-12)

    spec = replace(BY_PROBS, key=("id",), ci=0.95, where=[("split", "test")])
    by_probs = bt.compare(engine, table, spec, "probs_b").set_index("metric")
    by_score = bt.compare(engine, table, replace(BY_SCORE, key=("id",), ci=0.95, where=[("split", "test")]), "p_b").set_index("metric")
    np.testing.assert_allclose(by_probs["difference"], by_score["difference"], atol=1e-12)
    auc = skm.roc_auc_score(test["label"] == POSITIVE, test["p_b"]) - skm.roc_auc_score(test["label"] == POSITIVE, test["p_a"])
    assert by_probs.loc["roc_auc", "difference"] == pytest.approx(auc, abs=1e-12)


def test_where_filters_rows_typed_as_the_column_and_bound(engine, table):
    frame = FRAME.assign(fold=FRAME["id"] % 3, flagged=FRAME["id"] % 2 == 0)
    table = load(engine, "bqml_in.folds", frame)
    spec = replace(BY_SCORE, where={"split": "valid", "fold": "1", "flagged": "false"})
    got = bt.evaluate(engine, table, spec)
    rows = frame[(frame["split"] == "valid") & (frame["fold"] == 1) & ~frame["flagged"]]
    assert int(got["rows"][0]) == len(rows)
    assert got["roc_auc"][0] == pytest.approx(skm.roc_auc_score(rows["label"] == POSITIVE, rows["p_a"]), abs=1e-12)
    query = bt.evaluate_query(table, spec, engine.dialect, engine=engine, inline=False)
    assert query.params["where_0"] == "valid" and query.params["where_1"] == 1 and query.params["where_2"] is False
    with pytest.raises(BqmlToolsError, match=r"where fold='x': fold is \w+; write a whole number"):
        bt.evaluate(engine, table, replace(BY_SCORE, where=["fold=x"]))
    with pytest.raises(BqmlToolsError, match="column 'nope' is not in the source"):
        bt.evaluate(engine, table, replace(BY_SCORE, where=["nope=1"]))


@pytest.mark.parametrize("where", [["split"], ["a b=1"], [("split", None)], ["split=a", "SPLIT=b"], ["_bqml_x=1"]])
def test_bad_filters_are_one_line_errors(where):
    with pytest.raises(BqmlToolsError, match="where|identifier|reserved"):
        replace(BY_SCORE, where=where)


@pytest.mark.parametrize("spec", [BY_SCORE, BY_PROBS], ids=["score", "probs"])
def test_a_query_source_is_read_as_a_subquery(request, engine, table, spec):
    if spec is BY_PROBS:
        known_gap(request, "emulator", "the emulator cannot bind a column of a derived table inside a correlated "
                                       "UNNEST subquery (Binder Error); BigQuery can")
    name = f"`{table}`" if engine.dialect == "bigquery" else table
    query = f"SELECT * FROM {name}\nWHERE split = 'test' -- a comment at the end"
    got = bt.evaluate(engine, query, spec)
    test = FRAME[FRAME["split"] == "test"]
    assert int(got["rows"][0]) == len(test)
    assert got["roc_auc"][0] == pytest.approx(skm.roc_auc_score(test["label"] == POSITIVE, test["p_a"]), abs=1e-12)
    with pytest.raises(BqmlToolsError, match="one SELECT statement"):
        bt.evaluate(engine, f"SELECT * FROM {name}; DROP TABLE {name}", BY_PROBS)


@pytest.fixture(scope="module")
def parquet(tmp_path_factory):
    path = tmp_path_factory.mktemp("bqml_in") / "preds.parquet"
    FRAME.to_parquet(path)
    return str(path)


def test_cli_binary_from_probs_with_filters(capsys, parquet):
    from cli_runner import run

    common = ["--label", "label", "--positive", "malignant", "--where", "split=test", "--format", "json"]
    code, out, err = run(capsys, "evaluate", parquet, "--task", "binary", "--probs", "probs_a", *common)
    assert code == 0, err
    test = FRAME[FRAME["split"] == "test"]
    got = pd.DataFrame(__import__("json").loads(out))
    assert got["roc_auc"][0] == pytest.approx(skm.roc_auc_score(test["label"] == POSITIVE, test["p_a"]), abs=1e-12)
    code, out, err = run(capsys, "compare", parquet, "--task", "binary", "--probs", "probs_a", "--against-probs",
                         "probs_b", "--key", "id", *common)
    assert code == 0, err
    code, out, err = run(capsys, "threshold", parquet, "--probs", "probs_a", "--target", "f1", *common)
    assert code == 0, err
    code, out, err = run(capsys, "curve", parquet, "roc", "--probs", "probs_a", *common)
    assert code == 0, err


@pytest.mark.parametrize("args,message", [
    (["evaluate", "--task", "binary", "--label", "label"], "task binary needs --score COLUMN (the positive class's "
                                                           "probability), or, for ML.PREDICT's predicted_<label>_probs "
                                                           "array, --probs COLUMN --positive VALUE"),
    (["evaluate", "--task", "binary", "--label", "label", "--score", "probs_a", "--positive", "malignant"],
     "pass --probs probs_a --positive VALUE (the positive label) instead of --score"),
    (["evaluate", "--task", "binary", "--label", "label", "--probs", "probs_a"], "--probs probs_a needs --positive VALUE"),
    (["compare", "--task", "binary", "--label", "label", "--probs", "probs_a", "--positive", "malignant", "--key", "id"],
     "name the other model's array with --against-probs COLUMN"),
    (["evaluate", "--task", "binary", "--label", "label", "--score", "p_a", "--positive", "malignant", "--where", "split"],
     "--where 'split': write COLUMN=VALUE"),
])
def test_cli_messages_say_how_to_get_there(capsys, parquet, args, message):
    from cli_runner import run

    code, _, err = run(capsys, args[0], parquet, *args[1:])
    assert code == 2 and message in " ".join(err.split()), err


def test_a_bool_label_reads_true_or_false_in_the_array(engine):
    """BigQuery ML's probabilities array of a BOOL label has BOOL labels: --positive true (or false)."""
    frame = FRAME.assign(label=FRAME["label"] == POSITIVE)
    frame["probs_a"] = [[{"label": True, "prob": r[0]["prob"]}, {"label": False, "prob": r[1]["prob"]}]
                        for r in FRAME["probs_a"]]
    table = load(engine, "bqml_in.bool_labels", frame)
    for positive, score in (("true", frame["p_a"]), ("FALSE", 1 - frame["p_a"])):
        spec = bt.EvalSpec(task="binary", label="label", probs="probs_a", positive=positive, auc="exact")
        got = bt.evaluate(engine, table, spec)
        y = frame["label"] == (positive.lower() == "true")
        assert int(got["positives"][0]) == int(y.sum())
        assert got["roc_auc"][0] == pytest.approx(skm.roc_auc_score(y, score), abs=1e-9)
        assert got["log_loss"][0] == pytest.approx(skm.log_loss(y, score), rel=1e-6)
    with pytest.raises(BqmlToolsError, match="is BOOL(EAN)?; write true or false"):
        bt.evaluate(engine, table, bt.EvalSpec(task="binary", label="label", probs="probs_a", positive="yes"))


def test_diagnose_reads_the_array_and_the_filters(engine, table):
    by_probs = bt.diagnose(engine, table, replace(BY_PROBS, auc=None))
    by_score = bt.diagnose(engine, table, replace(BY_SCORE, auc=None))
    pd.testing.assert_frame_equal(by_probs, by_score)
    train = FRAME[FRAME["split"] == "train"]
    assert by_probs["train"][0] == pytest.approx(skm.log_loss(train["label"] == POSITIVE, train["p_a"]), rel=1e-9)
    kept = bt.diagnose(engine, table, replace(BY_SCORE, auc=None, where=[("id", "3")]), train="train", valid="train")
    assert int(kept["train_rows"][0]) == 1  # the filter keeps one row (id 3, in train)
