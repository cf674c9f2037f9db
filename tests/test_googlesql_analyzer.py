"""Every statement the toolkit prints for BigQuery passes GoogleSQL's own analyzer (zetasql).

bqemulator runs DuckDB underneath, so rules only BigQuery enforces (no PARTITION BY a FLOAT64, QUALIFY needs a
WHERE, GROUP BY or HAVING, ...) are invisible to the emulator tier. Here each BigQuery snapshot
(tests/snapshots/*.bigquery.sql, rendered without a schema as `--dialect bigquery` prints) and the output of
every command variant the CLI offers are analyzed against a catalog with the column types the rendering
assumes; each variant again through `--check --schema` (the user's offline check, with the source's types
known), and the dbt package's macros and generic tests as dbt-bigquery renders them. The analyzer speaks
BigQuery's language (bqml_tools/engines/googlesql_language.py), checked below by what it refuses.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import cli_runner
import dbt_jinja
import render_cases

pytestmark = pytest.mark.googlesql

SNAPSHOTS = Path(__file__).parent / "snapshots"

EVENTS = {"user_id": "INT64", "day": "DATE", "ts": "TIMESTAMP", "raw": "BYTES", "amount": "NUMERIC",
          "naive": "DATETIME", "label": "STRING", "country": "STRING"}
COMMON = {"split": "STRING", "region": "STRING", "w": "FLOAT64", "user_id": "INT64", "day": "DATE", "id": "INT64"}
PREDICTIONS = {
    "regression": {"y": "FLOAT64", "y_hat": "FLOAT64", "y_new": "FLOAT64", **COMMON},
    "binary": {"label": "INT64", "p": "FLOAT64", "p_new": "FLOAT64", **COMMON},
    # probs, probs_new: ML.PREDICT's probabilities arrays, the binary score of --probs/--against-probs
    "binary_positive": {"label": "STRING", "p": "FLOAT64", "p_new": "FLOAT64",
                        "probs": "ARRAY<STRUCT<label STRING, prob FLOAT64>>",
                        "probs_new": "ARRAY<STRUCT<label STRING, prob FLOAT64>>", **COMMON},
    "multiclass": {"y": "STRING", "y_hat": "STRING", "y_new": "STRING",
                   "probs": "ARRAY<STRUCT<label STRING, prob FLOAT64>>", **COMMON},
}
TRAINING = {"training_run": "INT64", "iteration": "INT64", "loss": "FLOAT64", "eval_loss": "FLOAT64",
            "learning_rate": "FLOAT64", "duration_ms": "INT64"}


@pytest.fixture(scope="module")
def catalogs(googlesql_reference):
    """family -> an engine whose (empty) tables have the family's column types."""
    import googlesql

    out = {}
    for family, predictions in PREDICTIONS.items():
        engine = googlesql.GoogleSQLEngine(googlesql_reference, project="my-project")
        engine.create_table("my-project.ml.events", EVENTS, [])
        engine.create_table("my-project.ml.training_info", TRAINING, [])
        for name in ("my-project.ml.predictions", "my-project.ml.preds"):
            engine.create_table(name, predictions, [])
        out[family] = engine
    return out


def _positive_cases() -> set[str]:
    """Rendering names whose spec names a STRING positive class: their label is a STRING."""
    names = {name for name, spec in render_cases.EVALS.items() if isinstance(spec.positive, str)}
    names |= {name for name, (spec, _) in render_cases.THRESHOLDS.items() if isinstance(spec.positive, str)}
    return names


def family_of(stem: str) -> str:
    """Which catalog a snapshot's rendering assumes (see render_cases: sources and specs)."""
    if stem.startswith(("split_", "profile_", "assignments_", "select_all", "materialize_", "training_")):
        return "binary"  # events and training_info are in every catalog
    for task in ("regression", "multiclass"):
        if task in stem:
            return task
    if stem == "label_values":  # the stray-label guard reads binary_by_binned's STRING label
        return "binary_positive"
    return "binary_positive" if any(stem.endswith(name) for name in _positive_cases()) else "binary"


