"""``--check``: a printed BigQuery statement analyzed by GoogleSQL's analyzer before the user pastes it
(bqml_tools/cli/check.py, bqml_tools/engines/googlesql.py). The oracle is GoogleSQL's own analyzer; what it
refuses here is what BigQuery refuses (tests/test_googlesql_analyzer.py checks the language)."""
from __future__ import annotations

import json

import pytest

from cli_runner import run

pytestmark = pytest.mark.googlesql

PREDS = "my-project.ml.preds"
BINARY = ["evaluate", PREDS, "--task", "binary", "--label", "label", "--score", "p"]


@pytest.fixture
def reference(googlesql_reference):
    return googlesql_reference  # the CLI's analyzer is this process's started one


def test_a_statement_the_analyzer_accepts_is_printed_as_without_check(reference, capsys, tmp_path):
    """--check prints what --dialect bigquery prints when the source's schema is known (the analyzer is the
    schema reader: key types in the header), and nothing on stderr."""
    code, out, err = run(capsys, "split", "my-project.ml.events", "--key", "user_id", "--key", "day", "--dialect",
                         "bigquery", "--check", "--schema", "user_id:INT64,day:DATE,label:STRING")
    assert code == 0 and err == "", err
    assert "-- key: user_id (INT64), day (DATE)" in out
    code, plain, _ = run(capsys, "split", "my-project.ml.events", "--key", "user_id", "--key", "day", "--key-type",
                         "user_id=INT64", "--key-type", "day=DATE", "--dialect", "bigquery")
    assert code == 0 and out == plain


def test_a_refusal_is_one_line_with_the_analyzers_message_and_the_printed_line(reference, capsys):
    """GROUP BY an ARRAY column: the toolkit's own checks pass it, BigQuery (and the analyzer) refuse it."""
    code, out, err = run(capsys, *BINARY, "--by", "region", "--dialect", "bigquery", "--check", "--schema",
                         "label:INT64,p:FLOAT64,region:ARRAY<STRING>")
    assert code == 2 and out == ""  # nothing to paste
    assert err.count("\n") == 1 and "Grouping by expressions of type ARRAY is not allowed" in err
    _, printed, _ = run(capsys, *BINARY, "--by", "region", "--dialect", "bigquery")
    line = int(err.split("at line ")[1].split(",")[0])
    assert "GROUP BY" in printed.splitlines()[line - 1] and printed.splitlines()[line - 1].strip() in err


def test_each_statement_of_a_script_is_checked_with_the_tables_made_before_it(reference):
    """check_script: statement lines are the printed SQL's; a CREATE's result is a table for the next one."""
    from bqml_tools.engines.googlesql import GoogleSQLAnalyzer, statements
    from bqml_tools.errors import BadQuery

    printed = ("CREATE TABLE `p.ds.made` AS\n-- a comment\nSELECT id, id * 2 AS twice FROM `p.ds.src`;\n\n"
               "CREATE VIEW `p.ds.v` AS\nSELECT\n  twice,\n  nope\nFROM `p.ds.made`;\n")
    assert [first for first, _ in statements(printed)] == [1, 5]
    engine = GoogleSQLAnalyzer(reference, project="p")
    engine.add_table("p.ds.src", {"id": "INT64"})
    with pytest.raises(BadQuery) as error:
        engine.check_script(printed)
    assert str(error.value) == ("GoogleSQL's analyzer refuses the printed SQL at line 8, column 3 (statement 2 of 2, "
                                "nope): Unrecognized name: nope")
    assert engine.check_script(printed.replace("  nope\n", "  id\n")) == 2


