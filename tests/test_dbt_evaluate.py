"""bqml_tools.evaluate, bqml_tools.curve and bqml_tools.metric_at_least rendered as dbt renders them
(tests/dbt_jinja.py), against the CLI and the library: the BigQuery and DuckDB SQL equals `bqml-tools evaluate|curve
... --dialect X`, bad arguments are the library's one-line refusals, and the Jinja ports of evaluation/ (the
checks, label_mode, value_kind, the output columns) agree with the Python they port, by hypothesis.
tests/test_dbt.py builds the metrics models for real with dbt-duckdb."""
from __future__ import annotations

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import dbt_jinja as dj
from bqml_tools.core import identifiers
from bqml_tools.errors import BqmlToolsError
from cli_runner import run
from test_dbt_package import DUCKDB_TYPES, NUMBER_TEXT, PACKAGE, PACKAGES, TYPE_NAMES, macros

PREDICTIONS = dj.Relation("my-project", "ml", "preds")
PREDICTION_COLUMNS = [dj.Column("y", "FLOAT64"), dj.Column("y_hat", "FLOAT64"), dj.Column("segment", "STRING"),
                      dj.Column("region", "STRING"), dj.Column("w", "FLOAT64"), dj.Column("n", "INT64"),
                      dj.Column("name", "STRING"), dj.Column("label", "INT64"), dj.Column("score", "FLOAT64"),
                      dj.Column("churned", "BOOL"), dj.Column("cls", "STRING"), dj.Column("cls_hat", "STRING"),
                      dj.Column("probs", "ARRAY<STRUCT<label STRING, prob FLOAT64>>")]
EVALUATE_CASES = [
    (dict(), []),
    (dict(by="segment"), ["--by", "segment"]),
    (dict(by=["segment", "region"], weight="w"), ["--by", "segment", "--by", "region", "--weight", "w"]),
    (dict(prediction="n", weight="n"), ["--prediction", "n", "--weight", "n"]),
]


def evaluate_package(adapter: str):
    columns = PREDICTION_COLUMNS if adapter == "bigquery" else \
        [dj.Column(c.name, DUCKDB_TYPES[c.dtype]) for c in PREDICTION_COLUMNS]
    return dj.package(adapter, {PREDICTIONS.name: columns})


@pytest.mark.parametrize("dialect", ["bigquery", "duckdb"])
@pytest.mark.parametrize("arguments,flags", EVALUATE_CASES)
def test_evaluate_renders_the_sql_the_cli_prints(capsys, dialect, arguments, flags):
    arguments = {"prediction": "y_hat", **arguments}
    flags = flags if "--prediction" in flags else ["--prediction", "y_hat", *flags]
    sql = evaluate_package(dialect)["evaluate"](PREDICTIONS, "regression", "y", **arguments)
    code, out, err = run(capsys, "evaluate", PREDICTIONS.name, "--task", "regression", "--label", "y", *flags,
                         "--dialect", dialect)
    assert code == 0, err
    assert sql == dj.blank_lines_dropped(out)
    assert sql.startswith("-- bqml_tools evaluate of my-project.ml.preds: task regression, label y")
    assert "WHERE\n  IF(invalid_rows > 0, " in sql  # the printed statement's guard: invalid rows fail the query


# (label, macro arguments, the same as CLI flags): a binary label read as 0/1, as a BOOL, or with a positive
BINARY_CASES = [
    ("label", dict(), []),
    ("label", dict(by=["segment"], weight="w"), ["--by", "segment", "--weight", "w"]),
    ("churned", dict(by="region"), ["--by", "region"]),
    ("name", dict(positive="yes"), ["--positive", "yes"]),
    ("label", dict(positive="1"), ["--positive", "1"]),
    ("n", dict(positive=2, weight="w"), ["--positive", "2", "--weight", "w"]),
]


