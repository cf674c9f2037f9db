"""In-memory sources (pandas DataFrames, pyarrow Tables) on DuckDB, and one set of result dtypes for
both engines (google-cloud-bigquery's ``to_dataframe`` dtypes)."""
from __future__ import annotations

import datetime as dt
import decimal
import gc

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import bqml_tools as bt
from bqml_tools.errors import BqmlToolsError, InvalidIdentifier, TemplateError
from bqml_tools.core.identifiers import source
from bqml_tools.sql.render import Query
from tables import load


def _events(n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    score = rng.random(n)
    return pd.DataFrame({
        "user_id": np.arange(n) % 200,
        "day": [dt.date(2024, 1, 1 + i % 28) for i in range(n)],
        "label": (rng.random(n) < score).astype("int64"),
        "p": score,
    })


def _frame_views(engine) -> list:
    return engine.connection.execute(
        "SELECT view_name FROM duckdb_views() WHERE view_name LIKE '\\_bqml\\_frame\\_%' ESCAPE '\\'").fetchall()


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns[:2])).reset_index(drop=True)


@pytest.mark.duckdb
@pytest.mark.parametrize("kind", ["pandas", "arrow", "reader"])
def test_a_frame_splits_exactly_as_the_same_rows_in_a_table(duck, kind):
    events = _events()
    spec = bt.SplitSpec(key=["user_id", "day"], sample="1/2", salt="s")
    table = load(duck, "ds.events", events)
    expected = _sorted(bt.split(duck, table, spec))
    arrow = pa.Table.from_pandas(events, preserve_index=False)
    def given():
        if kind == "reader":
            return pa.RecordBatchReader.from_batches(arrow.schema, arrow.to_batches())
        return {"pandas": events, "arrow": arrow}[kind]

    pd.testing.assert_frame_equal(_sorted(bt.split(duck, given(), spec)), expected)
    report, table_report = bt.split_report(duck, given(), spec), bt.split_report(duck, table, spec)
    pd.testing.assert_frame_equal(report.table, table_report.table)
    assert _frame_views(duck) == []  # registered only while a query runs


@pytest.mark.duckdb
def test_a_reader_read_by_an_earlier_call_is_refused_not_read_as_empty(duck):
    arrow = pa.Table.from_pandas(_events(), preserve_index=False)
    reader = pa.RecordBatchReader.from_batches(arrow.schema, arrow.to_batches())
    bt.split(duck, reader, bt.SplitSpec(key="user_id"))
    with pytest.raises(InvalidIdentifier, match="already read by an earlier call.*pass a pyarrow Table"):
        bt.split_report(duck, reader, bt.SplitSpec(key="user_id"))


@pytest.mark.duckdb
def test_evaluate_curve_and_diagnose_read_a_frame_like_a_table(duck):
    split = bt.split(duck, _events(), bt.SplitSpec(key="user_id"))
    table = load(duck, "ds.preds", pa.Table.from_pandas(split, preserve_index=False))
    spec = bt.EvalSpec(task="binary", label="label", score="p", by="split")
    pd.testing.assert_frame_equal(bt.evaluate(duck, split, spec), bt.evaluate(duck, table, spec))
    curve_spec = bt.EvalSpec(task="binary", label="label", score="p")
    pd.testing.assert_frame_equal(bt.curve(duck, split, curve_spec, "roc"), bt.curve(duck, table, curve_spec, "roc"))
    pd.testing.assert_frame_equal(bt.diagnose(duck, split, curve_spec), bt.diagnose(duck, table, curve_spec))
    assert _frame_views(duck) == []


@pytest.mark.duckdb
def test_a_frame_split_stores_a_table_but_never_a_view(duck):
    events = _events()
    spec = bt.SplitSpec(key="user_id")
    report = bt.materialize(duck, events, spec, "stored")
    assert duck.connection.execute("SELECT count(*) FROM stored").fetchall()[0][0] == report.table["rows"].sum() == len(events)
    with pytest.raises(BqmlToolsError, match="view over an in-memory source.*store a table"):
        bt.materialize(duck, events, spec, "stored_view", view=True)
    assert duck.connection.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'stored_view'").fetchall()[0][0] == 0


