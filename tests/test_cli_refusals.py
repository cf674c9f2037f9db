"""Hostile input to the command line: outputs never destroy data, and every bad value is one line
on stderr with exit status 2 (no traceback, no hang)."""
from __future__ import annotations

import json
import os
import re
import socket
import time

import click
import pandas as pd
import pytest

from bqml_tools.cli import cli, main
from cli_runner import run




def refused(code, err, *words):
    assert code == 2, err
    assert err.startswith("Error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, (word, err)


@pytest.fixture
def events(tmp_path):
    frame = pd.DataFrame({"id": range(400), "user_id": [i // 4 for i in range(400)]})
    path = tmp_path / "events.parquet"
    frame.to_parquet(path)
    return path


def rows_written(report_json: str) -> int:
    return sum(r["rows"] for r in json.loads(report_json))


# --- item 5: outputs never destroy data ---------------------------------------------------------


def spellings(path):
    """The same file under other names: a symlink, a dotted path, a relative path."""
    link = path.parent / "link.parquet"
    link.symlink_to(path)
    return [str(path), str(link), str(path.parent / "." / path.name), os.path.relpath(path)]


@pytest.mark.parametrize("replace", [False, True])
def test_output_onto_the_input_is_refused(capsys, events, replace):
    before = events.read_bytes()
    for name in spellings(events):
        code, _, err = run(capsys, "split", str(events), "--key", "user_id", "--output", name,
                           *(["--replace"] if replace else []))
        refused(code, err, "is the input file")
        assert events.read_bytes() == before
    assert not [p for p in os.listdir(events.parent) if p.endswith(".tmp")]


def test_existing_output_is_refused_without_replace(capsys, events, tmp_path):
    output = tmp_path / "out.csv"
    output.write_text("precious\n")
    code, _, err = run(capsys, "split", str(events), "--key", "user_id", "--output", str(output))
    refused(code, err, "already exists", "--replace")
    assert output.read_text() == "precious\n"
    code, out, err = run(capsys, "split", str(events), "--key", "user_id", "--output", str(output), "--replace",
                         "--format", "json")
    assert code == 0, err
    assert len(pd.read_csv(output)) == rows_written(out) == 400


def test_existing_output_survives_a_failing_replace_run(capsys, tmp_path):
    source = tmp_path / "nulls.csv"
    pd.DataFrame({"k": pd.array([1, None, 3], dtype="Int64")}).to_csv(source, index=False)
    output = tmp_path / "good.parquet"
    pd.DataFrame({"x": [1]}).to_parquet(output)
    before = output.read_bytes()
    code, _, err = run(capsys, "split", str(source), "--key", "k", "--output", str(output), "--replace")
    refused(code, err, "NULL key")
    assert output.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["good.parquet", "nulls.csv"]


FAILING = "SELECT i, CASE WHEN i > 150000 THEN error('boom') END AS x FROM range(200000) AS t(i)"


@pytest.mark.parametrize("replace", [False, True])
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_failing_export_leaves_no_file_and_no_temporary(tmp_path, suffix, replace):
    from bqml_tools.engines import DuckDBEngine
    from bqml_tools.errors import QueryError
    from bqml_tools.sql.render import Query

    engine = DuckDBEngine()
    target = tmp_path / f"out{suffix}"
    with pytest.raises(QueryError, match="boom"):
        engine.export(Query(template="adhoc", dialect="duckdb", sql=FAILING, params={}), str(target), replace=replace)
    assert os.listdir(tmp_path) == []


def test_export_never_clobbers_a_file_that_appeared_meanwhile(tmp_path, monkeypatch):
    """Two runs racing for one new file: the loser is refused at the rename, the winner's file stays whole."""
    from bqml_tools import engines
    from bqml_tools.errors import DestinationExists
    from bqml_tools.sql.render import Query

    target = tmp_path / "out.csv"
    original = engines.DuckDBEngine._execute

    def winner_writes_first(self, sql, query):
        result = original(self, sql, query)
        target.write_text("winner\n")  # the other run finished between our check and our rename
        return result

    monkeypatch.setattr(engines.DuckDBEngine, "_execute", winner_writes_first)
    with pytest.raises(DestinationExists, match="already exists"):
        engines.DuckDBEngine().export(Query(template="adhoc", dialect="duckdb", sql="SELECT 1 AS a", params={}),
                                      str(target))
    assert target.read_text() == "winner\n" and os.listdir(tmp_path) == ["out.csv"]


def test_a_file_system_error_at_the_rename_is_one_line_and_leaves_nothing(capsys, events, tmp_path, monkeypatch):
    import errno

    from bqml_tools.engines import duckdb as engines

    def full_disk(temporary, path, replace):
        raise OSError(errno.ENOSPC, "No space left on device", path)

    monkeypatch.setattr(engines, "publish", full_disk)
    code, _, err = run(capsys, "split", str(events), "--key", "user_id", "--output", str(tmp_path / "out.parquet"))
    refused(code, err, "No space left on device")
    assert os.listdir(tmp_path) == ["events.parquet"]


def test_the_last_connection_error_is_one_line_for_a_proxy_answer():
    from google.api_core import exceptions as gax

    from bqml_tools.bigquery import connection_failure, unreachable

    for error in (gax.BadGateway("no upstream"), gax.ServiceUnavailable("x"), gax.GatewayTimeout("x")):
        assert connection_failure(gax.RetryError("Timeout of 60.0s exceeded", cause=error))
    assert not connection_failure(gax.BadRequest("Syntax error"))
    message = str(unreachable(gax.RetryError("t", cause=gax.BadGateway("502 no upstream\nmore")), "http://h:1", 60))
    assert "\n" not in message and "http://h:1" in message and "60 s" in message


def test_concurrent_replacing_runs_leave_one_whole_file(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from bqml_tools.engines import DuckDBEngine
    from bqml_tools.sql.render import Query

    target = tmp_path / "out.parquet"
    sizes = [300_000, 200_000, 100_000, 50_000]

    def export(n):
        query = Query(template="adhoc", dialect="duckdb", sql=f"SELECT i, {n} AS n FROM range({n}) AS t(i)", params={})
        DuckDBEngine().export(query, str(target), replace=True)

    with ThreadPoolExecutor(len(sizes)) as pool:
        list(pool.map(export, sizes))
    written = pd.read_parquet(target)
    assert written["n"].nunique() == 1 and len(written) == written["n"].iloc[0] and len(written) in sizes
    assert os.listdir(tmp_path) == ["out.parquet"]


@pytest.mark.parametrize("name", ["x.json", "x", "x.parquet.gz", "x.xlsx"])
def test_unknown_output_suffix_is_refused(capsys, events, tmp_path, name):
    output = tmp_path / name
    code, _, err = run(capsys, "split", str(events), "--key", "user_id", "--output", str(output))
    refused(code, err, ".parquet, .pq, .csv, .tsv")
    assert not output.exists()


def test_tsv_output_is_tab_separated(capsys, events, tmp_path):
    output = tmp_path / "out.tsv"
    code, _, err = run(capsys, "split", str(events), "--key", "user_id", "--output", str(output))
    assert code == 0, err
    assert output.read_text().splitlines()[0] == "id\tuser_id\tsplit"


def test_output_needs_a_run_and_an_existing_folder(capsys, events, tmp_path):
    code, _, err = run(capsys, "split", str(events), "--key", "user_id", "--output", str(tmp_path / "o.csv"),
                       "--dialect", "duckdb")
    refused(code, err, "--output writes the rows of a run")
    code, _, err = run(capsys, "split", str(events), "--key", "user_id", "--output",
                       str(tmp_path / "nope" / "o.csv"))
    refused(code, err, "does not exist")


def test_demo_save_never_overwrites(capsys, tmp_path):
    saved = tmp_path / "events.csv"
    saved.write_text("precious\n")
    code, _, err = run(capsys, "demo", "--rows", "100", "--save", str(saved))
    refused(code, err, "already exists")
    assert saved.read_text() == "precious\n"
    code, _, err = run(capsys, "demo", "--rows", "100", "--save", str(tmp_path / "events.json"))
    refused(code, err, ".parquet, .pq, .csv, .tsv")


@pytest.mark.parametrize("name,others", [
    ("data[1].csv", ["data1.csv"]),
    ("a?.csv", ["ab.csv", "ac.csv"]),
    ("*.csv", ["x.csv"]),
    ("[ab].parquet", ["a.parquet"]),
])
def test_a_path_with_glob_characters_reads_that_file_only(capsys, tmp_path, name, others):
    def write(filename, n):
        frame = pd.DataFrame({"k": range(n)})
        if filename.endswith(".csv"):
            frame.to_csv(tmp_path / filename, index=False)
        else:
            frame.to_parquet(tmp_path / filename)

    write(name, 7)
    for other in others:
        write(other, 100)
    code, out, err = run(capsys, "split", str(tmp_path / name), "--key", "k", "--format", "json")
    assert code == 0, err
    assert rows_written(out) == 7


def test_a_missing_glob_path_is_named_as_written(capsys, tmp_path):
    missing = tmp_path / "missing[1]*?.csv"
    code, _, err = run(capsys, "split", str(missing), "--key", "k")
    refused(code, err, str(missing))


def test_a_missing_database_is_never_created(capsys, events, tmp_path):
    database = tmp_path / "new.duckdb"
    code, _, err = run(capsys, "split", str(events), "--key", "user_id", "--database", str(database),
                       "--dialect", "duckdb")
    assert code == 0, err
    code, _, err = run(capsys, "split", "ml.events", "--key", "user_id", "--database", str(database),
                       "--dialect", "bigquery")
    assert code == 0, err
    code, _, err = run(capsys, "split", str(events), "--key", "user_id", "--database", str(database))
    refused(code, err, "does not exist")
    code, _, err = run(capsys, "split", str(events), "--key", "user_id", "--destination", "t", "--dry-run",
                       "--database", str(database))
    refused(code, err, "does not exist")
    code, _, err = run(capsys, "evaluate", "t", "--task", "regression", "--label", "y", "--prediction", "p",
                       "--database", str(database))
    refused(code, err, "does not exist")
    assert os.listdir(tmp_path) == ["events.parquet"]


def test_only_a_successful_destination_run_creates_the_database(capsys, tmp_path):
    database = tmp_path / "new.duckdb"
    source = tmp_path / "nulls.csv"
    pd.DataFrame({"k": pd.array([1, None, 3], dtype="Int64")}).to_csv(source, index=False)
    code, _, err = run(capsys, "split", str(source), "--key", "k", "--destination", "t", "--database", str(database))
    refused(code, err, "NULL key")
    assert sorted(os.listdir(tmp_path)) == ["nulls.csv"]
    code, _, err = run(capsys, "split", str(source), "--key", "k", "--null-keys", "drop", "--destination", "t",
                       "--database", str(database))
    assert code == 0, err
    code, out, err = run(capsys, "evaluate", "t", "--task", "regression", "--label", "k", "--prediction", "k",
                         "--database", str(database), "--format", "json")
    assert code == 0, err
    assert json.loads(out)[0]["rows"] == 2


# --- item 7: one line, exit 2, no traceback ------------------------------------------------------


def test_database_that_is_not_duckdb(capsys, events, tmp_path):
    (tmp_path / "text.duckdb").write_text("not a database\n")
    (tmp_path / "noise.db").write_bytes(os.urandom(4096))
    for database, words in [(tmp_path / "text.duckdb", ["could not be opened", "not a valid DuckDB"]),
                            (tmp_path / "noise.db", ["could not be opened"]),
                            (tmp_path / "missing" / "x.duckdb", ["does not exist"]),
                            (events, ["is a data file"])]:
        code, _, err = run(capsys, "split", str(events), "--key", "user_id", "--database", str(database))
        refused(code, err, *words)
    code, _, err = run(capsys, "split", str(events), "--key", "user_id", "--destination", "t",
                       "--database", str(tmp_path / "missing" / "x.duckdb"))
    refused(code, err, "does not exist")


BIGQUERY = ["evaluate", "ds.t", "--task", "binary", "--label", "a", "--score", "b", "--engine", "bigquery",
            "--project", "my-project"]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "0", "1e999", "99999999", "soon"])
def test_timeout_must_be_a_finite_positive_number_of_seconds(capsys, value):
    code, _, err = run(capsys, *BIGQUERY, "--timeout", value)
    refused(code, err, "--timeout")


@pytest.mark.parametrize("value", ["not a url", "127.0.0.1:9050", "ftp://host", "http://", "http://:9050",
                                   "http://host:99999", "http://host:port"])
def test_api_endpoint_must_be_an_http_url(capsys, value):
    code, _, err = run(capsys, *BIGQUERY, "--api-endpoint", value)
    refused(code, err, "--api-endpoint", "is not an http(s) URL")


def test_max_bytes_billed_is_bounded(capsys):
    for value in ["0", "-5", str(2**63)]:
        code, _, err = run(capsys, *BIGQUERY, "--max-bytes-billed", value)
        refused(code, err, "--max-bytes-billed")


@pytest.mark.parametrize("value", ["99999999999999999999", "-5", "0", "1e3", "many"])
def test_demo_rows_are_bounded(capsys, value):
    code, _, err = run(capsys, "demo", "--rows", value)
    refused(code, err, "--rows")


UNDECODABLE = b"caf\xe9".decode("utf-8", "surrogateescape")  # what Python makes of Latin-1 bytes in argv


@pytest.mark.parametrize("args", [
    ["fingerprint", UNDECODABLE],
    ["which-split", UNDECODABLE, "--key", "user_id"],
    ["split", UNDECODABLE + ".csv", "--key", "k"],
    ["split", "ds.t", "--key", "k", "--salt", UNDECODABLE, "--dialect", "bigquery"],
])
def test_non_utf8_arguments_are_refused_with_the_bytes_and_the_hex(capsys, args):
    code, _, err = run(capsys, *args)
    refused(code, err, "not valid UTF-8", r"b'caf\xe9", "--hex 636166e9")


def test_the_hex_route_hashes_those_bytes(capsys):
    from bqml_tools.core.fingerprint import farm_fingerprint

    code, out, err = run(capsys, "fingerprint", "--hex", "636166e9", "--format", "json")
    assert code == 0, err
    assert json.loads(out)[0]["farm_fingerprint"] == farm_fingerprint(b"caf\xe9")


def single_value_options():
    """(command, option) for every option of every command that takes one value or is a flag."""
    for name, command in sorted(cli.commands.items()):
        for param in command.params:
            if isinstance(param, click.Option) and not param.multiple and not param.is_eager:
                yield name, param


@pytest.mark.parametrize("command,option", [pytest.param(n, o, id=f"{n} {o.opts[0]}")
                                            for n, o in single_value_options()])
def test_a_single_value_option_given_twice_is_refused(capsys, command, option):
    flag = option.opts[0]
    twice = [flag, flag] if option.is_flag else [flag, "a", flag, "b"]
    code, _, err = run(capsys, command, *twice)
    refused(code, err, flag, "given more than once")


def test_the_two_spellings_of_a_switch_count_as_one_option(capsys):
    code, _, err = run(capsys, "evaluate", "t", "--progress", "--no-progress")
    refused(code, err, "--progress / --no-progress given more than once")


def test_repeatable_options_stay_repeatable(capsys):
    code, out, err = run(capsys, "which-split", "1,2", "--key", "a", "--key", "b", "--format", "json")
    assert code == 0, err
    code, out, err = run(capsys, "evaluate", "my-project.ml.preds", "--task", "regression", "--label", "y",
                         "--prediction", "p", "--by", "a", "--by", "b", "--dialect", "bigquery")
    assert code == 0, err


def test_every_command_has_an_example_in_its_help(capsys):
    for name in cli.commands:
        code, out, _ = run(capsys, name, "--help")
        assert code == 0 and "Examples:" in out and f"bqml-tools {name}" in out, name


# --- hangs ---------------------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return listener.getsockname()[1]


def test_an_unreachable_endpoint_fails_after_the_api_retry_deadline(capsys, monkeypatch):
    """Nothing listens: one line naming the endpoint once API_RETRY_DEADLINE has passed, not --timeout."""
    from bqml_tools import bigquery

    monkeypatch.setattr(bigquery, "API_RETRY_DEADLINE", 1.5)  # the default, 60 s, is too slow for a test
    endpoint = f"http://127.0.0.1:{closed_port()}"
    for command in (BIGQUERY, ["split", "ds.t", "--key", "k", "--engine", "bigquery", "--project", "my-project"]):
        started = time.monotonic()
        code, _, err = run(capsys, *command, "--api-endpoint", endpoint)  # default --timeout 600
        took = time.monotonic() - started
        refused(code, err, f"BigQuery endpoint {endpoint} could not be reached", "Connection refused",
                "(the limit is 1.5 s)")
        # the time it reports is the time it tried, measured, not the limit (the retries may stop earlier)
        (tried,) = re.findall(r"gave up after retrying for ([0-9.]+) s", err)
        assert float(tried) <= took + 0.05, (tried, took)


def test_default_retries_end_within_a_minute_while_jobs_keep_their_timeout():
    from google.api_core import exceptions as gax
    from google.api_core.exceptions import RetryError

    from bqml_tools.cli.run import make_engine as _make_engine
    from bqml_tools.sql.render import Query

    engine = _make_engine(engine_name="bigquery", database=":memory:", project="my-project", location=None,
                          api_endpoint=f"http://127.0.0.1:{closed_port()}", max_bytes_billed=None, progress=False)
    assert engine.timeout == 600.0
    assert engine.retry_deadline <= 60 and engine.retry.timeout <= 60
    assert engine.job_retry.timeout == 600.0
    refused_connection = RetryError("Timeout of 60.0s exceeded", cause=ConnectionRefusedError(111, "refused"))
    assert not engine.job_retry._predicate(refused_connection)
    assert not engine.job_retry._predicate(gax.ServiceUnavailable("nothing listens"))
    assert engine.job_retry._predicate(gax.BadRequest("job failed", errors=[{"reason": "jobRateLimitExceeded"}]))
    config = engine._config(Query(template="adhoc", dialect="bigquery", sql="SELECT 1", params={}))
    assert int(config.job_timeout_ms) == 600_000


def test_a_job_that_outlives_the_timeout_is_one_line(capsys):
    import concurrent.futures

    from bqml_tools.bigquery import BigQueryEngine
    from bqml_tools.errors import QueryError
    from bqml_tools.sql.render import Query

    class Job:
        job_id = "job-7"

        def result(self, **_):
            raise concurrent.futures.TimeoutError()

    class Client:
        project = "p"

        def query(self, sql, **_):
            return Job()

    engine = BigQueryEngine(Client(), timeout=5, use_storage_api=False)
    with pytest.raises(QueryError, match=r"adhoc \(job job-7\) did not finish within timeout 5 s"):
        engine.run(Query(template="adhoc", dialect="bigquery", sql="SELECT 1", params={}))