SNAPSHOT_FILES = sorted(SNAPSHOTS.glob("*.bigquery.sql"))
RENDERED = render_cases.cases()


def test_every_rendering_has_a_bigquery_snapshot():
    """The walk below covers every rendering (render_cases is what the snapshots are made from)."""
    stems = {path.name.removesuffix(".bigquery.sql") for path in SNAPSHOT_FILES}
    cases = {name.removesuffix(".bigquery") for name in RENDERED if name.endswith(".bigquery")}
    assert cases <= stems and len(stems) >= 80


@pytest.mark.parametrize("path", SNAPSHOT_FILES, ids=lambda p: p.name.removesuffix(".bigquery.sql"))
def test_snapshot_passes_the_analyzer(catalogs, path):
    stem = path.name.removesuffix(".bigquery.sql")
    rendered = RENDERED.get(f"{stem}.bigquery")
    params = rendered.params if rendered is not None else None  # a rendering with bound @parameters
    catalogs[family_of(stem)].analyze(path.read_text(), params or None)


# (family, arguments): every command and its variants, printed with --dialect bigquery
EV = "my-project.ml.events"
PR = "my-project.ml.preds"
BINARY = ["--task", "binary", "--label", "label", "--score", "p"]
REGRESSION = ["--task", "regression", "--label", "y", "--prediction", "y_hat"]
MULTICLASS = ["--task", "multiclass", "--label", "y", "--prediction", "y_hat"]
KEY_TYPES = ["--key-type", "day=DATE", "--key-type", "ts=TIMESTAMP", "--key-type", "raw=BYTES",
             "--key-type", "amount=NUMERIC", "--key-type", "naive=DATETIME"]