def test_bigquery_renderings_refuse_a_frame_with_one_line():
    with pytest.raises(TemplateError, match="pandas DataFrame can only be read by DuckDB: load it into a BigQuery "
                                            "table first") as caught:
        bt.split_query(_events(), bt.SplitSpec(key="user_id"), "bigquery")
    assert "\n" not in str(caught.value)
    with pytest.raises(TemplateError, match="pyarrow Table can only be read by DuckDB"):
        bt.evaluate_query(pa.table({"y": [1.0], "y_hat": [1.0]}),
                          bt.EvalSpec(task="regression", label="y", prediction="y_hat"), "bigquery")


def test_frame_sources_get_reserved_names_and_table_names_cannot_take_them():
    first, second = source(_events(3)), source(_events(3))
    assert first.is_frame and first.parts != second.parts
    assert all(s.parts[0].startswith("_bqml_frame_") for s in (first, second))
    with pytest.raises(InvalidIdentifier, match="reserved for in-memory sources"):
        source("ds._bqml_frame_1")
    with pytest.raises(InvalidIdentifier, match="type list is not supported.*pandas DataFrame"):
        source([1, 2])


@pytest.mark.duckdb
def test_a_frame_that_is_gone_is_named_in_the_error(duck):
    spec = bt.SplitSpec(key="user_id")
    query = bt.split_query(_events(), spec, "duckdb")  # the frame dies with this line
    gc.collect()
    with pytest.raises(bt.BqmlToolsError, match="in-memory source _bqml_frame_[0-9]+, which no longer exists"):
        duck.run(query)


@pytest.mark.duckdb
def test_a_frame_with_reserved_columns_is_refused(duck):
    frame = _events().rename(columns={"p": "_bqml_p"})
    with pytest.raises(InvalidIdentifier, match="_bqml_p"):
        bt.split(duck, frame, bt.SplitSpec(key="user_id"))


# --- one set of result dtypes for both engines ------------------------------------------------

TYPED = {
    "bigquery": """SELECT * FROM UNNEST([STRUCT(
        CAST(7 AS INT64) AS i, CAST(NULL AS INT64) AS i_null, TRUE AS b, CAST(NULL AS BOOL) AS b_null,
        CAST(1.5 AS FLOAT64) AS f, 'x' AS s, DATE '2024-01-31' AS d, TIME '01:02:03.250000' AS t,
        DATETIME '2024-01-31 01:02:03.5' AS dt, TIMESTAMP '2024-01-31 01:02:03.5+00' AS ts,
        NUMERIC '1.25' AS num)])""",
    "duckdb": """SELECT CAST(7 AS INTEGER) AS i, CAST(NULL AS BIGINT) AS i_null, TRUE AS b, CAST(NULL AS BOOLEAN) AS b_null,
        CAST(1.5 AS FLOAT) AS f, 'x' AS s, DATE '2024-01-31' AS d, TIME '01:02:03.25' AS t,
        TIMESTAMP '2024-01-31 01:02:03.5' AS dt, TIMESTAMPTZ '2024-01-31 01:02:03.5+00' AS ts,
        CAST(1.25 AS DECIMAL(38, 9)) AS num""",
}
# google-cloud-bigquery 3.x RowIterator.to_dataframe(): nullable Int64/boolean, db-dtypes for DATE/TIME,
# microsecond DATETIME/TIMESTAMP (TIMESTAMP in UTC), Decimal objects for NUMERIC
DTYPES = {"i": "Int64", "i_null": "Int64", "b": "boolean", "b_null": "boolean", "f": "float64", "d": "dbdate",
          "t": "dbtime", "dt": "datetime64[us]", "ts": "datetime64[us, UTC]", "num": "object"}