@pytest.mark.parametrize("dialect", ["bigquery", "duckdb"])
@pytest.mark.parametrize("label,arguments,flags", BINARY_CASES)
def test_binary_evaluate_renders_the_sql_the_cli_prints(capsys, dialect, label, arguments, flags):
    """The CLI is told the label's type (--label-type): the macro reads it from the adapter."""
    label_type = next(c.dtype for c in PREDICTION_COLUMNS if c.name == label)
    label_type = label_type if dialect == "bigquery" else DUCKDB_TYPES[label_type]
    sql = evaluate_package(dialect)["evaluate"](PREDICTIONS, "binary", label, score="score", **arguments)
    code, out, err = run(capsys, "evaluate", PREDICTIONS.name, "--task", "binary", "--label", label, "--score", "score",
                         "--label-type", label_type, *flags, "--dialect", dialect)
    assert code == 0, err
    assert sql == dj.blank_lines_dropped(out)
    assert "AUC: exact (ties count half)" in sql and "IF(invalid_label_rows > 0, " in sql
    # the engine's exact plan: one window over the rows on DuckDB, windows per logit bucket on BigQuery
    assert ("ranked AS (" in sql) == (dialect == "duckdb") and ("bucketed AS (" in sql) == (dialect == "bigquery")


MULTICLASS_CASES = [
    ("cls", "cls_hat", dict(), []),
    ("n", "label", dict(by=["segment"], weight="w"), ["--by", "segment", "--weight", "w"]),
    ("cls", "cls_hat", dict(probs="probs", by="region"), ["--probs", "probs", "--by", "region"]),
]


@pytest.mark.parametrize("dialect", ["bigquery", "duckdb"])
@pytest.mark.parametrize("label,prediction,arguments,flags", MULTICLASS_CASES)
def test_multiclass_evaluate_renders_the_sql_the_cli_prints(capsys, dialect, label, prediction, arguments, flags):
    label_type = next(c.dtype for c in PREDICTION_COLUMNS if c.name == label)
    label_type = label_type if dialect == "bigquery" else DUCKDB_TYPES[label_type]
    sql = evaluate_package(dialect)["evaluate"](PREDICTIONS, "multiclass", label, prediction=prediction, **arguments)
    code, out, err = run(capsys, "evaluate", PREDICTIONS.name, "--task", "multiclass", "--label", label, "--prediction",
                         prediction, "--label-type", label_type, *flags, "--dialect", dialect)
    assert code == 0, err
    assert sql == dj.blank_lines_dropped(out)
    assert ("_bqml_probs" in sql) == ("probs" in arguments) and "IF(invalid_rows > 0, " in sql


@pytest.mark.parametrize("arguments,message", [
    (dict(task="ranking"), 'task "ranking" is not one of: regression, binary, multiclass'),
    (dict(task="multiclass", label="cls", prediction="n"), "label 'cls' is STRING but prediction 'n' is INT64: cast one"),
    (dict(task="multiclass", label="cls", prediction="cls_hat", probs="w"), "probabilities column 'w' is FLOAT64: it must be an ARRAY<STRUCT<label, prob>>"),
    (dict(task="multiclass", label="cls", prediction="cls_hat", by="macro_f1"), "group column 'macro_f1' has the name"),
    (dict(task="multiclass", label="cls", prediction="cls_hat", positive="a"), "positive does nothing for task multiclass"),
    (dict(task="binary", prediction=None), "task binary needs score=..."),
    (dict(task="binary", prediction=None, probs="w", positive=1), "probs 'w': binary from ML.PREDICT's probabilities array is not available"),
    (dict(task="binary", prediction=None, score="name"), "score column 'name' is STRING: it must hold probabilities"),
    (dict(task="binary", prediction=None, score="score", label="name"), "label 'name' is STRING: pass positive=..."),
    (dict(task="binary", prediction=None, score="score", positive="yes"), "positive 'yes' is not a value of the FLOAT64 label 'y'"),
    (dict(task="binary", prediction=None, score="score", positive="nan"), "positive 'nan' must be a finite value of the label 'y'"),
    (dict(task="binary", prediction=None, score="score", positive="a\tb", label="name"), "must be printable text"),
    (dict(task="binary", prediction=None, score="score", by="roc_auc"), "group column 'roc_auc' has the name"),
    (dict(label="bad name"), "label column name 'bad name' is not a plain identifier"),
    (dict(prediction=None), "task regression needs prediction=..."),
    (dict(score="score"), "score does nothing for task regression: leave it out"),
    (dict(score="score", positive=1), "score, positive do nothing for task regression: leave them out"),
    (dict(by=["segment", "Segment"]), "by columns repeat (names are case-insensitive): segment, Segment"),
    (dict(by="_bqml_g0"), "by '_bqml_g0': names starting with '_bqml_' are reserved"),
    (dict(by="missing"), "column 'missing' is not in the source; it has: y, y_hat, segment"),
    (dict(weight="name"), "weight column 'name' is STRING: it must hold numbers >= 0"),
    (dict(prediction="name"), "regression needs numeric columns: 'name' is STRING"),
])
def test_bad_evaluate_arguments_fail_compilation_with_the_librarys_one_line_reason(arguments, message):
    arguments = {"task": "regression", "label": "y", "prediction": "y_hat", **arguments}
    with pytest.raises(dj.CompilationError) as error:
        dj.package("bigquery", {PREDICTIONS.name: PREDICTION_COLUMNS})["evaluate"](PREDICTIONS, **arguments)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_group_column_named_like_a_metric_is_refused_as_the_library_refuses_it():
    package = dj.package("bigquery", {PREDICTIONS.name: PREDICTION_COLUMNS + [dj.Column("mae", "STRING")]})
    with pytest.raises(dj.CompilationError, match="group column 'mae' has the name of a column evaluate returns"):
        package["evaluate"](PREDICTIONS, "regression", "y", prediction="y_hat", by="mae")


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
@pytest.mark.parametrize("weight", [False, True])
@pytest.mark.parametrize("probs", [None, "probs"])
def test_the_packages_statement_columns_are_the_registrys(task, weight, probs):
    from bqml_tools.evaluation import registry

    assert tuple(PACKAGE["statement_columns"](task, weight, probs)) == \
        registry.statement_columns(task, weight=weight, probs=probs is not None)