def test_a_bq_show_json_schema_is_read(reference, capsys, tmp_path):
    """`bq show --schema --format=json` (legacy type names, RECORD, REPEATED) and the table resource form."""
    from bqml_tools.engines.googlesql_types import schema_from_json, type_name

    fields = [{"name": "y", "type": "STRING", "mode": "NULLABLE"}, {"name": "y_hat", "type": "STRING"},
              {"name": "w", "type": "FLOAT"}, {"name": "n", "type": "INTEGER", "mode": "REQUIRED"},
              {"name": "probs", "type": "RECORD", "mode": "REPEATED",
               "fields": [{"name": "label", "type": "STRING"}, {"name": "prob", "type": "FLOAT"}]}]
    schema = {name: type_name(kind) for name, kind in schema_from_json(json.dumps(fields), "f").items()}
    assert schema == {"y": "STRING", "y_hat": "STRING", "w": "FLOAT64", "n": "INT64",
                      "probs": "ARRAY<STRUCT<label STRING, prob FLOAT64>>"}
    assert {n: type_name(k) for n, k in schema_from_json(json.dumps({"schema": {"fields": fields}}), "f").items()} \
        == schema
    path = tmp_path / "preds.json"
    path.write_text(json.dumps(fields))
    code, out, err = run(capsys, "evaluate", PREDS, "--task", "multiclass", "--label", "y", "--prediction", "y_hat",
                         "--probs", "probs", "--weight", "w", "--dialect", "bigquery", "--check", "--schema", str(path))
    assert code == 0 and err == "" and out


@pytest.mark.parametrize("arguments,message", [
    (["--dialect", "duckdb", "--check"], "--check analyzes the BigQuery SQL a command prints: use it with --dialect "
                                         "bigquery, not --dialect duckdb"),
    (["--check", "--schema", "user_id:INT64"], "use it with --dialect bigquery"),
    (["--dialect", "bigquery", "--check"], "--check needs the source's columns: --schema COLUMN:TYPE,..."),
    (["--dialect", "bigquery", "--schema", "user_id:INT64"], "--schema is read by --check: add --check"),
    (["--dialect", "bigquery", "--check", "--schema", "user_id INT64"], "--schema part 'user_id INT64' is not "
                                                                        "COLUMN:TYPE"),
    (["--dialect", "bigquery", "--check", "--schema", "user_id:INT65"], "--schema column 'user_id': GoogleSQL type "
                                                                        "'INT65' is not one of"),
    (["--dialect", "bigquery", "--check", "--schema", "missing.json"], "--schema missing.json: No such file"),
])
def test_bad_check_options_are_one_line(capsys, arguments, message):
    code, out, err = run(capsys, "split", "my-project.ml.events", "--key", "user_id", *arguments)
    assert code == 2 and out == "" and message in err and err.count("\n") == 1, err


def test_the_first_use_says_it_compiles(reference, capsys, monkeypatch, tmp_path):
    """An empty compile cache: one note on stderr, naming the cache folder; a filled one: nothing."""
    from bqml_tools.engines import googlesql

    assert not googlesql.compiled(tmp_path) and googlesql.compiled()
    monkeypatch.setattr(googlesql, "compiled", lambda folder=None: False)
    monkeypatch.setenv(googlesql.CACHE_VARIABLE, str(tmp_path))
    code, out, err = run(capsys, "split", "my-project.ml.events", "--key", "user_id", "--dialect", "bigquery",
                         "--check", "--schema", "user_id:INT64")
    assert code == 0 and out
    assert err == f"note: compiling GoogleSQL's analyzer for --check (once, about a minute; cached in {tmp_path})\n"


def test_without_the_extra_the_error_names_the_install(capsys, monkeypatch):
    import sys

    from bqml_tools.engines import googlesql

    monkeypatch.setattr(googlesql, "_STARTED", None)
    monkeypatch.setitem(sys.modules, "zetasql.core.local_service", None)
    monkeypatch.setattr(googlesql, "compiled", lambda folder=None: True)
    code, out, err = run(capsys, "split", "my-project.ml.events", "--key", "user_id", "--dialect", "bigquery",
                         "--check", "--schema", "user_id:INT64")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert 'GoogleSQL\'s analyzer is not installed' in err and 'pip install "bqml-tools[check]"' in err


