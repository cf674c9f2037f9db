"""The dbt package built for real: dbt/integration_tests with dbt-duckdb (`dbt deps && dbt build`, in its own
venv, tests/dbt_env.py), its split models' rows checked against the library's split and the Python oracle,
its metrics models' values against the library's evaluate and scikit-learn, and the SQL dbt compiled checked
against the library's and the plain-Jinja rendering the BigQuery tests rely on.

Outside CI a dbt that cannot be installed skips these tests with one line; under CI=true it fails them."""
from __future__ import annotations

import os
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

import dbt_env
import dbt_jinja as dj
import oracle
from bqml_tools.core import identifiers
from bqml_tools.core.plan import plan_buckets
from bqml_tools.engines import DuckDBEngine
from bqml_tools.evaluation.curves import curve, curve_query
from bqml_tools.evaluation.decisions import parse_target, threshold, threshold_query
from bqml_tools.evaluation.metrics import evaluate, evaluate_query
from bqml_tools.evaluation.outputs import output_columns
from bqml_tools.evaluation.spec import EvalSpec
from bqml_tools.splitting.queries import split, split_query, split_report
from bqml_tools.splitting.spec import SplitSpec

pytestmark = pytest.mark.dbt

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "integration_tests"  # dbt-duckdb names the database after the file
# model -> (its SplitSpec, the one split it keeps or None): what each model of dbt/integration_tests asks for
MODELS = {
    "split_events": ("events", SplitSpec(key=["id"]), None),
    "split_sampled": ("events", SplitSpec(key=["user_id", "day"], fractions="train=0.7,test=0.3", salt="v1",
                                          sample="1/3", split_column="part"), None),
    "train_events": ("events", SplitSpec(key=["user_id"], fractions="train=2/3,test=1/3"), "train"),
    "split_null_keys": ("events_null_keys", SplitSpec(key=["user_id"], fractions="train=80%,test=20%",
                                                      null_keys="split:holdout"), None),
}