@pytest.fixture(scope="module")
def duck_predictions():
    from bqml_tools.engines import DuckDBEngine

    engine = DuckDBEngine()
    columns = "y DOUBLE, y_hat DOUBLE, segment VARCHAR, w DOUBLE, n BIGINT, name VARCHAR, mae DOUBLE, label INTEGER, " \
              "score DOUBLE, flag BOOLEAN, cls VARCHAR, cls_hat VARCHAR, probs STRUCT(label VARCHAR, prob DOUBLE)[]"
    engine.connection.execute(f"CREATE TABLE preds ({columns}, _bqml_x INTEGER)")
    engine.connection.execute(f"CREATE TABLE clean ({columns})")
    packages = {}
    for table in ("preds", "clean"):
        relation = dj.Relation("memory", "main", table)
        columns = [dj.Column(n, t) for n, t in engine.connection.execute(
            f"SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '{table}' "
            "ORDER BY ordinal_position").fetchall()]
        packages[table] = (relation, dj.package("duckdb", {relation.name: columns}))
    return engine, packages


COLUMN_NAMES = ["y", "y_hat", "segment", "w", "n", "name", "mae", "missing", "_bqml_x", "bad name", "Y", "label", "score",
                "flag", "cls", "probs"]


@st.composite
def evaluate_arguments(draw):
    """Arguments the library accepts, and in about half the examples one of them replaced by a bad value
    (an unknown or reserved column, another task, an option the task does not use, a clashing group)."""
    by = draw(st.lists(st.sampled_from(["segment", "name", "n", "y"]), max_size=2, unique=True))
    weight = draw(st.sampled_from([None, "w", "n"]))
    task = draw(st.sampled_from(["regression", "binary", "multiclass"]))
    if task == "multiclass":
        label, prediction = draw(st.sampled_from([("cls", "cls_hat"), ("n", "label"), ("flag", "flag"), ("name", "cls")]))
        arguments = dict(table="clean", task="multiclass", label=label, prediction=prediction, score=None,
                         probs=draw(st.sampled_from([None, "probs"])), positive=None, by=by, weight=weight)
    elif task == "regression":
        arguments = dict(table="clean", task="regression", label=draw(st.sampled_from(["y", "n"])),
                         prediction=draw(st.sampled_from(["y_hat", "n", "y"])), score=None, probs=None, positive=None,
                         by=by, weight=weight)
    else:
        label, positive = draw(st.sampled_from([("label", None), ("label", 1), ("label", "1"), ("n", "2"), ("n", -3),
                                                ("flag", None), ("flag", True), ("name", "yes"), ("y", 2.5),
                                                ("y", "0.5"), ("y", "1e1")]))
        arguments = dict(table="clean", task="binary", label=label, prediction=None,
                         score=draw(st.sampled_from(["score", "y"])), probs=None, positive=positive, by=by,
                         weight=weight)
    if draw(st.booleans()):
        option = draw(st.sampled_from(["table", "task", "label", "prediction", "score", "probs", "positive", "by",
                                       "weight"]))
        bad = {"table": ["preds"], "task": ["binary", "regression", "multiclass", "ranking"], "score": COLUMN_NAMES,
               "probs": ["w", "probs", "cls"], "positive": [1, "yes", "nan", "x\ty", 1.5, None],
               "by": [[c] for c in COLUMN_NAMES] + [["segment", "Segment"], ["roc_auc"], ["mae"], ["macro_f1"]],
               "prediction": COLUMN_NAMES + [None]}.get(option, COLUMN_NAMES)
        arguments[option] = draw(st.sampled_from(bad))
    return arguments