def test_the_analyzer_reads_no_rows(reference):
    """As a schema reader it answers dry runs; a query that needs rows is refused in one line."""
    from bqml_tools.engines.googlesql import GoogleSQLAnalyzer
    from bqml_tools.errors import QueryError

    engine = GoogleSQLAnalyzer(reference, project="p")
    engine.add_table("p.ds.t", {"id": "INT64", "probs": "ARRAY<STRUCT<label STRING, prob FLOAT64>>"})
    assert engine.dry_run("SELECT * FROM `p.ds.t`").schema == {"id": "INT64",
                                                                "probs": "ARRAY<STRUCT<label STRING, prob FLOAT64>>"}
    with pytest.raises(QueryError, match="GoogleSQL's analyzer checks statements and runs none"):
        engine.run("SELECT 1")


def test_bigquery_mls_training_info_is_known_and_a_model_is_read(reference):
    """ML.TRAINING_INFO(MODEL m) (training --model): the analyzer knows its columns; a model the script reads
    is registered (its existence is BigQuery's to check), a column it lacks is refused."""
    from bqml_tools.engines.googlesql import GoogleSQLAnalyzer
    from bqml_tools.engines.googlesql_language import ML_FUNCTIONS
    from bqml_tools.errors import BadQuery

    engine = GoogleSQLAnalyzer(reference, project="p")
    assert engine.check_script("SELECT iteration, loss, eval_loss FROM ML.TRAINING_INFO(MODEL `p.ds.m`)\n"
                               "ORDER BY iteration\n") == 1
    assert engine.dry_run("SELECT * FROM ML.TRAINING_INFO(MODEL `p.ds.m`)").schema == ML_FUNCTIONS["TRAINING_INFO"]
    with pytest.raises(BadQuery, match="at line 1, column 8 .*Unrecognized name: accuracy"):
        engine.check_script("SELECT accuracy FROM ML.TRAINING_INFO(MODEL `p.ds.m`)")


@pytest.mark.parametrize("source,schema,message", [
    ("SELECT * FROM `my-project.ml.preds` JOIN `my-project.ml.more` USING (id)", ["--schema", "label:INT64"],
     "--check with a query SOURCE: --schema describes one table, and it reads 2 (my-project.ml.more, "
     "my-project.ml.preds)"),
    ("SELECT * FROM `my-project.ml.preds` WHERE region = 'north'", [],
     "--check needs the columns of my-project.ml.preds: --schema COLUMN:TYPE,..."),
])
def test_a_query_source_is_checked_against_the_one_table_it_reads(reference, capsys, source, schema, message):
    code, out, err = run(capsys, "evaluate", source, "--task", "binary", "--label", "label", "--score", "p",
                         "--dialect", "bigquery", "--check", *schema)
    assert code == 2 and out == "" and message in err and err.count("\n") == 1, err
    code, out, err = run(capsys, "evaluate", "SELECT * FROM `my-project.ml.preds` WHERE region = 'north'", "--task",
                         "binary", "--label", "label", "--score", "p", "--dialect", "bigquery", "--check", "--schema",
                         "label:INT64,p:FLOAT64,region:STRING")
    assert code == 0 and err == "" and "WHERE region = 'north'" in out


def test_training_of_a_model_needs_no_schema(reference, capsys):
    code, out, err = run(capsys, "training", "--model", "my-project.ml.churn", "--dialect", "bigquery", "--check")
    assert code == 0 and err == "" and "ML.TRAINING_INFO(MODEL `my-project.ml.churn`)" in out
    code, out, err = run(capsys, "training", "--model", "my-project.ml.churn", "--dialect", "bigquery", "--check",
                         "--schema", "loss:FLOAT64")
    assert code == 2 and "the query SOURCE reads no table (only BigQuery ML functions): drop --schema" in err