def test_both_engines_return_the_bigquery_clients_dtypes(engine):
    frame = engine.run(Query("dtypes", engine.dialect, TYPED[engine.dialect]))
    assert {c: str(frame[c].dtype) for c in DTYPES} == DTYPES
    assert pd.api.types.is_string_dtype(frame["s"]) and frame["s"][0] == "x"
    row = frame.iloc[0]
    assert row["i"] == 7 and row["i_null"] is pd.NA and row["b"] is np.True_ and row["b_null"] is pd.NA
    assert row["d"] == dt.date(2024, 1, 31) and row["t"] == dt.time(1, 2, 3, 250000)
    assert row["dt"] == pd.Timestamp("2024-01-31 01:02:03.5")
    assert row["ts"] == pd.Timestamp("2024-01-31 01:02:03.5", tz="UTC")
    assert decimal.Decimal(row["num"]) == decimal.Decimal("1.25")


@pytest.mark.duckdb
def test_dates_outside_pandas_range_come_back_as_objects_like_the_client(duck):
    frame = duck.run(Query("dates", "duckdb", "SELECT DATE '0001-01-01' AS d, TIMESTAMP '9999-12-31 23:59:59' AS ts"))
    assert frame["d"][0] == dt.date(1, 1, 1) and frame["ts"][0] == dt.datetime(9999, 12, 31, 23, 59, 59)


@pytest.mark.duckdb
def test_a_result_frame_goes_back_in_as_a_source(duck):
    """What run() returns (db-dtypes, nullable ints) is itself a valid source."""
    out = bt.split(duck, _events(), bt.SplitSpec(key="user_id"))
    assert str(out["day"].dtype) == "dbdate"
    again = bt.split(duck, out.drop(columns="split"), bt.SplitSpec(key="user_id"))
    pd.testing.assert_frame_equal(_sorted(again), _sorted(out))


@pytest.mark.duckdb
def test_a_frame_split_exports_to_a_file_like_a_table(duck, tmp_path):
    events = _events()
    spec = bt.SplitSpec(key="user_id")
    path = tmp_path / "split.parquet"
    duck.export(bt.split_query(events, spec, "duckdb", engine=duck, inline=False), str(path))
    written = pd.read_parquet(path)
    assert len(written) == len(events)
    expected = bt.split(duck, load(duck, "ds.events", events), spec)
    assert (written.groupby("split").size().sort_index() == expected.groupby("split").size().sort_index()).all()
    assert _frame_views(duck) == []


def test_the_bigquery_engine_refuses_a_frame_before_any_call():
    from bqml_tools.bigquery import BigQueryEngine

    class NoClient:  # any API call would fail loudly
        def query(self, *args, **kwargs):
            raise AssertionError("BigQuery client called")

    engine = BigQueryEngine(client=NoClient())
    for call in (lambda: bt.split(engine, _events(), bt.SplitSpec(key="user_id")),
                 lambda: bt.evaluate(engine, _events(), bt.EvalSpec(task="binary", label="label", score="p"))):
        with pytest.raises(bt.BqmlToolsError, match="can only be read by DuckDB: load it into a BigQuery table first"):
            call()


@pytest.mark.duckdb
def test_duckdb_wide_integers_come_back_as_int64_unless_they_do_not_fit(duck):
    """SUM of BIGINT is HUGEINT on DuckDB and INT64 on BigQuery: Int64 here too; a value INT64 cannot
    hold keeps its own type instead of wrapping around."""
    frame = duck.run(Query("wide", "duckdb", "SELECT sum(x) AS s, CAST('1180591620717411303424' AS HUGEINT) AS big, "
                                             "CAST(18446744073709551615 AS UBIGINT) AS ub FROM range(5) t(x)"))
    assert str(frame["s"].dtype) == "Int64" and frame["s"][0] == 10
    assert int(frame["big"][0]) == 2 ** 70 and str(frame["big"].dtype) != "Int64"
    assert int(frame["ub"][0]) == 2 ** 64 - 1 and str(frame["ub"].dtype) != "Int64"