@settings(max_examples=200, deadline=None)
@given(arguments=evaluate_arguments())
def test_any_evaluate_arguments_give_the_librarys_sql_or_are_refused_by_both(duck_predictions, arguments):
    """The macro's SQL is the library's evaluate_query, or both refuse (binary from probs: the package refuses it)."""
    from bqml_tools.evaluation.metrics import evaluate_query
    from bqml_tools.evaluation.spec import EvalSpec

    engine, packages = duck_predictions
    table, task, label, prediction, score, probs, positive, by, weight = arguments.values()
    relation, package = packages[table]
    try:
        spec = EvalSpec(task=task, label=label, prediction=prediction, score=score, probs=probs, positive=positive,
                        by=by, weight=weight)
        expected = dj.blank_lines_dropped(evaluate_query(identifiers.Source(parts=("memory", "main", table)), spec,
                                                         "duckdb", engine=engine).sql)
        expected = None if task == "binary" and probs is not None else expected  # not in the package yet
    except BqmlToolsError:
        expected = None
    try:
        got = package["evaluate"](relation, task, label, score=score, prediction=prediction, probs=probs,
                                  positive=positive, by=by, weight=weight)
    except dj.CompilationError:
        got = None
    event("rendered" if expected is not None else "refused")
    assert got == expected


@pytest.mark.parametrize("metric,floor,message", [
    ("roc auc", 0.7, "metric column name 'roc auc' is not a plain identifier"),
    ("roc_auc", "0.7", "floor 0.7 must be a finite number"),
    ("roc_auc", True, "floor True must be a finite number"),
])
def test_metric_at_least_refuses_a_bad_metric_or_floor_in_one_line(metric, floor, message):
    with pytest.raises(dj.CompilationError) as error:
        PACKAGE["test_metric_at_least"](dj.Relation("db", "main", "metrics"), metric, floor)
    assert message in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize("adapter,quote", [("bigquery", "`"), ("duckdb", '"')])
def test_metric_at_least_selects_the_rows_below_the_floor_or_undefined(adapter, quote):
    sql = PACKAGES[adapter]["test_metric_at_least"](dj.Relation("db", "main", "metrics", quote), "roc_auc", 0.7)
    assert f"WHERE {quote}roc_auc{quote} IS NULL OR {quote}roc_auc{quote} < 0.7" in sql


@pytest.mark.parametrize("task,arguments", [("regression", dict(prediction="y_hat")), ("binary", dict(score="score"))])
def test_an_invalid_row_fails_the_evaluate_models_query_with_its_count(duck_predictions, task, arguments):
    """The model's statement is the CLI's printed one: its guard fails the query, naming the count."""
    import duckdb

    engine, _ = duck_predictions
    engine.connection.execute("CREATE OR REPLACE TABLE bad AS SELECT * FROM clean")
    engine.connection.execute("INSERT INTO bad (y, y_hat, label, score) VALUES (1, 2, 1, 0.5), (NULL, NULL, NULL, 0.5), "
                              "(3, 4, 0, 0.25)")
    relation = dj.Relation("memory", "main", "bad")
    columns = [dj.Column(n, t) for n, t in engine.connection.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'bad' "
        "ORDER BY ordinal_position").fetchall()]
    label = "y" if task == "regression" else "label"
    sql = dj.package("duckdb", {relation.name: columns})["evaluate"](relation, task, label, **arguments)
    with pytest.raises(duckdb.Error, match="1 row\\(s\\) have a NULL"):
        engine.connection.execute(sql).fetchall()
    engine.connection.execute("DELETE FROM bad WHERE y IS NULL")
    assert engine.connection.execute(sql).fetchall()[0][0] == 2  # rows


