"""compare: two models on the same rows, each difference with its paired jackknife interval.

The oracle recomputes everything in Python: each row's partition from pyfarmhash (tests/oracle.py),
each replicate's metrics with scikit-learn on the rows outside the partition, the jackknife of
the per-replicate differences with scipy's t quantile.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn import metrics as skm

import bqml_tools as bt
from bqml_tools.evaluation.comparison import compare, compare_query, reading
from bqml_tools.errors import BqmlToolsError
from bqml_tools.evaluation import PARTITION_SALT, EvalSpec
from cli_runner import run
from oracle import fingerprint, key_string, truncated_mod
from tables import load, sized

K = 5
LEVEL = 0.9


def partitions(keys, k: int = K) -> np.ndarray:
    """ABS(MOD(FARM_FINGERPRINT(salted key string), K)) of each integer key, in Python."""
    return np.array([abs(truncated_mod(fingerprint(key_string([str(int(v))], PARTITION_SALT)), k)) for v in keys])


def jackknife_difference(first: dict, other: dict, part: np.ndarray, metric, level: float = LEVEL):
    """(estimate, lower, upper) of metric(other) - metric(first), delete-a-group jackknife over `part`."""
    estimate = metric(other, np.ones(len(part), bool)) - metric(first, np.ones(len(part), bool))
    diffs = np.array([metric(other, part != r) - metric(first, part != r) for r in range(K)])
    se = math.sqrt((K - 1) / K * float(np.sum((diffs - diffs.mean()) ** 2)))
    half = stats.t.ppf((1 + level) / 2, K - 1) * se
    return estimate, estimate - half, estimate + half


def binary_frame(seed=0, n=800):
    n = sized(n)  # the reference engine's tables are small (tables.GOOGLESQL_ROWS)
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    a = np.clip(0.25 * y + 0.75 * rng.random(n), 0, 1)
    b = np.clip(0.35 * y + 0.65 * rng.random(n), 0, 1)
    return pd.DataFrame({"id": np.arange(n) * 7 - 900, "y": y, "p_old": a, "p_new": b,
                         "g": rng.choice(["u", "v"], n)})


BINARY = {
    "accuracy": lambda y, p: skm.accuracy_score(y, p >= 0.5),
    "f1": lambda y, p: skm.f1_score(y, p >= 0.5),
    "recall": lambda y, p: skm.recall_score(y, p >= 0.5),
    "log_loss": lambda y, p: skm.log_loss(y, p),
    "brier": lambda y, p: skm.brier_score_loss(y, p),
    "roc_auc": lambda y, p: skm.roc_auc_score(y, p),
    "average_precision": lambda y, p: skm.average_precision_score(y, p),
}


def check_against_oracle(got: pd.DataFrame, frame: pd.DataFrame, label: str, first: str, other: str, sk: dict):
    part = partitions(frame["id"])
    y = frame[label].to_numpy()
    for name, function in sk.items():
        row = got.loc[got["metric"] == name].iloc[0]

        def metric(column, keep, function=function):
            return function(y[keep], frame[column].to_numpy()[keep])

        estimate, lower, upper = jackknife_difference(first, other, part, metric)
        assert row[first] == pytest.approx(metric(first, part >= 0), rel=1e-9), name
        assert row[other] == pytest.approx(metric(other, part >= 0), rel=1e-9), name
        for column, want in (("difference", estimate), ("lower", lower), ("upper", upper)):
            assert row[column] == pytest.approx(want, rel=1e-7, abs=1e-10), (name, column)


def test_binary_difference_and_paired_interval_match_sklearn(engine):
    frame = binary_frame()
    table = load(engine, "ds.cmp_binary", frame)
    spec = EvalSpec(task="binary", label="y", score="p_old", auc="exact", ci=LEVEL, key="id", partitions=K)
    got = compare(engine, table, spec, "p_new")
    assert list(got.columns) == ["rows", "metric", "p_old", "p_new", "difference", "lower", "upper", "reading"]
    assert set(got["rows"]) == {len(frame)}
    check_against_oracle(got, frame, "y", "p_old", "p_new", BINARY)


def test_binary_per_group_matches_sklearn(engine):
    frame = binary_frame(seed=3)
    table = load(engine, "ds.cmp_binary_by", frame)
    spec = EvalSpec(task="binary", label="y", score="p_old", auc="exact", ci=LEVEL, key="id", partitions=K,
                    by="g")
    got = compare(engine, table, spec, "p_new", metrics=["roc_auc", "log_loss"])
    assert list(got["g"]) == ["u", "u", "v", "v"] and list(got["metric"]) == ["roc_auc", "log_loss"] * 2
    for group in ("u", "v"):
        part = frame.loc[frame["g"] == group].reset_index(drop=True)
        check_against_oracle(got.loc[got["g"] == group], part, "y", "p_old", "p_new",
                             {m: BINARY[m] for m in ("roc_auc", "log_loss")})
        assert all(r.startswith(f"g={group}: ") for r in got.loc[got["g"] == group, "reading"])


def regression_frame(seed=1, n=700):
    n = sized(n)  # the reference engine's tables are small (tables.GOOGLESQL_ROWS)
    rng = np.random.default_rng(seed)
    y = rng.gamma(2.0, 2.0, n)
    return pd.DataFrame({"id": np.arange(n), "y": y, "y_old": np.abs(y + rng.normal(0, 1.5, n)),
                         "y_new": np.abs(y + rng.normal(0, 1.0, n))})


REGRESSION = {
    "mae": skm.mean_absolute_error, "mse": skm.mean_squared_error,
    "rmse": lambda y, p: math.sqrt(skm.mean_squared_error(y, p)), "r2": skm.r2_score,
    "explained_variance": skm.explained_variance_score, "mean_squared_log_error": skm.mean_squared_log_error,
}


def test_regression_difference_and_paired_interval_match_sklearn(engine):
    frame = regression_frame()
    table = load(engine, "ds.cmp_reg", frame)
    spec = EvalSpec(task="regression", label="y", prediction="y_old", ci=LEVEL, key="id", partitions=K)
    got = compare(engine, table, spec, "y_new")
    assert list(got["metric"]) == list(REGRESSION)  # no median (no interval), no descriptions
    check_against_oracle(got, frame, "y", "y_old", "y_new", REGRESSION)
    assert all(got["reading"].str.startswith("y_new is better on "))


def test_multiclass_without_probabilities_matches_sklearn(engine):
    rng = np.random.default_rng(2)
    n = 900
    y = rng.choice(["a", "b", "c"], n)
    old = np.where(rng.random(n) < 0.6, y, rng.choice(["a", "b", "c"], n))
    new = np.where(rng.random(n) < 0.7, y, rng.choice(["a", "b", "c"], n))
    frame = pd.DataFrame({"id": np.arange(n), "y": y, "c_old": old, "c_new": new})
    table = load(engine, "ds.cmp_multi", frame)
    spec = EvalSpec(task="multiclass", label="y", prediction="c_old", ci=LEVEL, key="id", partitions=K)
    got = compare(engine, table, spec, "c_new")
    check_against_oracle(got, frame, "y", "c_old", "c_new", {
        "accuracy": skm.accuracy_score,
        "macro_f1": lambda t, p: skm.f1_score(t, p, average="macro"),
        "weighted_recall": lambda t, p: skm.recall_score(t, p, average="weighted"),
        "micro_precision": lambda t, p: skm.precision_score(t, p, average="micro"),
    })


def test_a_row_invalid_for_either_model_is_left_out_for_both(engine):
    frame = binary_frame(seed=4, n=400)
    frame.loc[[3, 10], "p_old"] = np.nan
    frame.loc[[5], "p_new"] = 1.5
    frame.loc[[8], "p_new"] = None
    table = load(engine, "ds.cmp_invalid", frame)
    spec = EvalSpec(task="binary", label="y", score="p_old", auc="exact", ci=LEVEL, key="id", partitions=K)
    with pytest.raises(BqmlToolsError, match=r"^4 row\(s\) have .* in p_old or p_new.*invalid='exclude'"):
        compare(engine, table, spec, "p_new")
    got = compare(engine, table, EvalSpec(**{**spec.__dict__, "invalid": "exclude"}), "p_new")
    assert set(got["rows"]) == {len(frame) - 4}
    assert [w for w in got.attrs["warnings"] if w.startswith("excluded")] == [
        "excluded 4 row(s) have a NULL, NaN or infinite score or one outside [0, 1] in p_old or p_new"]
    valid = frame.drop(index=[3, 10, 5, 8]).reset_index(drop=True)
    check_against_oracle(got, valid, "y", "p_old", "p_new", {m: BINARY[m] for m in ("roc_auc", "accuracy")})


def test_a_clearly_better_model_is_read_as_better_and_identical_models_as_no_difference(engine):
    rng = np.random.default_rng(5)
    n = 600
    y = rng.integers(0, 2, n)
    noise = rng.random(n)
    good = np.clip(0.8 * y + 0.2 * rng.random(n), 0, 1)
    frame = pd.DataFrame({"id": np.arange(n), "y": y, "noise": noise, "noise_copy": noise, "good": good})
    table = load(engine, "ds.cmp_clear", frame)
    spec = EvalSpec(task="binary", label="y", score="noise", ci=0.95, key="id")
    better = compare(engine, table, spec, "good", metrics="roc_auc,log_loss,brier,accuracy")
    assert list(better["reading"].str.split(" ").str[:5].str.join(" ")) == [
        f"good is better on {m}" for m in ("roc_auc", "log_loss", "brier", "accuracy")]
    assert (better.loc[better["metric"] == "log_loss", "upper"] < 0).all()  # lower is better: b - a < 0
    worse = compare(engine, table, EvalSpec(**{**spec.__dict__, "score": "good"}), "noise", metrics=["roc_auc"])
    assert worse["reading"].iloc[0].startswith("good is better on roc_auc by ")
    same = compare(engine, table, spec, "noise_copy")
    # the same sums in another order: replicate differences within float noise of 0
    assert (same["difference"].abs() <= 1e-12).all() and (same[["lower", "upper"]].abs() <= 1e-12).all().all()
    assert all(r.startswith(f"no clear difference on {m}: noise_copy - noise = ")
               for m, r in zip(same["metric"], same["reading"]))


def test_reading_lines():
    assert reading("roc_auc", "a", "b", 0.012, 0.004, 0.020) == "b is better on roc_auc by 0.012 [0.004, 0.020]"
    assert reading("roc_auc", "a", "b", -0.012, -0.020, -0.004) == "a is better on roc_auc by 0.012 [0.004, 0.020]"
    assert reading("log_loss", "a", "b", 0.03, 0.01, 0.05) == "a is better on log_loss by 0.030 [0.010, 0.050]"
    assert reading("log_loss", "a", "b", -0.3, -0.5, -0.1) == "b is better on log_loss by 0.30 [0.10, 0.50]"
    assert reading("mse", "a", "b", -300, -500, -100) == "b is better on mse by 300 [100, 500]"
    # float noise of identical sums in another order is no difference
    assert reading("roc_auc", "a", "b", 2e-16, 1e-16, 3e-16).startswith("no clear difference on roc_auc")
    assert reading("accuracy", "a", "b", 0.003, -0.002, 0.008) == \
        "no clear difference on accuracy: b - a = +0.003 [-0.002, 0.008]"
    assert reading("mean_prediction", "a", "b", 0.5, 0.4, 0.6).startswith("mean_prediction is a description")
    assert "no comparison" in reading("roc_auc", "a", "b", math.nan, math.nan, math.nan)
    assert reading("roc_auc", "a", "b", 0.1, math.nan, math.nan).startswith("no interval for roc_auc")


def test_compare_is_exported_and_callable(duck):
    frame = binary_frame(n=200)
    table = load(duck, "ds.cmp_api", frame)
    spec = EvalSpec(task="binary", label="y", score="p_old", key="id", ci=0.95)
    import bqml_tools.evaluation.comparison  # noqa: F401  (importing the module leaves bt.compare the function)

    got = bt.compare(duck, table, spec, "p_new", metrics=["roc_auc"])
    assert list(got["metric"]) == ["roc_auc"]
    assert bt.compare_query is compare_query


@pytest.mark.parametrize("spec, against, message", [
    (EvalSpec(task="binary", label="y", score="p_old"), "p_new", "compare needs key=..."),
    (EvalSpec(task="binary", label="y", score="p_old", ci=0.9, key="id"), "P_OLD", "is the first model's column"),
    (EvalSpec(task="binary", label="y", score="p_old", ci=0.9, key="id"), "_bqml_x", "reserved"),
    (EvalSpec(task="binary", label="y", score="p_old", ci=0.9, key="id"), "a b", "not a plain identifier"),
    (EvalSpec(task="multiclass", label="y", prediction="a", probs="probs", ci=0.9, key="id"), "b", "leave probs out"),
    (EvalSpec(task="binary", label="y", score="p_old", ci=0.9, key="id", by="metric"), "p_new", "rename it"),
])
def test_compare_refuses_before_reading(spec, against, message):
    with pytest.raises(BqmlToolsError, match=message):
        compare_query("ml.preds", spec, against, "bigquery")


def test_against_column_is_checked_like_the_first(duck):
    table = load(duck, "ds.cmp_types", binary_frame(n=50))
    spec = EvalSpec(task="binary", label="y", score="p_old", ci=0.9, key="id")
    with pytest.raises(BqmlToolsError, match="column 'nope' is not in the source"):
        compare(duck, table, spec, "nope")
    with pytest.raises(BqmlToolsError, match="against column 'g' is VARCHAR"):
        compare(duck, table, spec, "g")


@pytest.fixture
def predictions_file(tmp_path):
    path = tmp_path / "preds.parquet"
    binary_frame(n=300).to_parquet(path)
    return str(path)


BASE = ["compare", "--task", "binary", "--label", "y", "--score", "p_old", "--against", "p_new"]


def test_cli_prints_the_table_then_the_readings(capsys, predictions_file):
    code, out, err = run(capsys, *BASE[:1], predictions_file, *BASE[1:], "--key", "id", "--metrics", "roc_auc,log_loss")
    assert code == 0, err
    table, readings = out.rstrip("\n").split("\n\n")
    assert table.splitlines()[0].split() == ["rows", "metric", "p_old", "p_new", "difference", "lower", "upper"]
    assert [line.split(" on ")[1].split()[0].rstrip(":") for line in readings.splitlines()] == ["roc_auc", "log_loss"]
    code, out, _ = run(capsys, *BASE[:1], predictions_file, *BASE[1:], "--key", "id", "--format", "json", "--by", "g",
                       "--ci", "0.8", "--partitions", "7")
    rows = json.loads(out)
    assert code == 0 and {r["g"] for r in rows} == {"u", "v"} and all(r["reading"] for r in rows)


def test_cli_prints_and_dry_runs_the_statement(capsys, predictions_file):
    code, out, _ = run(capsys, *BASE, "my-project.ml.preds", "--key", "id", "--dialect", "bigquery")
    assert code == 0 and "_bqml_model" in out and "FARM_FINGERPRINT" in out and "`p_new` AS _bqml_score_b" in out
    code, out, _ = run(capsys, *BASE[:1], predictions_file, *BASE[1:], "--key", "id", "--dry-run")
    assert code == 0 and out.startswith("dry run: evaluate/binary.sql is valid on duckdb")


@pytest.mark.parametrize("extra, message", [
    ([], "compare needs --key COLUMN"),
    (["--key", "id", "--against", "P_OLD"], "is the first model's column"),
    (["--key", "id", "--against", "nope"], "column 'nope' is not in the source"),
    (["--key", "id", "--against", "g"], "--against column 'g' is VARCHAR"),
    (["--key", "id", "--metrics", "rows"], "unknown metric"),
    (["--key", "id", "--ci", "2"], "--ci 2 must be a confidence level"),
    (["--key", "id", "--min-slice-rows", "5"], "No such option"),
])
def test_cli_errors_are_one_line(capsys, predictions_file, extra, message):
    args = [*BASE[:1], predictions_file, *BASE[1:]]
    if "--against" in extra:
        args = args[:-2]
    code, out, err = run(capsys, *args, *extra)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_the_imbalance_warning_comes_only_when_accuracy_is_compared(duck):
    rng = np.random.default_rng(4)
    n = 600
    y = (rng.random(n) < 0.1).astype(int)  # a rare positive: accuracy near the majority's 0.9
    frame = pd.DataFrame({"id": np.arange(n), "y": y, "p_old": 0.3 * rng.random(n) + 0.2 * y,
                          "p_new": 0.3 * rng.random(n) + 0.3 * y})
    table = load(duck, "ds.cmp_imbalance", frame)
    spec = EvalSpec(task="binary", label="y", score="p_old", key="id", ci=0.95)
    with_accuracy = bt.compare(duck, table, spec, "p_new", metrics=["roc_auc", "accuracy"]).attrs["warnings"]
    without = bt.compare(duck, table, spec, "p_new", metrics=["roc_auc"]).attrs["warnings"]
    assert any("no real gain" in w for w in with_accuracy)
    assert not any("no real gain" in w for w in without)
