"""A newcomer's first session: every refusal is one line naming the option or the file, at once,
the same in every mode; and what the CLI prints says what is true."""
from __future__ import annotations

import os

import click
import pandas as pd
import pytest

from bqml_tools import cli as cli_module
from bqml_tools.cli import run as cli_run
from bqml_tools import splitting
from bqml_tools.cli import cli, main
from bqml_tools.engines import DuckDBEngine
from bqml_tools.errors import InvalidSplitSpec, TableNotFound
from bqml_tools.splitting import SplitSpec, split_report
from cli_runner import run




def refused(code, err, *words):
    assert code == 2, err
    assert err.startswith("Error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, (word, err)


@pytest.fixture
def no_queries(monkeypatch):
    """Any query that reads rows (run, export, execute) fails the test: refusals come before them."""
    def forbidden(self, *args, **kwargs):
        raise AssertionError("a query ran before the refusal")

    for name in ("run", "export", "execute"):
        monkeypatch.setattr(DuckDBEngine, name, forbidden)


@pytest.fixture
def events(tmp_path):
    path = tmp_path / "events.parquet"
    pd.DataFrame({"user_id": [i // 4 for i in range(400)], "label": [i % 2 * 1.0 for i in range(400)]}).to_parquet(path)
    return path


def modes(tmp_path):
    """Every way to run split: report, --output, --destination, --per-split, --dry-run, --dialect."""
    return {
        "report": [],
        "output": ["--output", str(tmp_path / "out.parquet")],
        "destination": ["--destination", "t", "--database", str(tmp_path / "new.duckdb")],
        "dry-run": ["--dry-run"],
        "dialect": ["--dialect", "duckdb"],
    }


# --- 2: a source column named like the split column --------------------------------------------


@pytest.mark.parametrize("column", ["split", "Split"])
@pytest.mark.parametrize("mode", ["report", "output", "destination", "dry-run", "dialect"])
def test_a_source_column_named_like_the_split_column_is_refused_at_once_in_every_mode(capsys, tmp_path, no_queries,
                                                                                       column, mode):
    source = tmp_path / "split.parquet"
    pd.DataFrame({"user_id": range(40), column: ["x"] * 40}).to_parquet(source)
    code, out, err = run(capsys, "split", str(source), "--key", "user_id", *modes(tmp_path)[mode])
    refused(code, err, f"already has a column {column!r}", "--split-column")
    assert out == "" and sorted(os.listdir(tmp_path)) == ["split.parquet"]  # nothing written, no database made


def test_split_report_refuses_it_too_unless_only_one_split_is_asked_for(duck):
    frame = pd.DataFrame({"k": range(40), "split": ["x"] * 40})
    with pytest.raises(InvalidSplitSpec, match="already has a column 'split'"):
        split_report(duck, frame, SplitSpec(key=["k"]))
    assert split_report(duck, frame, SplitSpec(key=["k"]), only_split="train").table["rows"].sum() == 40
    assert split_report(duck, frame, SplitSpec(key=["k"], split_column="fold")).table["rows"].sum() == 40


def test_per_split_tables_carry_no_split_column_so_the_name_is_free(capsys, tmp_path):
    source = tmp_path / "s.parquet"
    pd.DataFrame({"user_id": range(40), "split": ["x"] * 40}).to_parquet(source)
    code, _, err = run(capsys, "split", str(source), "--key", "user_id", "--destination", "t", "--per-split",
                       "--database", str(tmp_path / "db.duckdb"))
    assert code == 0, err


# --- 3: --split NAME that the fractions do not make ----------------------------------------------


@pytest.mark.parametrize("mode", ["report", "output", "destination", "dry-run", "dialect"])
def test_an_unknown_split_name_is_refused_before_any_engine_is_made(capsys, tmp_path, events, monkeypatch, mode):
    def no_engine(*args, **kwargs):
        raise AssertionError("an engine was made before the refusal")

    monkeypatch.setattr(cli_run, "make_engine", no_engine)
    monkeypatch.setattr(cli_run, "duckdb_engine", no_engine)
    code, out, err = run(capsys, "split", str(events), "--key", "user_id", "--split", "nosuch", *modes(tmp_path)[mode])
    refused(code, err, "split 'nosuch' is not one of the splits: train, valid, test")
    assert out == "" and sorted(os.listdir(tmp_path)) == ["events.parquet"]


# --- 4: --stratify on a float label --------------------------------------------------------------


def test_stratify_on_a_float_label_names_the_stratify_column_and_a_fix_for_a_label(capsys, events, no_queries):
    code, _, err = run(capsys, "split", str(events), "--key", "user_id", "--stratify", "label")
    refused(code, err, "stratify column 'label' is DOUBLE", "CAST(label AS INT64)", "NaN labels")
    assert "key column" not in err and "ROUND" not in err


# --- 5, 6: a missing or empty source -------------------------------------------------------------


def test_a_missing_file_is_named_without_internals(capsys, tmp_path, no_queries):
    missing = tmp_path / "nosuch.parquet"
    for command in (["split", str(missing), "--key", "user_id"],
                    ["evaluate", str(missing), "--task", "binary", "--label", "y", "--score", "p"]):
        code, _, err = run(capsys, *command)
        refused(code, err, f"file {missing} does not exist")
        assert "select_all" not in err and "pattern" not in err and "IO Error" not in err


def test_a_missing_table_says_where_it_looked_and_what_to_give(capsys, tmp_path, no_queries):
    code, _, err = run(capsys, "split", "nosuch", "--key", "user_id")
    refused(code, err, "table nosuch is not in the DuckDB database :memory:", ".csv/.parquet path", "--database FILE")
    assert "select_all" not in err and "Catalog Error" not in err
    database = tmp_path / "x.duckdb"
    DuckDBEngine(database=str(database)).connection.close()
    code, _, err = run(capsys, "evaluate", "ml.preds", "--task", "binary", "--label", "y", "--score", "p",
                       "--database", str(database))
    refused(code, err, f"table ml.preds is not in the DuckDB database {database}")


def test_a_missing_table_is_one_line_without_the_template_on_either_engine(engine):
    with pytest.raises(TableNotFound) as error:
        split_report(engine, "ds.nosuch_table", SplitSpec(key=["k"]))
    message = str(error.value)
    assert "ds.nosuch_table" in message and "select_all" not in message and "\n" not in message
    expected = "not found (or no permission" if engine.dialect == "bigquery" else "is not in the DuckDB database"
    assert expected in message, message


@pytest.mark.parametrize("name", ["empty.csv", "empty.parquet", "empty.tsv"])
def test_an_empty_file_is_named_as_empty(capsys, tmp_path, name, no_queries):
    path = tmp_path / name
    path.write_bytes(b"")
    code, _, err = run(capsys, "split", str(path), "--key", "user_id")
    refused(code, err, f"file {path} is empty")


# --- 17: a source with no rows -------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["report", "output", "destination"])
def test_split_refuses_a_source_with_no_rows_and_writes_nothing(capsys, tmp_path, mode):
    source = tmp_path / "empty.parquet"
    pd.DataFrame({"user_id": pd.Series([], dtype="int64")}).to_parquet(source)
    code, out, err = run(capsys, "split", str(source), "--key", "user_id", *modes(tmp_path)[mode])
    refused(code, err, f"no rows to split in {source}: the source is empty")
    assert out == "" and sorted(os.listdir(tmp_path)) == ["empty.parquet"]


def test_the_api_reports_an_empty_source_with_a_warning_or_refuses_it_on_request(duck):
    frame = pd.DataFrame({"k": pd.Series([], dtype="int64")})
    report = split_report(duck, frame, SplitSpec(key=["k"]))
    assert report.table["rows"].sum() == 0 and any("no rows" in w for w in report.warnings)
    with pytest.raises(Exception, match="the source is empty"):
        split_report(duck, frame, SplitSpec(key=["k"]), refuse_empty=True)
    with pytest.raises(Exception, match="the source is empty"):
        splitting.materialize(duck, frame, SplitSpec(key=["k"]), "t", refuse_empty=True)
    assert duck.connection.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 't'").fetchone() == (0,)


# --- 9: reserved names in options ----------------------------------------------------------------


@pytest.mark.parametrize("args,option", [
    (["split", "{src}", "--key", "_bqml_bucket"], "--key"),
    (["split", "{src}", "--key", "user_id", "--stratify", "_BQML_label"], "--stratify"),
    (["split", "{src}", "--key", "user_id", "--split-column", "_bqml_bucket"], "--split-column"),
    (["evaluate", "{src}", "--task", "binary", "--label", "label", "--score", "p", "--by", "_bqml_label"], "--by"),
    (["evaluate", "{src}", "--task", "binary", "--label", "_bqml_y", "--score", "p"], "--label"),
    (["evaluate", "{src}", "--task", "regression", "--label", "y", "--prediction", "_bqml_p"], "--prediction"),
])
def test_a_reserved_name_in_an_option_names_the_option_and_a_fix_for_its_value(capsys, events, args, option):
    code, _, err = run(capsys, *[a.replace("{src}", str(events)) for a in args])
    value = args[args.index(option) + 1]
    refused(code, err, f"{option} {value!r}: names starting with '_bqml_' are reserved", f"{option} ")
    assert "has column(s)" not in err and "options has" not in err
    fix = err.split("; ", 1)[1]
    assert f"pass {option} " in fix, err  # the fix is a new value for that option


def test_a_reserved_source_column_is_named_in_good_grammar(duck):
    frame = pd.DataFrame({"k": range(4), "_bqml_x": range(4)})
    with pytest.raises(Exception, match=r"has a column '_bqml_x': .* rename it in a view first"):
        split_report(duck, frame, SplitSpec(key=["k"]))


# --- 10, 12: one line; values echoed as typed ----------------------------------------------------


def test_a_missing_choice_option_is_one_line(capsys, events):
    code, _, err = run(capsys, "evaluate", str(events), "--label", "label", "--score", "p")
    assert code == 2 and err.count("\n") == 1, err
    assert "Missing option '--task'" in err and "regression, binary, multiclass" in err and "\t" not in err


@pytest.mark.parametrize("args,echo", [
    (["diagnose", "{src}", "--task", "regression", "--label", "y", "--prediction", "p", "--overfit-gap", "-1"],
     "--overfit-gap -1 must"),
    (["evaluate", "{src}", "--task", "binary", "--label", "label", "--score", "p", "--threshold", "2"],
     "threshold 2 must"),
    (["evaluate", "{src}", "--task", "binary", "--label", "label", "--score", "p", "--threshold", "150%"],
     "threshold 150% must"),
])
def test_numbers_are_echoed_as_typed(capsys, events, args, echo):
    code, _, err = run(capsys, *[a.replace("{src}", str(events)) for a in args])
    refused(code, err, echo)


def test_a_number_as_typed_is_still_the_plain_float():
    value = click.Option(["--threshold"], type=cli_module.Number()).type_cast_value(None, "1/4")
    assert repr(value) == "1/4" and value == 0.25 and str(value) == "0.25" and f"{value}" == "0.25"
    assert f"{value:.2f}" == "0.25" and value * 2 == 0.5 and type(value * 2) is float


def test_output_says_how_many_rows_it_wrote_with_separators(capsys, tmp_path):
    source = tmp_path / "big.parquet"
    pd.DataFrame({"user_id": range(1234)}).to_parquet(source)
    code, _, err = run(capsys, "split", str(source), "--key", "user_id", "--output", str(tmp_path / "s.parquet"))
    assert code == 0 and "wrote 1,234 rows to " in err, err
    train = len(pd.read_parquet(tmp_path / "s.parquet").query("split == 'train'"))
    code, _, err = run(capsys, "split", str(source), "--key", "user_id", "--split", "train",
                       "--output", str(tmp_path / "t.parquet"))
    assert code == 0 and f"wrote {train:,} rows of split train to " in err, err
    assert len(pd.read_parquet(tmp_path / "t.parquet")) == train


# --- 14: a file on BigQuery ----------------------------------------------------------------------


@pytest.mark.parametrize("command", [["split", "{src}", "--key", "user_id"],
                                     ["evaluate", "{src}", "--task", "binary", "--label", "label", "--score", "p"],
                                     ["curve", "{src}", "roc", "--label", "label", "--score", "p"]])
def test_a_file_source_on_bigquery_is_refused_before_a_client_is_made(capsys, events, monkeypatch, command):
    from bqml_tools import bigquery

    def no_client(*args, **kwargs):
        raise AssertionError("a BigQuery client was made")

    monkeypatch.setattr(bigquery.BigQueryEngine, "__init__", no_client)
    code, _, err = run(capsys, *[a.replace("{src}", str(events)) for a in command], "--engine", "bigquery")
    refused(code, err, f"SOURCE {events} is a file, which only DuckDB reads", "drop --engine bigquery")


# --- 11: --help shows what each command uses -----------------------------------------------------


def _shown(capsys, *args) -> str:
    code, out, _ = run(capsys, *args, "--help")
    assert code == 0
    return out


def test_format_says_it_formats_what_is_printed(capsys):
    for name, command in cli.commands.items():
        for param in command.params:
            if param.name == "fmt":
                assert param.help and "print" in param.help, name
    assert "--output or --plot takes its format from its suffix" in " ".join(_shown(capsys, "split").split())


@pytest.mark.parametrize("command,hidden,refusal", [
    (["curve", "p.parquet", "roc", "--label", "y", "--score", "p"], ["--prediction", "--top-k", "--threshold"],
     {"--threshold": "0.3", "--prediction": "x", "--probs": "x", "--top-k": "2"}),
    (["diagnose", "p.parquet", "--task", "binary", "--label", "y", "--score", "p"],
     ["--by", "--threshold", "--top-k", "--auc", "--bins-per-logit", "--zero-division", "--dialect",
      "--dry-run", "--check", "--schema"],
     {"--by": "g", "--threshold": "0.3", "--auc": "exact", "--dialect": "duckdb", "--dry-run": None, "--check": None,
      "--schema": "y:INT64"}),
])
def test_help_leaves_out_the_options_a_command_always_refuses(capsys, command, hidden, refusal):
    shown = _shown(capsys, command[0])
    for option in hidden:
        assert f"{option} " not in shown, option
    for option, value in refusal.items():  # given anyway, they are refused with a reason, not "no such option"
        code, _, err = run(capsys, *command, option, *([value] if value is not None else []))
        refused(code, err)
        assert "No such option" not in err, err


def test_demo_help_lists_the_columns_the_predictions_file_has(capsys, tmp_path):
    path = tmp_path / "preds.parquet"
    code, _, err = run(capsys, "demo", "--rows", "2000", "--predictions", str(path))
    assert code == 0, err
    shown = " ".join(_shown(capsys, "demo").split())
    listed = shown.split("columns ", 1)[1].split(".")[0]
    assert listed.split(", ") == list(pd.read_parquet(path).columns)
