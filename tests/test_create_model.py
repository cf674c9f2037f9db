"""split --create-model: BigQuery ML's CUSTOM split on the toolkit's key-hashed split. The SELECT the model
reads, run on every engine, marks exactly the valid keys TRUE and the train keys FALSE and holds out test
(recomputed with pyfarmhash, tests/oracle.py)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bqml_tools as bt
import oracle
from bqml_tools.errors import BqmlToolsError
from bqml_tools.splitting.model import ModelSpec, create_model_query
from cli_runner import run
from tables import load

ROWS = 3000
FRAME = pd.DataFrame({"user_id": np.arange(ROWS) // 3, "x": np.linspace(0, 1, ROWS),
                      "label": np.where(np.arange(ROWS) % 5 == 0, "yes", "no")})
MODEL = ModelSpec("proj-123.ml.churn", "logistic_reg", "label", "max_iterations=20,auto_class_weights=true")


@pytest.mark.parametrize("fractions,salt", [("train=0.8,valid=0.1,test=0.1", None), ("train=3/5,valid=1/5,test=1/5", "x7"),
                                            ("valid=0.25,train=0.75", None)])
def test_the_model_reads_train_false_valid_true_and_never_test(engine, fractions, salt):
    table = load(engine, "bqml_model.events", FRAME)
    spec = bt.SplitSpec(key=["user_id"], fractions=fractions, salt=salt)
    query = create_model_query(table, spec, MODEL, engine.dialect, engine=engine, statement=False)
    got = engine.run(query)
    assert list(got.columns) == ["x", "label", "is_eval"]  # the key and the split column are no features
    plan = spec.plan
    # a salted key string is <length>:<salt><length>:<key> (README, Keys)
    expected = [oracle.split_of_key(oracle.key_string([str(u)], salt), list(plan.names), list(plan.fractions),
                                    plan.buckets) for u in FRAME["user_id"]]
    truth = FRAME.assign(split=expected)
    kept = truth[truth["split"].isin(["train", "valid"])]
    got = got.sort_values("x").reset_index(drop=True)
    kept = kept.sort_values("x").reset_index(drop=True)
    assert len(got) == len(kept) and (len(kept) < ROWS or "test" not in plan.names)
    np.testing.assert_array_equal(got["x"], kept["x"])
    assert got["is_eval"].tolist() == (kept["split"] == "valid").tolist()
    assert pd.api.types.is_bool_dtype(got["is_eval"])


def test_the_printed_statement_says_what_it_trains_on_and_holds_out():
    sql = create_model_query("proj-123.ml.events", bt.SplitSpec(key=["user_id"]), MODEL).sql
    assert "CREATE OR REPLACE MODEL `proj-123.ml.churn`" in sql
    assert "data_split_method = 'CUSTOM',\n  data_split_col = 'is_eval'" in sql
    assert "input_label_cols = ['label']" in sql and "auto_class_weights = TRUE" in sql
    assert "test rows (10%) are held out" in sql
    assert "WHERE `split` IN ('train', 'valid')" in sql


@pytest.mark.parametrize("args,message", [
    (["--create-model", "m", "--model-type", "logistic_reg", "--label", "label"], "name the model as dataset.model"),
    (["--create-model", "ml.m", "--label", "label"], "needs --model-type TYPE"),
    (["--model-type", "logistic_reg"], "--model-type goes with --create-model"),
    (["--create-model", "ml.m", "--model-type", "logistic_reg", "--label", "label", "--fractions", "a=0.5,b=0.5"],
     "needs splits named train and valid"),
    (["--create-model", "ml.m", "--model-type", "logistic_reg", "--label", "user_id"], "is a key column"),
    (["--create-model", "ml.m", "--model-type", "logistic_reg", "--label", "label", "--options", "data_split_col=x"],
     "the statement sets data_split_col itself"),
    (["--create-model", "ml.m", "--model-type", "logistic_reg", "--label", "label", "--options", "x=[1]"],
     "only numbers, true/false and plain text"),
    (["--create-model", "ml.m", "--model-type", "logistic_reg", "--label", "label", "--dialect", "duckdb"],
     "CREATE MODEL is BigQuery ML"),
    (["--create-model", "ml.m", "--model-type", "logistic_reg", "--label", "label", "--split", "train"],
     "leave --split out"),
])
def test_cli_refusals_are_one_line(capsys, args, message):
    code, _, err = run(capsys, "split", "proj-123.ml.events", "--key", "user_id", *args)
    assert code == 2 and message in err, err


def test_cli_prints_the_statement(capsys):
    code, out, err = run(capsys, "split", "proj-123.ml.events", "--key", "user_id", "--create-model", "ml.churn",
                         "--model-type", "logistic_reg", "--label", "label", "--dialect", "bigquery")
    assert code == 0, err
    assert out.startswith("-- bqml_tools split of proj-123.ml.events") and "CREATE OR REPLACE MODEL `ml.churn`" in out