COMMANDS = {
    "split": ("binary", ["split", EV, "--key", "user_id"]),
    "split_sample_only": ("binary", ["split", EV, "--key", "user_id", "--sample", "1/70", "--split", "train"]),
    "split_composite_salt": ("binary", ["split", EV, "--key", "user_id", "--key", "day", "--key", "ts", "--key", "raw",
                                        "--key", "amount", "--key", "naive", "--salt", "exp'7", *KEY_TYPES]),
    "split_buckets": ("binary", ["split", EV, "--key", "user_id", "--buckets", "1000", "--fractions", "a=0.5,b=0.5"]),
    "split_null_drop": ("binary", ["split", EV, "--key", "user_id", "--null-keys", "drop"]),
    "split_null_split": ("binary", ["split", EV, "--key", "user_id", "--null-keys", "split:nokey", "--sample", "0.5"]),
    "split_stratify": ("binary", ["split", EV, "--key", "user_id", "--stratify", "label", "--sample", "1/10"]),
    "split_stratify_null": ("binary", ["split", EV, "--key", "user_id", "--stratify", "label", "--null-keys",
                                       "split:nokey"]),
    "split_destination": ("binary", ["split", EV, "--key", "user_id", "--destination", EV + "_split"]),
    "split_destination_replace": ("binary", ["split", EV, "--key", "user_id", "--destination", EV + "_split",
                                             "--replace"]),
    "split_per_split_view": ("binary", ["split", EV, "--key", "user_id", "--destination", EV + "_split",
                                        "--per-split", "--view", "--replace", "--null-keys", "split:holdout"]),
    "split_stratify_destination": ("binary", ["split", EV, "--key", "user_id", "--stratify", "label",
                                              "--destination", EV + "_split", "--per-split"]),
    # issue 19: BigQuery table options on stored splits, the hash's parts stored, job options
    "split_destination_table_options": ("binary", ["split", EV, "--key", "user_id", "--destination", EV + "_split",
                                                   "--cluster-by", "split", "--partition-by", "day",
                                                   "--expiration-days", "7", "--table-description", "it's",
                                                   "--table-label", "team=ml", "--table-label", "cost-center=x1"]),
    "split_store_slots": ("binary", ["split", EV, "--key", "user_id", "--destination", EV + "_split",
                                     "--store-slots", "--replace", "--partition-by", "ts"]),
    "split_per_split_cluster_by": ("binary", ["split", EV, "--key", "user_id", "--key", "day", "--destination",
                                              EV + "_split", "--per-split", "--cluster-by", "user_id",
                                              "--cluster-by", "day", "--sample", "1/10"]),
    "split_job_options": ("binary", ["split", EV, "--key", "user_id", "--job-label", "team=ml", "--batch"]),
    "evaluate_regression": ("regression", ["evaluate", PR, *REGRESSION]),
    "evaluate_regression_by_weight": ("regression", ["evaluate", PR, *REGRESSION, "--by", "split", "--by", "region",
                                                     "--weight", "w", "--invalid", "exclude"]),
    "evaluate_regression_ci": ("regression", ["evaluate", PR, *REGRESSION, "--by", "split", "--ci", "0.95",
                                              "--key", "user_id"]),
    "evaluate_regression_weight_ci": ("regression", ["evaluate", PR, *REGRESSION, "--weight", "w", "--ci", "0.9",
                                                     "--key", "user_id", "--key", "day", "--partitions", "10"]),
    "evaluate_regression_slices": ("regression", ["evaluate", PR, *REGRESSION, "--by", "region",
                                                  "--min-slice-rows", "100", "--ci", "0.95", "--key", "user_id"]),
    "evaluate_binary": ("binary", ["evaluate", PR, *BINARY]),
    "evaluate_binary_exact_by": ("binary", ["evaluate", PR, *BINARY, "--by", "split", "--auc", "exact"]),
    "evaluate_binary_binned_positive": ("binary_positive", ["evaluate", PR, *BINARY, "--by", "split", "--auc", "binned",
                                                            "--positive", "yes", "--threshold", "0.35"]),
    "evaluate_binary_weight": ("binary", ["evaluate", PR, *BINARY, "--weight", "w", "--by", "split",
                                          "--invalid", "exclude", "--zero-division", "sklearn"]),
    "evaluate_binary_ci": ("binary", ["evaluate", PR, *BINARY, "--by", "split", "--ci", "0.95", "--key", "user_id"]),
    "evaluate_binary_exact_ci": ("binary", ["evaluate", PR, *BINARY, "--auc", "exact", "--ci", "0.95", "--key",
                                            "user_id"]),
    "evaluate_binary_weight_ci": ("binary", ["evaluate", PR, *BINARY, "--weight", "w", "--ci", "0.95", "--key",
                                             "user_id", "--by", "split"]),
    "evaluate_binary_slices": ("binary", ["evaluate", PR, *BINARY, "--by", "region", "--min-slice-rows", "100",
                                          "--ci", "0.95", "--key", "user_id"]),
    "evaluate_multiclass": ("multiclass", ["evaluate", PR, *MULTICLASS]),
    "evaluate_multiclass_probs_by": ("multiclass", ["evaluate", PR, *MULTICLASS, "--probs", "probs", "--by", "split",
                                                    "--top-k", "2"]),
    "evaluate_multiclass_classes": ("multiclass", ["evaluate", PR, *MULTICLASS, "--view", "classes", "--by", "split"]),
    "evaluate_multiclass_confusion": ("multiclass", ["evaluate", PR, *MULTICLASS, "--view", "confusion"]),
    "evaluate_multiclass_weight_ci": ("multiclass", ["evaluate", PR, *MULTICLASS, "--probs", "probs", "--weight", "w",
                                                     "--ci", "0.9", "--key", "user_id"]),
    "compare_binary": ("binary", ["compare", PR, *BINARY, "--against", "p_new", "--key", "user_id"]),
    "compare_binary_exact_by": ("binary", ["compare", PR, *BINARY, "--against", "p_new", "--key", "user_id",
                                           "--auc", "exact", "--by", "split"]),
    "compare_regression": ("regression", ["compare", PR, *REGRESSION, "--against", "y_new", "--key", "user_id",
                                          "--key", "day", "--by", "split", "--partitions", "10"]),
    "compare_multiclass": ("multiclass", ["compare", PR, *MULTICLASS, "--against", "y_new", "--key", "user_id"]),
    "compare_weight": ("binary", ["compare", PR, *BINARY, "--against", "p_new", "--key", "user_id", "--weight", "w"]),
    "threshold_recall": ("binary", ["threshold", PR, "--label", "label", "--score", "p", "--target", "recall>=0.95"]),
    "threshold_precision_binned": ("binary_positive", ["threshold", PR, "--label", "label", "--score", "p", "--target",
                                                       "precision>=0.9", "--by", "split", "--search", "binned",
                                                       "--positive", "yes"]),
    "threshold_f1": ("binary", ["threshold", PR, "--label", "label", "--score", "p", "--target", "f1"]),
    "threshold_cost_weight": ("binary", ["threshold", PR, "--label", "label", "--score", "p", "--cost", "fp=1,fn=20",
                                         "--weight", "w", "--by", "split"]),
    "curve_roc": ("binary", ["curve", PR, "roc", "--label", "label", "--score", "p", "--by", "split"]),
    "curve_pr_binned": ("binary", ["curve", PR, "pr", "--label", "label", "--score", "p", "--auc", "binned"]),
    "curve_thresholds": ("binary", ["curve", PR, "thresholds", "--label", "label", "--score", "p", "--steps", "20"]),
    "curve_calibration_weight": ("binary", ["curve", PR, "calibration", "--label", "label", "--score", "p", "--bins",
                                            "5", "--weight", "w"]),
    "training": ("binary", ["training", "my-project.ml.training_info"]),
    "training_history": ("binary", ["training", "my-project.ml.training_info", "--history"]),
    # BigQuery ML in and out (issue 18): CREATE MODEL on the split, binary from ML.PREDICT's probabilities arrays,
    # row filters, a query source
    "split_create_model": ("binary", ["split", EV, "--key", "user_id", "--create-model", "my-project.ml.churn",
                                      "--model-type", "logistic_reg", "--label", "label", "--sample", "1/10",
                                      "--options", "max_iterations=20,auto_class_weights=true,l2_reg=0.1"]),
    "evaluate_probs_where": ("binary_positive", ["evaluate", PR, "--task", "binary", "--label", "label", "--probs",
                                                 "probs", "--positive", "yes", "--where", "split=valid",
                                                 "--where", "region=north", "--by", "user_id"]),
    "evaluate_query_source": ("binary_positive", ["evaluate", f"SELECT * FROM `{PR}` WHERE region = 'north'", "--task",
                                                  "binary", "--label", "label", "--probs", "probs", "--positive", "yes"]),
    "compare_probs": ("binary_positive", ["compare", PR, "--task", "binary", "--label", "label", "--probs", "probs",
                                          "--against-probs", "probs_new", "--positive", "yes", "--key", "user_id",
                                          "--where", "split=test"]),
    "threshold_probs_where": ("binary_positive", ["threshold", PR, "--label", "label", "--probs", "probs", "--positive",
                                                  "yes", "--target", "recall>=0.9", "--where", "split=valid"]),
    "curve_roc_probs": ("binary_positive", ["curve", PR, "roc", "--label", "label", "--probs", "probs", "--positive",
                                            "yes", "--where", "split=test"]),
    "evaluate_multiclass_where": ("multiclass", ["evaluate", PR, *MULTICLASS, "--probs", "probs", "--where", "split=test"]),
    # BigQuery ML's names (ML.EVALUATE's, ML.ROC_CURVE's) and ML.TRAINING_INFO of a model
    "evaluate_binary_names_bigquery_ml": ("binary", ["evaluate", PR, *BINARY, "--by", "split", "--names",
                                                     "bigquery-ml"]),
    "evaluate_regression_names_bigquery_ml": ("regression", ["evaluate", PR, *REGRESSION, "--names", "bigquery-ml"]),
    "evaluate_multiclass_names_bigquery_ml": ("multiclass", ["evaluate", PR, *MULTICLASS, "--names", "bigquery-ml"]),
    "curve_roc_names_bigquery_ml": ("binary", ["curve", PR, "roc", "--label", "label", "--score", "p", "--names",
                                               "bigquery-ml"]),
    "training_model": ("binary", ["training", "--model", "my-project.ml.churn"]),
    "training_model_history": ("binary", ["training", "--model", "my-project.ml.churn", "--history"]),
}