def _dbt(dbt: Path, project: Path, *args: str) -> str:
    env = {**os.environ, "DBT_DUCKDB_PATH": str(project / f"{DATABASE}.duckdb"), "DBT_PROFILES_DIR": str(project),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_USE_COLORS": "false"}
    result = subprocess.run([str(dbt), *args], cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"dbt {' '.join(args)} failed:\n{result.stdout[-3000:]}{result.stderr[-2000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A copy of dbt/integration_tests, its package installed from this checkout's dbt/, built once."""
    try:
        dbt = dbt_env.provision()
    except dbt_env.DbtUnavailable as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"dbt-duckdb is required under CI: {error}")
        pytest.skip(f"dbt-duckdb unavailable: {error}")
    project = tmp_path_factory.mktemp("dbt") / "integration_tests"
    shutil.copytree(ROOT / "dbt" / "integration_tests", project,
                    ignore=shutil.ignore_patterns("target", "dbt_packages", "logs", "*.duckdb", "package-lock.yml"))
    (project / "packages.yml").write_text(f"packages:\n  - local: {ROOT / 'dbt'}\n")
    _dbt(dbt, project, "deps")
    (project / "build.log").write_text(_dbt(dbt, project, "build", "--show-all-deprecations"))
    return project


def test_the_build_has_no_deprecation_and_warns_only_where_asked(built):
    """No UnexpectedJinjaBlockDeprecation (the templates dbt reads hold macros only) and no other warning
    than the three tests configured to warn."""
    log = (built / "build.log").read_text()
    assert "Deprecat" not in log
    assert "PASS=" in log and " WARN=3 ERROR=0 " in log


@pytest.fixture(scope="module")
def engine(built):
    import duckdb

    connection = duckdb.connect(str(built / f"{DATABASE}.duckdb"), read_only=True)
    yield DuckDBEngine(connection)
    connection.close()


def source(table: str) -> identifiers.Source:
    return identifiers.Source(parts=(DATABASE, "main", table))


@pytest.mark.parametrize("model", MODELS)
def test_every_row_of_the_model_is_the_librarys_split(engine, model):
    table, spec, only_split = MODELS[model]
    built_rows = engine.run(f'SELECT * FROM "{DATABASE}"."main"."{model}"')
    expected = split(engine, source(table), spec, only_split=only_split)
    assert list(built_rows.columns) == list(expected.columns)
    by_id = lambda frame: frame.sort_values("id").reset_index(drop=True)  # noqa: E731
    assert len(built_rows) == len(expected) > 0
    assert by_id(built_rows).astype(str).equals(by_id(expected).astype(str))


def test_the_split_models_rows_match_the_python_oracle(engine):
    """Independently of the SQL: each event's split from pyfarmhash and the README's rules."""
    rows = engine.run(f'SELECT id, user_id, day, split FROM "{DATABASE}"."main"."split_events"')
    plan = plan_buckets("train=0.8,valid=0.1,test=0.1")
    for row in rows.itertuples(index=False):
        assert row.split == oracle.split_of_key(str(row.id), list(plan.names), list(plan.fractions), plan.buckets)
    sampled = engine.run(f'SELECT user_id, day, part FROM "{DATABASE}"."main"."split_sampled"')
    events = engine.run(f'SELECT user_id, day FROM "{DATABASE}"."main"."events"')
    plan = plan_buckets("train=0.7,test=0.3", "1/3")
    expected = {}
    for row in events.itertuples(index=False):
        key = oracle.key_string([row.user_id, oracle.canonical(row.day, "DATE")], salt="v1")
        part = oracle.split_of_key(key, list(plan.names), list(plan.fractions), plan.buckets, Fraction(1, 3))
        if part is not None:
            expected[(row.user_id, str(row.day))] = part
    got = {(r.user_id, str(r.day)): r.part for r in sampled.itertuples(index=False)}
    assert got == expected and 0 < len(got) < len(events)
    holdout = engine.run(f'SELECT count(*) AS n FROM "{DATABASE}"."main"."split_null_keys" '
                         "WHERE split = 'holdout'")["n"][0]
    assert holdout == engine.run(f'SELECT count(*) AS n FROM "{DATABASE}"."main"."events_null_keys" '
                                 "WHERE user_id IS NULL")["n"][0] > 0


def compiled(built: Path, model: str) -> str:
    """The SQL dbt compiled for a model, without the model file's own comment lines."""
    text = (built / "target" / "compiled" / "bqml_tools_integration_tests" / "models" / f"{model}.sql").read_text()
    own = {line for line in (built / "models" / f"{model}.sql").read_text().splitlines() if line.startswith("--")}
    return "".join(line + "\n" for line in text.splitlines() if line not in own)


@pytest.mark.parametrize("model", MODELS)
def test_dbt_compiles_the_sql_the_library_renders(built, engine, model):
    table, spec, only_split = MODELS[model]
    library = split_query(source(table), spec, "duckdb", engine=engine, only_split=only_split)
    assert compiled(built, model) == dj.blank_lines_dropped(library.sql)


@pytest.mark.parametrize("model", MODELS)
def test_the_plain_jinja_rendering_is_what_dbt_compiles(built, engine, model):
    """tests/dbt_jinja.py (which renders the BigQuery SQL in test_dbt_package.py) renders what dbt-duckdb does."""
    table, spec, only_split = MODELS[model]
    columns = engine.run(f"DESCRIBE \"{DATABASE}\".\"main\".\"{table}\"")
    relation = dj.Relation(DATABASE, "main", table)
    package = dj.package("duckdb", {relation.name: [dj.Column(n, t) for n, t in
                                                    zip(columns["column_name"], columns["column_type"])]})
    fractions = spec.fractions
    key = list(spec.key) if len(spec.key) > 1 else spec.key[0]
    if only_split is not None:
        sql = package["split_filter"](relation, key, only_split, fractions=fractions, salt=spec.salt,
                                      sample=spec.sample, null_keys=spec.null_keys)
    else:
        sql = package["split"](relation, key, fractions=fractions, salt=spec.salt, sample=spec.sample,
                               split_column=spec.split_column, null_keys=spec.null_keys)
    assert sql == compiled(built, model)


def run_results(built: Path) -> dict[str, tuple[str, int]]:
    """Test node name -> (status, failing rows) from dbt's run_results.json."""
    import json

    results = json.loads((built / "target" / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[2]: (r["status"], r["failures"]) for r in results
            if r["unique_id"].startswith("test.")}


def test_split_stable_finds_exactly_the_keys_that_moved(built, engine):
    results = run_results(built)
    stable = next(name for name in results if name.startswith("bqml_tools_split_stable_split_events"))
    assert results[stable] == ("pass", 0)
    moved = engine.run(f'SELECT count(*) AS n FROM "{DATABASE}"."main"."split_events" AS m JOIN '
                       f'"{DATABASE}"."main"."split_events_changed" AS c ON m.id = c.id WHERE m.split <> c.split')
    assert results["split_stable_finds_three_moved_keys"] == ("warn", int(moved["n"][0])) == ("warn", 3)


def out_of_bounds(keys: dict[str, int], fractions: dict[str, Fraction], sigmas: float) -> int:
    """The library's split-report rule (splitting/queries.py _report), recomputed: splits whose key count
    is more than `sigmas` standard deviations (+1) off the binomial expectation, from 100 keys on."""
    total = sum(keys.get(name, 0) for name in fractions)
    if total < 100:
        return 0
    return sum(abs(keys.get(name, 0) - total * float(f)) > sigmas * (total * float(f) * (1 - float(f))) ** 0.5 + 1
               for name, f in fractions.items())


@pytest.mark.parametrize("test,model,key,column,fractions,sigmas", [
    ("bqml_tools_split_fractions_within_bounds_split_events_split__id", "split_events", ["id"], "split",
     "train=0.8,valid=0.1,test=0.1", 4),
    ("split_fractions_out_of_bounds_for_other_fractions", "split_events", ["id"], "split",
     "train=0.5,valid=0.25,test=0.25", 4),
    ("bqml_tools_split_fractions_within_bounds_split_sampled_part__train_0_7_test_0_3__user_id__day__3",
     "split_sampled", ["user_id", "day"], "part", "train=0.7,test=0.3", 3),
])
def test_split_fractions_within_bounds_fails_the_splits_the_library_would_warn_about(built, engine, test, model, key,
                                                                                      column, fractions, sigmas):
    from bqml_tools.core.plan import parse_fractions

    rows = engine.run(f'SELECT DISTINCT {", ".join(key)}, {column} FROM "{DATABASE}"."main"."{model}"')
    keys = rows.groupby(column).size().to_dict()
    failing = out_of_bounds(keys, parse_fractions(fractions), sigmas)
    assert run_results(built)[test] == ("pass" if failing == 0 else "warn", failing)
    assert sum(keys.values()) >= 100  # the rule applies (it reads nothing below 100 keys)


def test_the_library_report_agrees_that_the_split_model_is_within_bounds(engine):
    report = split_report(engine, source("events"), SplitSpec(key=["id"]))
    assert not [w for w in report.warnings if "standard deviations" in w]


def test_the_plugins_farm_fingerprint_is_bigquerys_under_dbt(engine):
    """The fingerprints model runs farm_fingerprint on dbt's own connection (the profile's plugin): BigQuery's
    published values, bit for bit."""
    import json

    golden = {v["input"]: v["expected_int64"] for v in json.loads((ROOT / "tests" / "data" /
                                                                    "farm_fingerprint_bigquery.json").read_text())
              if v["input_kind"] == "string"}
    rows = engine.run(f'SELECT input, fingerprint FROM "{DATABASE}"."main"."fingerprints"')
    assert len(rows) >= 10
    assert {r.input: int(r.fingerprint) for r in rows.itertuples(index=False)} == {i: golden[i] for i in rows["input"]}


# model -> its EvalSpec: the metrics models of dbt/integration_tests, on the predictions seed
METRICS = {
    "metrics_regression": EvalSpec(task="regression", label="y", prediction="y_hat"),
    "metrics_regression_by_segment": EvalSpec(task="regression", label="y", prediction="y_hat", by=("segment",),
                                              weight="w"),
    "metrics_binary": EvalSpec(task="binary", label="label", score="score"),
    "metrics_binary_by_segment": EvalSpec(task="binary", label="label", score="score", positive=1, by=("segment",),
                                          weight="w"),
    "metrics_multiclass": EvalSpec(task="multiclass", label="cls", prediction="cls_hat", by=("segment",), weight="w"),
}


def metrics_of(engine, model: str):
    spec = METRICS[model]
    built_rows = engine.run(f'SELECT * FROM "{DATABASE}"."main"."{model}"')
    order = list(spec.by)
    return spec, (built_rows.sort_values(order).reset_index(drop=True) if order else built_rows)


@pytest.mark.parametrize("model", METRICS)
def test_every_metric_of_the_model_is_the_librarys_evaluate(engine, model):
    """The model's table is the library's bt.evaluate of the same seed: the statement's columns, every value."""
    spec, built_rows = metrics_of(engine, model)
    expected = evaluate(engine, source("predictions"), spec)
    assert list(built_rows.columns) == list(spec.by) + list(output_columns(spec, spec.task)) == list(expected.columns)
    assert len(built_rows) == len(expected) == (3 if spec.by else 1)
    assert all(built_rows[c].notna().all() for c in built_rows.columns if c not in ("log_loss", "top_k_accuracy"))
    pd.testing.assert_frame_equal(built_rows, expected.reset_index(drop=True), check_dtype=False, rtol=1e-12)


def test_the_regression_metrics_are_scikit_learns(engine):
    """Independently of the SQL: each segment's weighted metrics from scikit-learn, and the unweighted whole."""
    from sklearn import metrics as skm

    rows = engine.run(f'SELECT segment, y, y_hat, w FROM "{DATABASE}"."main"."predictions"')
    for model, groups in (("metrics_regression", [(None, rows)]),
                          ("metrics_regression_by_segment", list(rows.groupby("segment")))):
        _, built_rows = metrics_of(engine, model)
        assert len(built_rows) == len(groups)
        for (segment, part), got in zip(groups, built_rows.itertuples(index=False)):
            weight = part["w"] if segment is not None else None
            y, p = part["y"], part["y_hat"]
            expected = {
                "mae": skm.mean_absolute_error(y, p, sample_weight=weight),
                "mse": skm.mean_squared_error(y, p, sample_weight=weight),
                "r2": skm.r2_score(y, p, sample_weight=weight),
                "explained_variance": skm.explained_variance_score(y, p, sample_weight=weight),
                "mean_squared_log_error": skm.mean_squared_log_error(y, p, sample_weight=weight),
                "median_absolute_error": skm.median_absolute_error(y, p, sample_weight=weight),
            }
            assert got.rows == len(part) and got.negative_rows == 0 and got.invalid_rows == 0
            for metric, value in expected.items():
                assert getattr(got, metric) == pytest.approx(value, rel=1e-9), (model, segment, metric)
            assert got.rmse == pytest.approx(expected["mse"] ** 0.5, rel=1e-9)


def test_the_binary_metrics_are_scikit_learns(engine):
    """Independently of the SQL: the whole's and each segment's weighted metrics from scikit-learn."""
    import numpy as np
    from sklearn import metrics as skm

    rows = engine.run(f'SELECT segment, label, score, w FROM "{DATABASE}"."main"."predictions"')
    for model, groups in (("metrics_binary", [(None, rows)]), ("metrics_binary_by_segment", list(rows.groupby("segment")))):
        _, built_rows = metrics_of(engine, model)
        assert len(built_rows) == len(groups)
        for (segment, part), got in zip(groups, built_rows.itertuples(index=False)):
            weight = part["w"].to_numpy() if segment is not None else None
            y, s = part["label"].to_numpy(), part["score"].to_numpy()
            predicted = (s >= 0.5).astype(int)
            tn, fp, fn, tp = skm.confusion_matrix(y, predicted, sample_weight=weight).ravel()
            expected = {
                "tp": tp, "fp": fp, "tn": tn, "fn": fn,
                "accuracy": skm.accuracy_score(y, predicted, sample_weight=weight),
                "precision": skm.precision_score(y, predicted, sample_weight=weight),
                "recall": skm.recall_score(y, predicted, sample_weight=weight),
                "f1": skm.f1_score(y, predicted, sample_weight=weight),
                "balanced_accuracy": skm.balanced_accuracy_score(y, predicted, sample_weight=weight),
                "log_loss": skm.log_loss(y, s, sample_weight=weight),
                "brier": skm.brier_score_loss(y, s, sample_weight=weight),
                "roc_auc": skm.roc_auc_score(y, s, sample_weight=weight),
                "average_precision": skm.average_precision_score(y, s, sample_weight=weight),
                "positives": np.sum(y if weight is None else y * weight),
            }
            assert got.rows == len(part) and got.invalid_label_rows == 0 and got.invalid_score_rows == 0
            assert got.roc_auc_error_bound == 0  # exact AUC
            for metric, value in expected.items():
                assert getattr(got, metric) == pytest.approx(value, rel=1e-9), (model, segment, metric)


def test_the_multiclass_metrics_are_scikit_learns(engine):
    """Independently of the SQL: each segment's weighted accuracy and averaged precision, recall and F1."""
    from sklearn import metrics as skm

    rows = engine.run(f'SELECT segment, cls, cls_hat, w FROM "{DATABASE}"."main"."predictions"')
    _, built_rows = metrics_of(engine, "metrics_multiclass")
    groups = list(rows.groupby("segment"))
    assert len(built_rows) == len(groups) == 3
    for (segment, part), got in zip(groups, built_rows.itertuples(index=False)):
        y, p, w = part["cls"], part["cls_hat"], part["w"]
        expected = {"accuracy": skm.accuracy_score(y, p, sample_weight=w)}
        for average in ("macro", "weighted", "micro"):
            precision, recall, f1, _ = skm.precision_recall_fscore_support(y, p, average=average, sample_weight=w)
            expected.update({f"{average}_precision": precision, f"{average}_recall": recall, f"{average}_f1": f1})
        assert got.rows == len(part) and got.invalid_rows == 0 and got.invalid_weight_rows == 0
        for metric, value in expected.items():
            assert getattr(got, metric) == pytest.approx(value, rel=1e-9), (segment, metric)


@pytest.mark.parametrize("model", METRICS)
def test_dbt_compiles_the_evaluate_sql_the_library_renders(built, engine, model):
    library = evaluate_query(source("predictions"), METRICS[model], "duckdb", engine=engine)
    assert compiled(built, model) == dj.blank_lines_dropped(library.sql)


@pytest.mark.parametrize("model", METRICS)
def test_the_plain_jinja_evaluate_is_what_dbt_compiles(built, engine, model):
    spec = METRICS[model]
    columns = engine.run(f'DESCRIBE "{DATABASE}"."main"."predictions"')
    relation = dj.Relation(DATABASE, "main", "predictions")
    package = dj.package("duckdb", {relation.name: [dj.Column(n, t) for n, t in
                                                    zip(columns["column_name"], columns["column_type"])]})
    sql = package["evaluate"](relation, spec.task, spec.label, prediction=spec.prediction, score=spec.score,
                              probs=spec.probs, positive=spec.positive, by=list(spec.by), weight=spec.weight)
    assert sql == compiled(built, model)


def test_metric_at_least_fails_exactly_the_groups_below_the_floor(built, engine):
    """The floors of dbt/integration_tests/models/schema.yml, recomputed from the metrics models' rows."""
    results = run_results(built)
    whole = engine.run(f'SELECT roc_auc FROM "{DATABASE}"."main"."metrics_binary"')
    floor = next(name for name in results if name.startswith("bqml_tools_metric_at_least_metrics_binary_"))
    assert whole["roc_auc"][0] >= 0.6 and results[floor] == ("pass", 0)
    segments = engine.run(f'SELECT accuracy FROM "{DATABASE}"."main"."metrics_binary_by_segment"')
    below = int((segments["accuracy"] < 0.72).sum())
    assert results["metric_at_least_fails_the_segments_below"] == ("warn", below) and 0 < below < len(segments)


def test_the_roc_curve_model_is_the_librarys_curve_and_scikit_learns(built, engine):
    """Every point of the roc_curve model is bt.curve's (which checks, then drops, the counts each row carries)
    and scikit-learn's roc_curve at the same threshold; dbt compiled the library's SQL."""
    from sklearn import metrics as skm

    spec = EvalSpec(task="binary", label="label", score="score")
    built_rows = engine.run(f'SELECT * FROM "{DATABASE}"."main"."roc_curve"')
    expected = curve(engine, source("predictions"), spec, "roc")
    assert list(built_rows.columns) == [*expected.columns, "invalid_label_rows", "invalid_score_rows", "positives",
                                        "group_rows"]
    pd.testing.assert_frame_equal(built_rows[list(expected.columns)], expected, check_dtype=False, rtol=1e-12)
    rows = engine.run(f'SELECT label, score FROM "{DATABASE}"."main"."predictions"')
    fpr, tpr, thresholds = skm.roc_curve(rows["label"], rows["score"], drop_intermediate=False)
    at = {t: (f, r) for f, r, t in zip(fpr, tpr, thresholds)}
    assert len(built_rows) > 100
    for point in built_rows.itertuples(index=False):
        assert (point.fpr, point.tpr) == pytest.approx(at[point.threshold], rel=1e-12)
    assert (built_rows["positives"] == rows["label"].sum()).all() and (built_rows["group_rows"] == len(rows)).all()
    library = curve_query(source("predictions"), spec, "roc", "duckdb", engine=engine)
    assert compiled(built, "roc_curve") == dj.blank_lines_dropped(library.sql)


def test_the_threshold_model_is_the_librarys_threshold(built, engine):
    """Each segment's threshold for recall >= 0.8 and every metric at it: bt.threshold's (which checks the
    counts), recomputed from the rows at that threshold with scikit-learn; dbt compiled the library's SQL."""
    from sklearn import metrics as skm

    spec = EvalSpec(task="binary", label="label", score="score", by=("segment",))
    built_rows = engine.run(f'SELECT * FROM "{DATABASE}"."main"."threshold_recall"').sort_values("segment")
    expected = threshold(engine, source("predictions"), spec, "recall>=0.8")
    shared = [c for c in expected.columns if c in built_rows.columns]
    assert len(shared) >= 20 and len(built_rows) == len(expected) == 3
    pd.testing.assert_frame_equal(built_rows[shared].reset_index(drop=True), expected[shared].reset_index(drop=True),
                                  check_dtype=False, rtol=1e-12)
    rows = engine.run(f'SELECT segment, label, score FROM "{DATABASE}"."main"."predictions"')
    for point in built_rows.itertuples(index=False):
        part = rows[rows["segment"] == point.segment]
        predicted = (part["score"] >= point.threshold).astype(int)
        assert point.recall == pytest.approx(skm.recall_score(part["label"], predicted), rel=1e-12) and point.recall >= 0.8
        assert point.precision == pytest.approx(skm.precision_score(part["label"], predicted), rel=1e-12)
        higher = part["score"][part["score"] > point.threshold]
        if len(higher):  # the next higher candidate misses the target: the threshold is the highest that meets it
            assert skm.recall_score(part["label"], (part["score"] >= higher.min()).astype(int)) < 0.8
    library = threshold_query(source("predictions"), spec, parse_target("recall>=0.8"), "duckdb", engine=engine)
    assert compiled(built, "threshold_recall") == dj.blank_lines_dropped(library.sql)