@settings(max_examples=200, deadline=None)
@given(sql_type=TYPE_NAMES | st.sampled_from(["BOOL", "boolean", "TEXT", "STRING(10)", "DECIMAL(38,9)", "ARRAY<INT64>"]))
def test_the_jinja_value_kind_is_checks_value_kind(sql_type):
    from bqml_tools.evaluation.checks import value_kind

    assert PACKAGE["value_kind"](sql_type) == value_kind(sql_type)


@settings(max_examples=300, deadline=None)
@given(label_type=st.one_of(st.none(), st.sampled_from(["INT64", "BIGINT", "DOUBLE", "BOOL", "BOOLEAN", "STRING",
                                                         "VARCHAR", "DATE", "NUMERIC(10,2)"])),
       positive=st.one_of(st.none(), st.integers(-5, 5), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                          st.sampled_from(["1", "-2", "007", "1.5", " 2.5 ", "1e3", ".5", "yes", "nan", "-inf",
                                           "Infinity", "1/2", "", "0x1"])))
def test_the_jinja_label_mode_is_checks_label_mode(label_type, positive):
    """checks.py label_mode (how the binary template reads the label), ported: the same mode, positive value
    (and its type) and numeric flag, or both refuse."""
    import math

    from bqml_tools.evaluation.checks import label_mode
    from bqml_tools.evaluation.spec import EvalSpec

    if isinstance(positive, float) and not math.isfinite(positive):
        return  # EvalSpec refuses it before label_mode (and so does the macro's argument check)
    spec = EvalSpec(task="binary", label="label", score="score", positive=positive)
    try:
        expected = label_mode(spec, label_type)
    except BqmlToolsError as error:
        expected = str(error)  # the library's words, which the macro says too
    try:
        got = PACKAGE["binary_label_mode"]("label", positive, label_type)
    except dj.CompilationError as error:
        got = str(error)
    assert got == expected
    if isinstance(got, str):
        return
    if got is not None:
        assert type(got["positive"]) is type(expected["positive"])


CURVE_CASES = [("roc", dict(), []), ("pr", dict(by=["segment"], weight="w"), ["--by", "segment", "--weight", "w"]),
               ("roc", dict(positive="yes"), ["--positive", "yes"])]


@pytest.mark.parametrize("dialect", ["bigquery", "duckdb"])
@pytest.mark.parametrize("kind,arguments,flags", CURVE_CASES)
def test_curve_renders_the_sql_the_cli_prints(capsys, dialect, kind, arguments, flags):
    label = "name" if "positive" in arguments else "label"
    label_type = "STRING" if label == "name" else "INT64"
    label_type = label_type if dialect == "bigquery" else DUCKDB_TYPES[label_type]
    sql = evaluate_package(dialect)["curve"](PREDICTIONS, label, "score", kind=kind, **arguments)
    code, out, err = run(capsys, "curve", PREDICTIONS.name, kind, "--label", label, "--score", "score",
                         "--label-type", label_type, *flags, "--dialect", dialect)
    assert code == 0, err
    assert sql == dj.blank_lines_dropped(out) and sql.startswith("-- bqml_tools curve of my-project.ml.preds")


@pytest.mark.parametrize("kind", ["roc", "pr"])
@pytest.mark.parametrize("weight", [False, True])
def test_the_packages_curve_columns_are_the_librarys(kind, weight):
    from bqml_tools.evaluation.outputs import output_columns
    from bqml_tools.evaluation.spec import EvalSpec

    spec = EvalSpec(task="binary", label="label", score="score", weight="w" if weight else None)
    assert tuple(PACKAGE["curve_columns"](f"curve {kind}", weight)) == output_columns(spec, kind)