def statements(printed: str) -> list[str]:
    """The statements of one command's output: one query, or ``;``-separated DDL (--destination)."""
    parts = [part.strip() for part in printed.split(";\n\n")]
    return [part.removesuffix(";") for part in parts if part]


@pytest.mark.parametrize("name", COMMANDS)
def test_cli_statement_passes_the_analyzer(catalogs, capsys, name):
    family, arguments = COMMANDS[name]
    code, out, err = cli_runner.run(capsys, *arguments, "--dialect", "bigquery")
    assert code == 0, err
    printed = statements(out)
    assert printed
    for statement in printed:
        catalogs[family].add_models_read(statement)  # training --model: ML.TRAINING_INFO(MODEL `...`)
        catalogs[family].analyze(statement)


# The dbt package (dbt/): each macro and generic test rendered for dbt-bigquery (tests/dbt_jinja.py), on the
# source columns and cases of tests/test_dbt_package.py, against a catalog with those columns and a split model.
DBT_SOURCE = "my-project.ml.events"
DBT_MODEL = "my-project.ml.events_split"
DBT_PREVIOUS = "my-project.ml.events_split_last_build"
DBT_METRICS = "my-project.ml.metrics"  # a metrics model (bqml_tools.evaluate), read by metric_at_least


def _dbt_cases() -> dict[str, tuple[str, tuple, dict]]:
    """name -> (macro, positional arguments, keyword arguments): every case of the dbt package's own tests."""
    import test_dbt_package as package

    model = dbt_jinja.Relation(*DBT_MODEL.split("."), quote="`")
    previous = dbt_jinja.Relation(*DBT_PREVIOUS.split("."), quote="`")
    cases = {f"split_{n}": ("split", (package.RELATION,), kwargs) for n, (kwargs, _) in enumerate(package.CASES)}
    cases.update({f"split_filter_{n}": ("split_filter", (package.RELATION,), kwargs)
                  for n, (kwargs, _) in enumerate(package.FILTER_CASES)})
    cases["split_text_relation"] = ("split", (DBT_SOURCE, "user_id"), {"sample": "1/70"})
    cases["split_stable"] = ("test_split_stable", (model, "id", previous), {})
    cases["split_stable_composite"] = ("test_split_stable", (model, ["user_id", "day"], previous),
                                       {"column_name": "part"})
    cases["split_fractions_within_bounds"] = ("test_split_fractions_within_bounds", (model, "id"), {})
    cases["split_fractions_within_bounds_composite"] = (
        "test_split_fractions_within_bounds", (model, ["user_id", "day"]),
        {"fractions": "a=1/3,b=1/3,c=1/3", "column_name": "part", "sigmas": 3.5})
    # evaluate, curve and threshold render exactly the CLI's statements (tests/test_dbt_evaluate.py), which
    # the CLI walk above analyzes; the metric floor is SQL of the package's own
    metrics = dbt_jinja.Relation(*DBT_METRICS.split("."), quote="`")
    cases["metric_at_least"] = ("test_metric_at_least", (metrics, "roc_auc", 0.7), {})
    return cases


