"""The command line: output, files, and one-line errors with exit status 2 for every bad input."""
from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlglot

from bqml_tools.cli import main
from bqml_tools.engines import connect_duckdb
from cli_runner import run




@pytest.fixture
def events_file(tmp_path):
    frame = pd.DataFrame({"id": range(2000), "user_id": [i // 4 for i in range(2000)],
                          "label": [i % 5 == 0 for i in range(2000)], "score": [i / 2000 for i in range(2000)]})
    path = tmp_path / "events.parquet"
    frame.to_parquet(path)
    return str(path)


def test_split_prints_bigquery_sql_that_parses(capsys):
    code, out, err = run(capsys, "split", "my-project.ml.events", "--key", "user_id", "--sample", "1/70",
                         "--dialect", "bigquery")
    assert code == 0 and err == ""
    assert "FARM_FINGERPRINT(CAST(`user_id` AS STRING))" in out
    assert "ABS(MOD(_bqml_hash, 10)) AS _bqml_bucket" in out
    assert "WHERE _bqml_slot < 14286" in out and "ABS(MOD(DIV(_bqml_hash, 10), 1000000)) AS _bqml_slot" in out
    sqlglot.parse_one(out, read="bigquery")


def test_split_only_one_split(capsys):
    code, out, _ = run(capsys, "split", "my-project.ml.events", "--key", "user_id", "--split", "valid",
                       "--dialect", "bigquery")
    assert code == 0
    assert "WHERE _bqml_bucket >= 8 AND _bqml_bucket < 9" in out and "AS `split`" not in out


def test_split_runs_on_duckdb_and_writes_the_printed_querys_rows(capsys, events_file, tmp_path):
    output = tmp_path / "out.parquet"
    code, out, err = run(capsys, "split", events_file, "--key", "user_id", "--output", str(output),
                         "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert [r["split"] for r in report] == ["train", "valid", "test"]
    written = pd.read_parquet(output)
    assert sum(r["rows"] for r in report) == len(written) == 2000
    code, printed, _ = run(capsys, "split", events_file, "--key", "user_id", "--dialect", "duckdb")
    con = connect_duckdb()
    from_printed = con.execute(printed).df()
    merged = written.merge(from_printed, on="id", suffixes=("", "_printed"))
    assert len(merged) == 2000 and (merged["split"] == merged["split_printed"]).all()


def test_split_csv_output_and_table_format(capsys, events_file, tmp_path):
    output = tmp_path / "train.csv"
    code, out, err = run(capsys, "split", events_file, "--key", "user_id", "--split", "train", "--output", str(output))
    assert code == 0, err
    assert "split" in out and "train" in out
    written = pd.read_csv(output)
    assert "split" not in written.columns and 0 < len(written) < 2000


def test_stratified_split_report(capsys, events_file):
    code, out, err = run(capsys, "split", events_file, "--key", "id", "--stratify", "label")
    assert code == 0, err
    assert "rows per label value" in out


def test_fingerprint_command(capsys):
    code, out, _ = run(capsys, "fingerprint", "1footrue", "--format", "json")
    assert code == 0 and json.loads(out) == [{"value": "1footrue", "farm_fingerprint": -1541654101129638711}]
    code, out, _ = run(capsys, "fingerprint", "--hex", "", "--format", "csv")
    assert out.strip().splitlines()[1] == ",-7286425919675154353"


def test_which_split_agrees_with_the_sql(capsys, events_file):
    code, out, _ = run(capsys, "which-split", *[str(u) for u in range(100)], "--key", "user_id",
                       "--sample", "1/2", "--format", "json")
    assert code == 0
    asked = {int(r["key"]): r["split"] for r in json.loads(out) if r["sampled"]}
    con = connect_duckdb()
    code, printed, _ = run(capsys, "split", events_file, "--key", "user_id", "--sample", "1/2", "--dialect", "duckdb")
    from_sql = dict(con.execute(f"SELECT DISTINCT user_id, split FROM ({printed}) WHERE user_id < 100").fetchall())
    assert asked == from_sql


def test_demo_runs(capsys):
    code, out, err = run(capsys, "demo", "--rows", "5000")
    assert code == 0, err
    assert "FARM_FINGERPRINT" in out and "100%" in out and "train" in out


def test_help_has_examples(capsys):
    for command in ["split", "fingerprint", "which-split", "demo"]:
        code, out, _ = run(capsys, command, "--help")
        assert code == 0 and "Example" in out, command


ERRORS = [
    (["split", "ds.t", "--key", "k", "--fractions", "train=0.8,valid=0.1", "--dialect", "bigquery"],
     "fractions add up to 0.9"),
    (["split", "ds.t", "--key", "k", "--fractions", "train=0.8,valid=x", "--dialect", "bigquery"],
     "is not a number"),
    (["split", "ds.t", "--key", "k", "--buckets", "15", "--dialect", "bigquery"], "not a whole bucket"),
    (["split", "ds.t", "--key", "k", "--buckets", "ten", "--dialect", "bigquery"], "not a whole number"),
    (["split", "ds.t", "--key", "k", "--sample", "2", "--dialect", "bigquery"], "must be in (0, 1]"),
    (["split", "proj.ds.t`; DROP TABLE x; --", "--key", "k", "--dialect", "bigquery"], "is not a table name"),
    (["split", "ds.t", "--key", "k`;", "--dialect", "bigquery"], "not a plain identifier"),
    (["split", "ds.t", "--key", "k", "--null-keys", "ignore", "--dialect", "bigquery"], "null keys policy"),
    (["split", "ds.t", "--key", "k", "--split", "dev", "--dialect", "bigquery"], "'dev' is not one of the splits"),
    (["split", "ds.t", "--key", "k", "--salt", "a\tb", "--dialect", "bigquery"], "printable"),
    (["split", "ds.t", "--key", "k", "--key-type", "k=FLOAT64", "--dialect", "bigquery"], "float-to-string"),
    (["split", "ds.t", "--key", "k", "--key-type", "k", "--dialect", "bigquery"], "COLUMN=TYPE"),
    (["split", "data.parquet", "--key", "k", "--dialect", "bigquery"], "can only be read by DuckDB"),
    (["split", "ds.t", "--dialect", "bigquery"], "Missing option '--key'"),
    (["split", "ds.t", "--key", "k", "--dialect", "oracle"], "Invalid value for '--dialect'"),
    (["split", "missing.parquet", "--key", "k"], "missing.parquet"),
    (["which-split", "1,2", "--key", "a"], None),  # one key column: '1,2' is one value, no error
    (["which-split", "1", "--key", "a", "--key", "b"],
     "key value '1' has 1 part(s) but --key names 2 columns (a, b): separate the parts of one VALUE with commas"),
    (["fingerprint", "--hex", "zz"], "is not hex"),
    (["nope"], "No such command"),
]


@pytest.mark.parametrize("args,message", ERRORS, ids=[" ".join(a)[:60] for a, _ in ERRORS])
def test_errors_are_one_line_exit_2(capsys, args, message):
    code, out, err = run(capsys, *args)
    if message is None:
        assert code == 0
        return
    assert code == 2, (out, err)
    assert message in err
    assert err.startswith("Error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err


def test_data_errors_are_one_line(capsys, tmp_path):
    path = tmp_path / "n.csv"
    pd.DataFrame({"k": pd.array([1, None, 3, None], dtype="Int64"), "x": [0.5, 1.5, 2.5, 3.5]}).to_csv(path, index=False)
    for args, message in [
        (["--key", "k"], "2 row(s) have a NULL key (k)"),
        (["--key", "nope"], "'nope' is not in the source; it has: k, x"),
        (["--key", "x"], "float-to-string differs"),
        (["--key", "k", "--stratify", "k"], "NULL"),
    ]:
        code, out, err = run(capsys, "split", str(path), *args)
        assert code == 2 and message in err and err.count("\n") == 1, (args, err)
    output = tmp_path / "never.parquet"
    code, _, _ = run(capsys, "split", str(path), "--key", "k", "--output", str(output))
    assert code == 2 and not output.exists(), "a refused split writes nothing"


@pytest.fixture
def preds_file(tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    n = 3000
    label = (rng.random(n) < 0.3).astype(int)
    frame = pd.DataFrame({
        "split": np.where(np.arange(n) % 5 == 0, "valid", "train"),
        "label": label, "p": np.clip(rng.random(n) * 0.7 + 0.3 * label, 0, 1),
        "y": rng.normal(5, 2, n), "cls": rng.choice(["a", "b", "c"], n),
    })
    frame["y_hat"] = frame["y"] + rng.normal(0, 1, n)
    frame["cls_hat"] = np.where(rng.random(n) < 0.6, frame["cls"], "a")
    path = tmp_path / "preds.parquet"
    frame.to_parquet(path)
    return str(path), frame


def test_evaluate_json_is_a_list_of_objects_per_group(capsys, preds_file):
    from sklearn import metrics as skm

    path, frame = preds_file
    code, out, err = run(capsys, "evaluate", path, "--task", "binary", "--label", "label", "--score", "p",
                         "--by", "split", "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert [r["split"] for r in rows] == ["train", "valid"]
    for row in rows:
        part = frame[frame["split"] == row["split"]]
        assert row["roc_auc"] == pytest.approx(skm.roc_auc_score(part["label"], part["p"]), rel=1e-9)
        assert row["tp"] == int(((part["p"] >= 0.5) & (part["label"] == 1)).sum())


def test_evaluate_prints_bigquery_sql(capsys):
    code, out, _ = run(capsys, "evaluate", "my-project.ml.preds", "--task", "regression", "--label", "y",
                       "--prediction", "y_hat", "--by", "split", "--dialect", "bigquery")
    assert code == 0
    assert "FROM `my-project.ml.preds`" in out and "APPROX_QUANTILES" in out
    sqlglot.parse_one(out, read="bigquery")


def test_evaluate_multiclass_views(capsys, preds_file):
    path, frame = preds_file
    for view, rows in (("metrics", 1), ("classes", 3), ("confusion", 5)):  # a->a, b->a, b->b, c->a, c->c
        code, out, err = run(capsys, "evaluate", path, "--task", "multiclass", "--label", "cls",
                             "--prediction", "cls_hat", "--view", view, "--format", "json")
        assert code == 0, err
        assert len(json.loads(out)) == rows


@pytest.mark.parametrize("kind", ["roc", "pr", "thresholds", "calibration"])
def test_curve_command(capsys, preds_file, kind):
    path, _ = preds_file
    code, out, err = run(capsys, "curve", path, kind, "--label", "label", "--score", "p", "--format", "csv")
    assert code == 0, err
    assert len(out.strip().splitlines()) > 2
    code, sql, _ = run(capsys, "curve", "my-project.ml.preds", kind, "--label", "label", "--score", "p",
                       "--dialect", "bigquery")
    assert code == 0
    sqlglot.parse_one(sql, read="bigquery")


def test_diagnose_command(capsys, preds_file):
    path, _ = preds_file
    code, out, err = run(capsys, "diagnose", path, "--task", "regression", "--label", "y", "--prediction", "y_hat")
    assert code == 0, err
    assert "good fit:" in out and "rmse" in out


EVAL_ERRORS = [
    (["evaluate", "{path}", "--task", "binary", "--label", "label"], "task binary needs --score COLUMN"),
    (["evaluate", "{path}", "--task", "binary", "--label", "label", "--score", "nope"], "'nope' is not in the source"),
    (["evaluate", "{path}", "--task", "binary", "--label", "cls", "--score", "p"], "pass --positive VALUE"),
    (["evaluate", "{path}", "--task", "binary", "--label", "label", "--score", "y"], "outside [0, 1]"),
    (["evaluate", "{path}", "--task", "binary", "--label", "y", "--score", "p"], "not binary"),
    (["evaluate", "{path}", "--task", "binary", "--label", "label", "--score", "p", "--threshold", "2"], "in [0, 1]"),
    (["evaluate", "{path}", "--task", "binary", "--label", "label", "--score", "p", "--threshold", "x"], "not a number"),
    (["evaluate", "{path}", "--task", "regression", "--label", "y", "--prediction", "y_hat", "--view", "classes"],
     "for multiclass"),
    (["evaluate", "{path}", "--task", "regression", "--label", "y;", "--prediction", "y_hat"], "not a plain identifier"),
    (["curve", "{path}", "roc", "--label", "label", "--score", "p", "--steps", "0"], "--steps 0"),
    (["diagnose", "{path}", "--task", "regression", "--label", "y", "--prediction", "y_hat", "--valid", "test"],
     "split 'test' has no rows"),
]


@pytest.mark.parametrize("args,message", EVAL_ERRORS, ids=[" ".join(a[2:6]) for a, _ in EVAL_ERRORS])
def test_evaluation_errors_are_one_line_exit_2(capsys, preds_file, args, message):
    path, _ = preds_file
    code, out, err = run(capsys, *[a.replace("{path}", path) for a in args])
    assert code == 2, (out, err)
    assert message in err and err.startswith("Error: ") and err.count("\n") == 1, err


def test_bigquery_without_credentials_is_one_line(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing-key.json"))
    code, out, err = run(capsys, "split", "my-project.ml.events", "--key", "user_id", "--engine", "bigquery",
                         "--project", "my-project")
    assert code == 2 and err.startswith("Error: no BigQuery credentials found") and err.count("\n") == 1, err


def test_unreachable_bigquery_endpoint_gives_up_within_the_timeout(capsys):
    code, out, err = run(capsys, "evaluate", "ds.t", "--task", "binary", "--label", "a", "--score", "b",
                         "--engine", "bigquery", "--project", "p", "--api-endpoint", "http://127.0.0.1:9",
                         "--timeout", "2")
    assert code == 2 and err.count("\n") == 1, err
    assert "BigQuery endpoint http://127.0.0.1:9 could not be reached" in err and "(the limit is 2 s)" in err


@pytest.mark.parametrize("args", [["--help"], ["split", "--help"], ["evaluate", "--help"], ["curve", "--help"]])
def test_help_loads_no_heavy_module(args):
    """Start-up stays fast: --help imports none of pandas, DuckDB, pyarrow, numba, jinja2, the BigQuery client."""
    import subprocess
    import sys

    heavy = ("pandas", "duckdb", "pyarrow", "numpy", "numba", "jinja2", "google.cloud.bigquery")
    code = ("import sys\nfrom bqml_tools.cli import main\n"
            f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
            f"print('LOADED:', *[m for m in {heavy!r} if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Usage:" in done.stdout
    assert done.stdout.splitlines()[-1] == "LOADED:"