@pytest.mark.parametrize("arguments,message", [
    (dict(kind="lift"), 'curve "lift" is not one of: roc, pr'),
    (dict(kind="pr", by="recall"), "group column 'recall' has the name of a column curve pr returns"),
    (dict(score="name"), "score column 'name' is STRING"),
])
def test_bad_curve_arguments_fail_compilation_in_one_line(arguments, message):
    arguments = {"label": "label", "score": "score", **arguments}
    package = dj.package("bigquery", {PREDICTIONS.name: PREDICTION_COLUMNS + [dj.Column("recall", "STRING")]})
    with pytest.raises(dj.CompilationError) as error:
        package["curve"](PREDICTIONS, **arguments)
    assert message in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize("task,arguments,flags", [
    ("regression", dict(label="y", prediction="y_hat"), ["--label", "y", "--prediction", "y_hat"]),
    ("binary", dict(label="label", score="score", positive="1"), ["--label", "label", "--score", "score",
                                                                   "--positive", "1"]),
    ("multiclass", dict(label="cls", prediction="cls_hat"), ["--label", "cls", "--prediction", "cls_hat"]),
])
def test_a_relation_given_as_text_is_evaluated_without_reading_its_columns(capsys, task, arguments, flags):
    """As the CLI without an engine and without --label-type: nothing is read, nothing is checked against types."""
    sql = macros("bigquery")["evaluate"]("my-project.ml.preds", task, **arguments)
    code, out, err = run(capsys, "evaluate", "my-project.ml.preds", "--task", task, *flags, "--dialect", "bigquery")
    assert code == 0, err
    assert sql == dj.blank_lines_dropped(out)


THRESHOLD_CASES = [("recall>=0.9", dict(), []), ("precision>=95%", dict(by=["segment"], weight="w"),
                                                  ["--by", "segment", "--weight", "w"]),
                   ("f1", dict(positive=1), ["--positive", "1"])]


@pytest.mark.parametrize("dialect", ["bigquery", "duckdb"])
@pytest.mark.parametrize("goal,arguments,flags", THRESHOLD_CASES)
def test_threshold_renders_the_sql_the_cli_prints(capsys, dialect, goal, arguments, flags):
    label_type = "INT64" if dialect == "bigquery" else "BIGINT"
    sql = evaluate_package(dialect)["threshold"](PREDICTIONS, "label", "score", goal, **arguments)
    code, out, err = run(capsys, "threshold", PREDICTIONS.name, "--label", "label", "--score", "score", "--target", goal,
                         "--label-type", label_type, *flags, "--dialect", dialect)
    assert code == 0, err
    assert sql == dj.blank_lines_dropped(out)


@pytest.mark.parametrize("weight", [False, True])
def test_the_packages_threshold_columns_are_the_librarys(weight):
    from bqml_tools.evaluation import registry

    assert tuple(PACKAGE["threshold_columns"](weight)) == registry.output_names("threshold", weight=weight)


GOALS = st.one_of(
    st.sampled_from(["f1", " F1 ", "recall", "precision", "cost", "fp=1,fn=20", "", "recall>=", "recall>0.9"]),
    st.builds(lambda objective, value, spaces: f"{objective}{spaces}>={spaces}{value}",
              st.sampled_from(["recall", "precision", "Recall"]), st.one_of(NUMBER_TEXT.map(str), st.sampled_from(
                  ["0.95", "19/20", "95%", "1", "0", "1e-12", "1.0000000001", "1/0", "abc", "100%"])),
              st.sampled_from(["", " "])))


@settings(max_examples=300, deadline=None)
@given(goal=GOALS)
def test_the_jinja_goal_is_parse_targets(goal):
    """decisions.py parse_target, ported: the same objective and target, or both refuse."""
    from bqml_tools.evaluation.decisions import parse_target

    try:
        parsed = parse_target(goal)
        expected = [parsed.objective, parsed.target]
    except BqmlToolsError:
        expected = None
    try:
        got = PACKAGE["parse_goal"](goal)
    except dj.CompilationError:
        got = None
    assert got == expected


def test_a_cost_goal_is_refused_as_the_clis_only_in_one_line():
    with pytest.raises(dj.CompilationError, match=r"a cost goal, fp=A,fn=B, is the CLI's only for now\)$"):
        PACKAGE["threshold"](dj.Relation("memory", "main", "clean"), "label", "score", "fp=1,fn=20")