DBT_CASES = _dbt_cases()


@pytest.fixture(scope="module")
def dbt_catalog(googlesql_reference):
    """The dbt cases' source (test_dbt_package.COLUMNS) and a split model built from it (two split columns)."""
    import googlesql
    import test_dbt_package as package

    source = {column.name: column.dtype for column in package.COLUMNS}
    engine = googlesql.GoogleSQLEngine(googlesql_reference, project="my-project")
    engine.create_table(DBT_SOURCE, source, [])
    for name in (DBT_MODEL, DBT_PREVIOUS):
        engine.create_table(name, {**source, "split": "STRING", "part": "STRING"}, [])
    engine.create_table(DBT_METRICS, {"segment": "STRING", "rows": "INT64", "roc_auc": "FLOAT64"}, [])
    return engine


def test_the_dbt_walk_covers_every_macro_users_call():
    """The package's user-facing macros and every generic test it defines are in DBT_CASES."""
    import test_dbt_package as package

    text = "\n".join(path.read_text() for path in dbt_jinja.macro_files())
    tests = {f"test_{name}" for name in re.findall(r"{%-?\s*test\s+(\w+)\s*\(", text)}
    assert tests and tests | {"split", "split_filter"} == {macro for macro, _, _ in DBT_CASES.values()}
    assert len(package.CASES) + len(package.FILTER_CASES) + 6 == len(DBT_CASES)


@pytest.mark.parametrize("name", DBT_CASES)
def test_dbt_macro_passes_the_analyzer(dbt_catalog, name):
    import test_dbt_package as package

    macro, args, kwargs = DBT_CASES[name]
    sql = package.macros("bigquery")[macro](*args, **kwargs)
    assert "`" in sql  # rendered for BigQuery
    dbt_catalog.analyze(sql)


def test_the_analyzer_refuses_what_bigquery_refuses(catalogs):
    """The check has teeth: BigQuery's own rules, which DuckDB (and so the emulator) accept."""
    from bqml_tools.errors import BadQuery, TableNotFound

    engine = catalogs["binary"]
    with pytest.raises(BadQuery, match="Partitioning by expressions of type FLOAT64 is not allowed"):
        engine.analyze("SELECT SUM(label) OVER (PARTITION BY p) FROM `my-project.ml.preds`")
    with pytest.raises(BadQuery, match="Function not found: LOG2"):
        engine.analyze("SELECT LOG2(p) FROM `my-project.ml.preds`")  # DuckDB's
    with pytest.raises(BadQuery, match="Unrecognized name: label_"):
        engine.analyze("SELECT label_ FROM `my-project.ml.preds`")
    with pytest.raises(TableNotFound):
        engine.analyze("SELECT * FROM `my-project.ml.absent`")


REFUSED_BY_BIGQUERY = {
    "QUALIFY without WHERE, GROUP BY or HAVING": (
        "SELECT id FROM `my-project.ml.preds` QUALIFY ROW_NUMBER() OVER (PARTITION BY id ORDER BY w) = 1",
        "QUALIFY clause must be used in conjunction with WHERE or GROUP BY or HAVING clause"),
    "GROUP BY an ARRAY": ("SELECT probs, COUNT(*) FROM `my-project.ml.preds` GROUP BY probs",
                          "Grouping by expressions of type ARRAY is not allowed"),
    "PARTITION BY a FLOAT64": ("SELECT SUM(id) OVER (PARTITION BY w) FROM `my-project.ml.preds`",
                               "Partitioning by expressions of type FLOAT64 is not allowed"),
    "an INT32 (internal types)": ("SELECT CAST(id AS INT32) FROM `my-project.ml.preds`", "Type not found: INT32"),
}


@pytest.mark.parametrize("what", REFUSED_BY_BIGQUERY)
def test_the_language_is_bigquerys_not_every_feature(catalogs, what):
    """The analyzer speaks BigQuery's language (googlesql.bigquery_language), not maximum_features: each of these
    passed with every feature on; BigQuery refuses it, and so does the analyzer."""
    from bqml_tools.errors import BadQuery

    sql, message = REFUSED_BY_BIGQUERY[what]
    with pytest.raises(BadQuery, match=message):
        catalogs["multiclass"].analyze(sql)


def test_the_same_statement_with_its_fix_passes(catalogs):
    """The refusals above are the rule, not a broken catalog: the forms BigQuery accepts pass."""
    engine = catalogs["multiclass"]
    engine.analyze("SELECT id FROM `my-project.ml.preds` WHERE TRUE QUALIFY ROW_NUMBER() OVER (PARTITION BY id "
                   "ORDER BY w) = 1")
    engine.analyze("SELECT TO_JSON_STRING(probs), COUNT(*) FROM `my-project.ml.preds` GROUP BY 1")
    engine.analyze("SELECT SUM(id) OVER (PARTITION BY CAST(FLOOR(w) AS INT64)) FROM `my-project.ml.preds`")


def test_each_language_decision_changes_the_released_language(googlesql_reference):
    """Every entry of BIGQUERY_ADDS is off in the released language and every BIGQUERY_REMOVES on (a stale
    entry, or a typo, fails here), and the result is not maximum_features."""
    import googlesql
    from zetasql.wasi._pb2.zetasql.local_service import local_service_pb2 as ls
    from zetasql.wasi._pb2.zetasql.proto import options_pb2
    from zetasql.wasi._pb2.zetasql.public import options_pb2 as public_options

    def ask(**request):
        return googlesql_reference.client.call_grpc_func("ZetaSqlLocalService_GetLanguageOptions",
                                                         ls.LanguageOptionsRequest(**request),
                                                         options_pb2.LanguageOptionsProto)

    released = {public_options.LanguageFeature.Name(f)
                for f in ask(language_version=public_options.VERSION_CURRENT).enabled_language_features}
    assert not set(googlesql.BIGQUERY_ADDS) & released
    assert set(googlesql.BIGQUERY_REMOVES) <= released
    used = {public_options.LanguageFeature.Name(f) for f in googlesql_reference.language.enabled_language_features}
    assert used == (released | set(googlesql.BIGQUERY_ADDS)) - set(googlesql.BIGQUERY_REMOVES)
    maximum = ask(maximum_features=True)
    assert used != {public_options.LanguageFeature.Name(f) for f in maximum.enabled_language_features}
    assert list(maximum.reserved_keywords) == ["QUALIFY"] and not googlesql_reference.language.reserved_keywords


def _schema_of(family: str, source: str) -> str:
    """The --schema text of a command's source in ``family``'s catalog."""
    columns = {EV: EVENTS, "my-project.ml.training_info": TRAINING}.get(source, PREDICTIONS[family])
    return ",".join(f"{name}:{kind}" for name, kind in columns.items())


@pytest.mark.parametrize("name", COMMANDS)
def test_cli_statement_with_the_sources_schema_passes_check(googlesql_reference, capsys, name):
    """The same variants with the source's schema known (--check --schema: the analyzer reads it for the
    rendering, as --engine bigquery would, so key and label types are the real ones; of a query source, the
    table it reads): the user-facing check passes, and prints the statement."""
    family, arguments = COMMANDS[name]
    source = arguments[1]
    if source == "--model":  # ML.TRAINING_INFO of a model: no table, no --schema
        schema = []
    else:  # a query source: --schema describes the one table it reads
        schema = ["--schema", _schema_of(family, PR if source.lstrip().upper().startswith("SELECT") else source)]
    code, out, err = cli_runner.run(capsys, *arguments, "--dialect", "bigquery", "--check", *schema)
    assert code == 0 and err == "", err
    assert statements(out)
